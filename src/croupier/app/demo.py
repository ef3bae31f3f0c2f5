"""Demo data for ``make run``: loaded idempotently, so running it twice changes nothing.

Always: the platform accounts and the ``demo`` brand. In ``dev`` and ``test`` only, also
logins with fixed credentials (README.md lists them): an admin operator and a funded player.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from croupier.backoffice.operators import create_operator
from croupier.backoffice.operators.service import operator_by_email
from croupier.core.players import DuplicatePersonPolicy, Registration, create_brand
from croupier.core.players.errors import BrandNotFound
from croupier.core.players.models import Player
from croupier.core.players.service import brand_by_code, create_sandbox_player
from croupier.core.wallet import AccountKind, platform_account
from croupier.kernel.clock import Clock
from croupier.kernel.config import Settings
from croupier.kernel.credentials import password_hasher
from croupier.kernel.db import Database
from croupier.kernel.jurisdictions import JURISDICTIONS

DEMO_CURRENCIES = ("EUR", "USD", "GBP")
DEMO_BRAND: Final = "demo"
DEMO_ADMIN_EMAIL: Final = "admin@croupier.test"
DEMO_ADMIN_PASSWORD: Final = "demo-admin-password"  # noqa: S105 (dev and test only)
DEMO_ADMIN_TOTP_SECRET: Final = "CROUPIERDEMOADMINTOTPSECRETAAAAA"  # noqa: S105
DEMO_PLAYER_EMAIL: Final = "player@croupier.test"
DEMO_PLAYER_PASSWORD: Final = "demo-player-password"  # noqa: S105 (dev and test only)
DEMO_PLAYER_BALANCE: Final = 100_000_000  # 100.00 EUR
ACTOR: Final = "system:demo"


def _demo_brand(session: Session, clock: Clock) -> str:
    try:
        return brand_by_code(session, DEMO_BRAND).id
    except BrandNotFound:
        return create_brand(
            session,
            clock,
            code=DEMO_BRAND,
            name="Demo Casino",
            currencies=DEMO_CURRENCIES,
            jurisdictions=sorted(JURISDICTIONS),
            duplicate_person_policy=DuplicatePersonPolicy.FLAG,
            actor=ACTOR,
        ).id


def load_demo_data(database: Database, clock: Clock, settings: Settings) -> dict[str, str]:
    """Open the platform accounts and the demo brand (and, in dev and test, the demo logins);
    returns what exists by name."""
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
        opened["brand:demo"] = _demo_brand(session, clock)
    if not settings.clock_is_adjustable:
        return opened
    hasher = password_hasher(
        time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib
    )
    with database.unit_of_work() as session:
        admin = operator_by_email(session, DEMO_ADMIN_EMAIL)
        opened["operator:admin"] = (
            admin.id
            if admin is not None
            else create_operator(
                session,
                clock,
                hasher,
                email=DEMO_ADMIN_EMAIL,
                role_name="admin",
                brand_id=None,
                actor=ACTOR,
                password=DEMO_ADMIN_PASSWORD,
                totp_secret=DEMO_ADMIN_TOTP_SECRET,
            ).operator.id
        )
    with database.unit_of_work() as session:
        existing = session.scalar(
            select(Player.id).where(
                Player.brand_id == opened["brand:demo"], Player.email == DEMO_PLAYER_EMAIL
            )
        )
        if existing is not None:
            opened["player:demo"] = existing
            return opened
        player = create_sandbox_player(
            session,
            clock,
            hasher,
            Registration(
                brand_code=DEMO_BRAND,
                email=DEMO_PLAYER_EMAIL,
                password=DEMO_PLAYER_PASSWORD,
                legal_name="Demo Player",
                date_of_birth=date(1990, 1, 1),
                address_line="1 Republic Street",
                city="Valletta",
                postcode="VLT 1117",
                country="MT",
                region=None,
                currency="EUR",
            ),
            balance=DEMO_PLAYER_BALANCE,
            actor=ACTOR,
        )
        opened["player:demo"] = player.id
    return opened
