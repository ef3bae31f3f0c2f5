"""The chaos test of issue 7: 200 deposits in flight while the primary PSP goes down.

The breaker opens within 3 seconds of the first failures, later deposits go to the backup,
every deposit ends captured, declined or failed with a reason, nothing is credited twice, and
the ledger verifies."""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import func, select

from croupier.core.wallet.models import LedgerTransfer
from croupier.kernel.clock import SystemClock
from croupier.kernel.db import Database
from croupier.products.payments import orchestration
from croupier.products.payments.models import Payment, PaymentAttempt
from croupier.products.payments.orchestration import PaymentsRuntime
from tests.policy.policy_fixtures import player_in
from tests.products.payments.payment_fixtures import (
    CARD,
    UNIT,
    balance,
    config_for,
    deposit_request,
    ledger_ok,
    psps,
)

DEPOSITS = 200
DOWN_AFTER = 60  # the primary goes down once this many deposits have been started
DECLINED_CARD = "4000000000000002"


def test_200_deposits_while_the_primary_goes_down(db: Database) -> None:
    clock = SystemClock()
    rng = random.Random(7)
    players = [player_in(db, clock, "MT") for _ in range(20)]
    with psps(("primary", "card"), ("backup", "card")) as (primary, backup):
        for psp in (primary, backup):
            psp.set_faults(
                latency_ms=15,  # so that many are in flight at once
                decline_rules=[{"card_prefix": DECLINED_CARD, "code": "do_not_honor"}],
            )
        runtime = PaymentsRuntime.build(
            config_for(
                [(primary, "card"), (backup, "card")],
                breaker={"consecutive_failures": 5, "open_seconds": 60},
                timeout_seconds=5.0,
            )
        )
        started = 0
        lock = threading.Lock()
        went_down: list[float] = []

        def one(n: int) -> str:
            nonlocal started
            with lock:
                started += 1
                if started == DOWN_AFTER:
                    went_down.append(time.time())
                    primary.set_faults(down=True)
            player = players[n % len(players)]
            card = DECLINED_CARD if n % 25 == 0 else CARD
            amount = rng.randint(1, 49) * UNIT
            view = orchestration.deposit(
                db, clock, runtime, player.id, deposit_request(amount, card=card)
            )
            return view.id

        try:
            with ThreadPoolExecutor(16) as pool:
                ids = list(pool.map(one, range(DEPOSITS)))
            breaker = runtime.breakers["primary"].snapshot()
        finally:
            runtime.close()

    assert len(set(ids)) == DEPOSITS
    with db.read_only() as s:
        payments = list(s.scalars(select(Payment)))
        for p in payments:
            s.expunge(p)
        first_failure = s.scalar(
            select(func.min(PaymentAttempt.at)).where(
                PaymentAttempt.psp == "primary", PaymentAttempt.outcome == "retryable"
            )
        )
        credited = dict(
            s.execute(
                select(LedgerTransfer.reference, func.count())
                .where(LedgerTransfer.code == "deposit")
                .group_by(LedgerTransfer.reference)
            ).all()
        )
    # Every deposit is final, and says why when it did not go through.
    by_status: dict[str, int] = {}
    for p in payments:
        by_status[p.status] = by_status.get(p.status, 0) + 1
        assert p.status in ("captured", "declined", "failed"), (p.id, p.status)
        if p.status != "captured":
            assert p.reason
    assert by_status.get("declined", 0) == len([n for n in range(DEPOSITS) if n % 25 == 0])
    # Credited exactly once each, and only the captured ones.
    assert all(n == 1 for n in credited.values())
    assert set(credited) == {p.id for p in payments if p.status == "captured"}
    total = sum(p.amount for p in payments if p.status == "captured")
    assert sum(balance(db, player) for player in players) == total
    # The breaker opened within 3 seconds of the first failures.
    assert went_down
    assert first_failure is not None
    assert breaker.opened_at is not None
    assert breaker.opened_at - first_failure.timestamp() <= 3.0
    # Deposits started after it opened went to the backup without trying the primary.
    opened = datetime.fromtimestamp(breaker.opened_at, UTC)
    later = [p for p in payments if p.created_at > opened and p.status == "captured"]
    assert later
    assert all(p.psp == "backup" for p in later)
    assert ledger_ok(db)
