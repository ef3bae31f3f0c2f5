"""Helpers for ledger tests: opening accounts, funding players, snapshotting balances."""

from __future__ import annotations

from sqlalchemy import func, select

from croupier.core.wallet.models import AccountKind, LedgerTransfer
from croupier.core.wallet.service import (
    Account,
    NewTransfer,
    create_transfers,
    get_account,
    open_account,
    platform_account,
    verify_ledger,
)
from croupier.kernel.clock import Clock
from croupier.kernel.db import Database


def open_player(db: Database, clock: Clock, currency: str = "EUR", funds: int = 0) -> str:
    with db.unit_of_work() as s:
        acc = open_account(
            s, clock, kind=AccountKind.PLAYER_CASH, currency_code=currency, owner_id="ply_test"
        )
        if funds:
            funding = platform_account(
                s, clock, kind=AccountKind.SANDBOX_FUNDING, currency_code=currency, name="sandbox"
            )
            create_transfers(
                s,
                clock,
                [
                    NewTransfer(
                        id=f"fund-{acc.id}",
                        debit_account_id=funding.id,
                        credit_account_id=acc.id,
                        amount=funds,
                    )
                ],
            )[0].unwrap()
    return acc.id


def house(db: Database, clock: Clock, currency: str = "EUR") -> str:
    with db.unit_of_work() as s:
        return platform_account(
            s, clock, kind=AccountKind.HOUSE, currency_code=currency, name="house"
        ).id


def account(db: Database, account_id: str) -> Account:
    with db.read_only() as s:
        return get_account(s, account_id)


def snapshot(db: Database) -> tuple[tuple[tuple[str, int, int, int, int], ...], int]:
    """Every account's sums and the number of transfers: equal snapshots mean nothing moved."""
    from croupier.core.wallet.models import LedgerAccount

    with db.read_only() as s:
        rows = s.execute(
            select(
                LedgerAccount.id,
                LedgerAccount.debits_posted,
                LedgerAccount.debits_pending,
                LedgerAccount.credits_posted,
                LedgerAccount.credits_pending,
            ).order_by(LedgerAccount.id)
        ).all()
        count = s.execute(select(func.count()).select_from(LedgerTransfer)).scalar_one()
    return tuple(tuple(r) for r in rows), count  # type: ignore[misc]


def assert_ledger_verifies(db: Database) -> None:
    with db.read_only() as s:
        violations = verify_ledger(s)
    assert violations == [], "\n".join(map(str, violations))
