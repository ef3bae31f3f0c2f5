"""Helpers for payments tests: simulated PSPs on real sockets, a runtime routed to them, and
players with money."""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from croupier.core.players import PlayerView
from croupier.core.wallet import get_balance, verify_ledger
from croupier.core.wallet.models import LedgerTransfer
from croupier.kernel.clock import Clock, ManualClock
from croupier.kernel.db import Database
from croupier.products.payments import orchestration, service
from croupier.products.payments.config import PaymentsConfig
from croupier.products.payments.models import Payment, PaymentTransition
from croupier.products.payments.orchestration import PaymentsRuntime
from croupier.simulators.psp import RunningPsp

_ids = itertools.count()
CARD = "4111111111111111"
UNIT = 1_000_000  # one EUR in ledger units
CENT = 10_000


def next_id(prefix: str = "dep") -> str:
    return f"{prefix}-{next(_ids)}-{time.monotonic_ns()}"


def config_for(
    psps: list[tuple[RunningPsp, str]],
    *,
    method: str = "card",
    breaker: dict[str, Any] | None = None,
    withdrawals: dict[str, Any] | None = None,
    timeout_seconds: float = 3.0,
    janitor: dict[str, Any] | None = None,
) -> PaymentsConfig:
    """One route for ``method``: the PSPs in the order given (priority 1, 2, ...)."""
    return PaymentsConfig.model_validate(
        {
            "psp": [
                {
                    "name": p.state.name,
                    "kind": p.state.kind.value,
                    "url": p.url,
                    "api_key": p.api_key,
                    "webhook_secret": p.webhook_secret,
                    "timeout_seconds": timeout_seconds,
                }
                for p, _ in psps
            ],
            "route": [
                {
                    "method": method,
                    "psps": [
                        {"psp": p.state.name, "priority": i + 1} for i, (p, _) in enumerate(psps)
                    ],
                }
            ],
            "breaker": breaker or {},
            "withdrawals": withdrawals or {},
            "janitor": janitor or {"first_check_seconds": 0.01},
        }
    )


def config_file(tmp_path: Path, config: PaymentsConfig) -> str:
    """The configuration as the TOML file ``CROUPIER_PAYMENTS_CONFIG`` names."""
    lines = []
    for p in config.psp:
        lines += [
            "[[psp]]",
            f'name = "{p.name}"',
            f'kind = "{p.kind}"',
            f'url = "{p.url}"',
            f'api_key = "{p.secret("api_key")}"',
            f'webhook_secret = "{p.secret("webhook_secret")}"',
            f"timeout_seconds = {p.timeout_seconds}",
            "",
        ]
    for r in config.route:
        lines += ["[[route]]", f'method = "{r.method}"']
        lines.append(
            "psps = ["
            + ", ".join(f'{{psp = "{t.psp}", priority = {t.priority}}}' for t in r.psps)
            + "]"
        )
        lines.append("")
    w = config.withdrawals
    lines.append("[withdrawals]")
    lines.append(
        "auto_approve_below = {"
        + ", ".join(f'{k} = "{v}"' for k, v in w.auto_approve_below.items())
        + "}"
    )
    lines.append(
        "four_eyes_from = {" + ", ".join(f'{k} = "{v}"' for k, v in w.four_eyes_from.items()) + "}"
    )
    lines += ["", "[janitor]", "first_check_seconds = 0.01", "every_seconds = 0"]
    path = tmp_path / "payments.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


@contextlib.contextmanager
def psps(*specs: tuple[str, str], **kwargs: Any) -> Iterator[list[RunningPsp]]:
    """Simulated PSPs (name, kind), serving for the block."""
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(RunningPsp(name, kind=kind, **kwargs)) for name, kind in specs]


def deposit_request(
    amount: int, *, card: str = CARD, client_id: str | None = None, **kw: Any
) -> service.DepositRequest:
    return service.DepositRequest(
        client_id=client_id or next_id(),
        amount=amount,
        currency="EUR",
        instrument=service.InstrumentIn(method="card", card_number=card),
        **kw,
    )


def deposit(
    db: Database, clock: Clock, runtime: PaymentsRuntime, player: PlayerView, amount: int, **kw: Any
) -> service.PaymentView:
    return orchestration.deposit(db, clock, runtime, player.id, deposit_request(amount, **kw))


def balance(db: Database, player: PlayerView) -> int:
    with db.read_only() as s:
        return get_balance(s, player.cash_account_id).posted


def available(db: Database, player: PlayerView) -> int:
    with db.read_only() as s:
        return get_balance(s, player.cash_account_id).available


def ledger_ok(db: Database) -> bool:
    with db.read_only() as s:
        violations = verify_ledger(s)
    assert violations == [], violations
    return True


def counts(db: Database) -> tuple[int, int, int]:
    """(payments, transitions, ledger transfers): for showing that nothing moved."""
    with db.read_only() as s:
        return (
            int(s.scalar(select(func.count()).select_from(Payment)) or 0),
            int(s.scalar(select(func.count()).select_from(PaymentTransition)) or 0),
            int(s.scalar(select(func.count()).select_from(LedgerTransfer)) or 0),
        )


def status_of(db: Database, payment_id: str) -> str:
    with db.read_only() as s:
        payment = s.get(Payment, payment_id)
        assert payment is not None
        return payment.status


def wait_until(check: Callable[[], bool], timeout: float = 10.0, every: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        time.sleep(every)


@dataclass
class Janitor:
    """Runs janitor passes until a payment is final (the backoff is tiny in tests)."""

    db: Database
    clock: Clock
    runtime: PaymentsRuntime
    passes: list[int] = field(default_factory=list)

    def until(self, payment_id: str, *states: str, timeout: float = 10.0) -> str:
        def done() -> bool:
            if isinstance(self.clock, ManualClock):
                self.clock.advance(timedelta(seconds=60))  # past any backoff
            self.passes.append(orchestration.janitor_pass(self.db, self.clock, self.runtime))
            return status_of(self.db, payment_id) in states

        wait_until(done, timeout, every=0.05)
        return status_of(self.db, payment_id)
