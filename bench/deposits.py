"""Deposits end to end through a simulated PSP, against the PSP's own speed in the same run.

Setup (not timed): a fresh schema on the database given, P active players of one brand in
EUR (Malta, no limits), a simulated card PSP in its own process (``croupier psp-sim``), and the
risk engine with the shipped model.

Phase 1 (baseline): W threads create payments directly at the PSP for S seconds, over the
same pooled HTTP client croupier uses: what the PSP and the loopback can do.
Phase 2: W threads run whole deposits for S seconds: ``may_deposit``, the risk score, the
payment and its transitions recorded, the PSP call, the capture credited to the player's cash
through the ledger, AML rules and markers of harm. Amounts stay below the PSP's 3-D Secure
threshold, so every deposit completes in its request.

    python bench/deposits.py --database-url sqlite:///var/bench_deposits.db
    python bench/deposits.py --database-url postgresql://postgres@127.0.0.1/bench_deposits

Prints one JSON line. It resets the database it is given: point it at one of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from croupier.app.tables import metadata
from croupier.core.players.models import Brand, Player
from croupier.core.wallet.models import LedgerAccount
from croupier.kernel.clock import SystemClock
from croupier.kernel.db import Database
from croupier.kernel.jurisdictions import JURISDICTIONS
from croupier.kernel.models import ensure_reference_data
from croupier.policy.risk import RiskEngine
from croupier.products.payments import orchestration, service
from croupier.products.payments.config import PaymentsConfig
from croupier.products.payments.orchestration import PaymentsRuntime
from croupier.products.payments.psp_client import PspClient

UNIT = 1_000_000
CARD = "4111111111111111"


def seed(db: Database, players: int) -> list[str]:
    metadata.drop_all(db.engine)
    metadata.create_all(db.engine)
    with db.unit_of_work() as s:
        ensure_reference_data(s)
    then = datetime.now(UTC) - timedelta(days=400)
    ids = [f"ply_{i:08d}" for i in range(players)]
    with db.engine.begin() as conn:
        conn.execute(
            insert(Brand),
            [
                {
                    "id": "brd_bench",
                    "code": "bench",
                    "name": "Bench",
                    "currencies": '["EUR"]',
                    "jurisdictions": json.dumps(sorted(JURISDICTIONS)),
                    "duplicate_person_policy": "flag",
                    "settings": "{}",
                    "created_at": then,
                }
            ],
        )
        conn.execute(
            insert(LedgerAccount),
            [
                {
                    "id": f"acc_{p}",
                    "kind": "player_cash",
                    "currency": "EUR",
                    "owner_id": p,
                    "name": None,
                    "debits_must_not_exceed_credits": True,
                    "debits_pending": 0,
                    "debits_posted": 0,
                    "credits_pending": 0,
                    "credits_posted": 0,
                    "created_at": then,
                }
                for p in ids
            ],
        )
        conn.execute(
            insert(Player),
            [
                {
                    "id": p,
                    "brand_id": "brd_bench",
                    "email": f"{p}@bench.test",
                    "password_hash": "x",
                    "legal_name": f"Bench {p}",
                    "date_of_birth": date(1970 + i % 30, 1 + i % 12, 1),
                    "address_line": "1 Bench Street",
                    "city": "Bench",
                    "postcode": f"B{i}",
                    "country": "MT",
                    "region": None,
                    "jurisdiction": "MT",
                    "currency": "EUR",
                    "status": "active",
                    "person_key": f"{i:064d}",
                    "flags": "[]",
                    "cash_account_id": f"acc_{p}",
                    "created_at": then,
                    "updated_at": then,
                }
                for i, p in enumerate(ids)
            ],
        )
    return ids


def card_of(n: int) -> str:
    """A Luhn-valid card number of its own for player ``n`` (a card shared by several
    players is a risk signal, which would hold every deposit for review)."""
    body = f"4{n:014d}"
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_psp(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "croupier.app.cli", "psp-sim", "card", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the PSP simulator did not start")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def run(workers: int, seconds: float, one: Any) -> dict[str, Any]:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def loop(w: int) -> None:
        rng = random.Random(w)
        mine: list[float] = []
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                outcome = one(rng)
            except Exception as exc:  # counted, and the run goes on
                outcome = type(exc).__name__
            mine.append(time.perf_counter() - started)
            if outcome != "ok":
                with lock:
                    errors[outcome] = errors.get(outcome, 0) + 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=loop, args=(w,)) for w in range(workers)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    return {
        "count": len(latencies),
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "not_ok": errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="sqlite:///var/bench_deposits.db")
    parser.add_argument("--players", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()

    os.makedirs("var", exist_ok=True)
    db = Database(args.database_url, pool_size=args.workers + 4)
    print("seeding players ...", file=sys.stderr)
    players = seed(db, args.players)
    port = free_port()
    print(f"starting the PSP simulator on {port} ...", file=sys.stderr)
    psp = start_psp(port)
    try:
        config = PaymentsConfig.model_validate(
            {
                "psp": [
                    {
                        "name": "card",
                        "kind": "card",
                        "url": f"http://127.0.0.1:{port}",
                        "api_key": "card-key",
                        "webhook_secret": "card-secret",
                    }
                ],
                "route": [{"method": "card", "psps": [{"psp": "card"}]}],
            }
        )
        clock = SystemClock()
        runtime = PaymentsRuntime.build(config, risk_engine=RiskEngine.load())
        client = PspClient(config.psp[0])

        def direct(rng: random.Random) -> str:
            answer = client.create_payment(
                {
                    "amount": rng.randint(100, 4900),
                    "currency": "EUR",
                    "method": "card",
                    "instrument": {"card_number": CARD},
                    "holder_name": "Bench",
                    "country": "MT",
                    "reference": uuid.uuid4().hex,
                },
                uuid.uuid4().hex,
            )
            return "ok" if answer.ok else answer.outcome.value

        def deposit(rng: random.Random) -> str:
            n = rng.randrange(len(players))
            view = orchestration.deposit(
                db,
                clock,
                runtime,
                players[n],
                service.DepositRequest(
                    client_id=uuid.uuid4().hex,
                    amount=rng.randint(1, 49) * UNIT,
                    currency="EUR",
                    instrument=service.InstrumentIn(method="card", card_number=card_of(n)),
                    device_id=f"device-{n}",
                ),
            )
            return "ok" if view.status == "captured" else view.status

        print(f"baseline: PSP calls for {args.seconds} s ...", file=sys.stderr)
        baseline = run(args.workers, args.seconds, direct)
        print(f"deposits for {args.seconds} s ...", file=sys.stderr)
        deposits = run(args.workers, args.seconds, deposit)
        runtime.close()
        client.close()
    finally:
        psp.terminate()
        psp.wait(10)
    result = {
        "bench": "deposits",
        "database": db.dialect,
        "players": args.players,
        "workers": args.workers,
        "seconds": args.seconds,
        "psp_direct": baseline,
        "deposits": deposits,
        "deposits_vs_psp_direct": round(deposits["per_second"] / baseline["per_second"], 3)
        if baseline["per_second"]
        else None,
        "machine": f"{platform.node()} {os.cpu_count()} cpu {platform.python_version()}",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    print(json.dumps(result))
    db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
