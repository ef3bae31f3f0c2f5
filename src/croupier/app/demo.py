"""Demo data for ``make run``: loaded idempotently, so running it twice changes nothing."""

from __future__ import annotations

from croupier.core.wallet import AccountKind, platform_account
from croupier.kernel.clock import Clock
from croupier.kernel.db import Database

DEMO_CURRENCIES = ("EUR", "USD", "GBP")


def load_demo_data(database: Database, clock: Clock) -> dict[str, str]:
    """Open the platform accounts a demo needs; returns their ids by name."""
    opened: dict[str, str] = {}
    with database.unit_of_work() as session:
        for code in DEMO_CURRENCIES:
            for kind, name in (
                (AccountKind.HOUSE, "house"),
                (AccountKind.SANDBOX_FUNDING, "sandbox"),
                (AccountKind.PROMOTIONS, "promotions"),
            ):
                account = platform_account(session, clock, kind=kind, currency_code=code, name=name)
                opened[f"{kind.value}:{code}"] = account.id
    return opened
