"""Helpers for policy tests: verified players in a jurisdiction, and ledger activity."""

from __future__ import annotations

import contextlib
import itertools
from datetime import date

from croupier.core.players import PlayerView, Registration, activate_player, get_player
from croupier.core.players.errors import BrandExists
from croupier.core.players.service import register_player
from croupier.core.wallet import AccountKind, NewTransfer, create_transfers, platform_account
from croupier.kernel.clock import Clock
from croupier.kernel.db import Database
from tests.core.players.player_fixtures import PASSWORD, make_brand
from tests.http_fixtures import fast_hasher

_numbers = itertools.count()
UNIT = 1_000_000  # one unit of a fiat currency in ledger units


def player_in(
    db: Database,
    clock: Clock,
    country: str,
    *,
    region: str | None = None,
    currency: str = "EUR",
    born: date = date(1990, 1, 1),
    active: bool = True,
) -> PlayerView:
    """A registered (and, by default, verified and active) player living in ``country``."""
    n = next(_numbers)
    with contextlib.suppress(BrandExists):
        make_brand(db, clock, currencies=("EUR", "GBP", "SEK", "USD", "CAD", "DKK"))
    with db.unit_of_work() as s:
        player = register_player(
            s,
            clock,
            fast_hasher(),
            Registration(
                brand_code="luckystar",
                email=f"p{n}@example.com",
                password=PASSWORD,
                legal_name=f"Player Number{n}",
                date_of_birth=born,
                address_line="1 Main Street",
                city="Town",
                postcode=f"P{n}",
                country=country,
                region=region,
                currency=currency,
            ),
        )
        if active:
            activate_player(s, clock, player.id, actor="test", reason="verified")
        return get_player(s, player.id, brand_scope=None)


def move(db: Database, clock: Clock, player: PlayerView, code: str, amount: int) -> None:
    """Ledger activity of the player's cash account: a deposit or a win credits it, a bet or a
    withdrawal debits it (each a real ledger transfer with that code)."""
    with db.unit_of_work() as s:
        other = platform_account(
            s,
            clock,
            kind=AccountKind.SANDBOX_FUNDING if code == "deposit" else AccountKind.HOUSE,
            currency_code=player.currency,
            name="sandbox" if code == "deposit" else "house",
        )
        debit, credit = (
            (player.cash_account_id, other.id)
            if code in ("bet", "withdrawal")
            else (other.id, player.cash_account_id)
        )
        create_transfers(
            s,
            clock,
            [
                NewTransfer(
                    id=f"{code}:{player.id}:{next(_numbers)}",
                    debit_account_id=debit,
                    credit_account_id=credit,
                    amount=amount,
                    code=code,
                )
            ],
        )[0].unwrap()
