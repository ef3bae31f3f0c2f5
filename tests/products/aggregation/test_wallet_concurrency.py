"""300 bets of 1.00 at once against a balance of 100.00, over real HTTP to a served app: exactly
100 are accepted, the rest are RS_ERROR_NOT_ENOUGH_MONEY, replays debit nothing, and the ledger
verifies. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from croupier.products.aggregation.models import ProviderTransaction
from tests.http_fixtures import ServedApp
from tests.products.aggregation.wallet_fixtures import EUR, UNIT, caleta_world, sign

BETS = 300
THREADS = 32


def test_300_parallel_bets_against_100_accept_exactly_100(db, clock):
    with caleta_world(db, clock, funds=100 * EUR) as world, ServedApp(db, clock) as served:
        bodies = []
        for n in range(BETS):
            body = json.dumps(world._movement(UNIT, f"bet-{n}", f"R-{n}")).encode()
            bodies.append((body, sign(world.key, body)))
        url = f"{served.url}/providers/{world.provider}/wallet/bet"

        def send(item: tuple[bytes, str]) -> str:
            body, signature = item
            with httpx.Client(timeout=30) as http:
                response = http.post(
                    url,
                    content=body,
                    headers={"X-Auth-Signature": signature, "Content-Type": "application/json"},
                )
            assert response.status_code == 200, response.text
            status: str = response.json()["status"]
            return status

        with ThreadPoolExecutor(THREADS) as pool:
            statuses = list(pool.map(send, bodies))
        assert Counter(statuses) == {"RS_OK": 100, "RS_ERROR_NOT_ENOUGH_MONEY": 200}
        assert world.balance() == 0

        accepted = [
            item for item, status in zip(bodies, statuses, strict=True) if status == "RS_OK"
        ]
        with ThreadPoolExecutor(THREADS) as pool:
            replays = list(pool.map(send, accepted))
        assert set(replays) == {"RS_OK"}
        assert world.balance() == 0
        with db.read_only() as s:
            assert s.scalar(select(func.count()).select_from(ProviderTransaction)) == 100
        world.assert_ledger_holds()
