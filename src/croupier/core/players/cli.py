"""``croupier brand`` (brands) and ``croupier dev`` (sandbox players for integrators)."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Annotated

import typer

from croupier.core.players import service
from croupier.core.players.models import DuplicatePersonPolicy
from croupier.kernel.cli import JsonFlag, cli_actor, cli_database, emit
from croupier.kernel.credentials import password_hasher, totp_code
from croupier.kernel.errors import Forbidden
from croupier.kernel.jurisdictions import JURISDICTIONS
from croupier.kernel.money import Money

brand_app = typer.Typer(help="Casino brands (tenants).", no_args_is_help=True)
dev_app = typer.Typer(
    help="Sandbox tools for integrators (refused in production).", no_args_is_help=True
)

DEMO_BRAND = "demo"


class SandboxUnavailable(Forbidden):
    code = "sandbox.unavailable"
    title = "Sandbox tools are refused when CROUPIER_ENV is production"


def _codes(text: str) -> list[str]:
    return [c.strip().upper() for c in text.split(",") if c.strip()]


@brand_app.command("create")
def brand_create(
    code: Annotated[str, typer.Option(help="Short lower-case code, e.g. 'luckystar'.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    currencies: Annotated[str, typer.Option(help="Comma-separated, e.g. EUR,GBP.")],
    jurisdictions: Annotated[
        str, typer.Option(help=f"Comma-separated, of {', '.join(JURISDICTIONS)}.")
    ],
    duplicates: Annotated[
        DuplicatePersonPolicy,
        typer.Option(help="A second account of the same person: refuse it or flag it."),
    ] = DuplicatePersonPolicy.REFUSE,
    as_json: JsonFlag = False,
) -> None:
    """Create a brand."""
    with cli_database() as (_settings, database, clock), database.unit_of_work() as session:
        brand = service.create_brand(
            session,
            clock,
            code=code,
            name=name,
            currencies=_codes(currencies),
            jurisdictions=_codes(jurisdictions),
            duplicate_person_policy=duplicates,
            actor=cli_actor(),
        )
        emit(
            as_json,
            {"brand_id": brand.id, "code": brand.code},
            f"brand {brand.code} created ({brand.id})",
        )


@brand_app.command("list")
def brand_list(as_json: JsonFlag = False) -> None:
    """List brands with their currencies and jurisdictions."""
    with cli_database() as (_settings, database, _clock), database.read_only() as session:
        brands = service.list_brands(session)
        emit(
            as_json,
            {
                "brands": [
                    {
                        "brand_id": b.id,
                        "code": b.code,
                        "name": b.name,
                        "currencies": list(b.currencies),
                        "jurisdictions": list(b.jurisdictions),
                    }
                    for b in brands
                ]
            },
            "\n".join(
                f"{b.code:<16} {b.id}  {','.join(b.currencies)}  {','.join(b.jurisdictions)}"
                for b in brands
            )
            or "no brands",
        )


@dev_app.command("player")
def dev_player(
    currency: Annotated[str, typer.Option(help="The player's currency.")] = "EUR",
    balance: Annotated[str, typer.Option(help="Starting balance, e.g. 100.00.")] = "0",
    brand: Annotated[str, typer.Option(help="Brand code.")] = DEMO_BRAND,
    as_json: JsonFlag = False,
) -> None:
    """Create an active, verified player funded from the sandbox funding account."""
    with cli_database() as (settings, database, clock):
        if not settings.clock_is_adjustable:
            raise SandboxUnavailable("croupier dev is for dev and test environments only.")
        amount = Money.parse(balance, currency).amount
        if amount < 0:
            raise SandboxUnavailable("A sandbox balance cannot be negative.")
        hasher = password_hasher(
            time_cost=settings.password_hash_time_cost,
            memory_kib=settings.password_hash_memory_kib,
        )
        suffix = secrets.token_hex(4)
        password = f"sandbox-{secrets.token_urlsafe(12)}"
        with database.unit_of_work() as session:
            brand_view = service.brand_by_code(session, brand)
            served = brand_view.jurisdictions
            place = JURISDICTIONS["MT" if "MT" in served else served[0]]
            player = service.create_sandbox_player(
                session,
                clock,
                hasher,
                service.Registration(
                    brand_code=brand,
                    email=f"sandbox-{suffix}@players.croupier.test",
                    password=password,
                    legal_name=f"Sandbox Player {suffix}",
                    date_of_birth=date(1990, 1, 1),
                    address_line="1 Test Street",
                    city="Testville",
                    postcode=f"T{suffix}",
                    country=place.country,
                    region=place.region,
                    currency=currency.upper(),
                ),
                balance=amount,
                actor=cli_actor(),
            )
        emit(
            as_json,
            {
                "player_id": player.id,
                "brand": brand,
                "email": player.email,
                "password": password,
                "currency": player.currency,
                "balance": amount,
                "balance_decimal": Money(amount, player.currency).to_decimal_string(),
                "cash_account_id": player.cash_account_id,
                "status": player.status.value,
            },
            f"player {player.id} ({player.email}, password {password}) in {brand} with "
            f"{Money(amount, player.currency)}",
        )


@dev_app.command("totp")
def dev_totp(
    secret: Annotated[str, typer.Argument(help="A base32 TOTP secret.")],
    as_json: JsonFlag = False,
) -> None:
    """Print the current code of a TOTP secret (like an authenticator app would)."""
    with cli_database() as (settings, _database, clock):
        if not settings.clock_is_adjustable:
            raise SandboxUnavailable("croupier dev is for dev and test environments only.")
        code = totp_code(secret, clock.now())
        emit(as_json, {"code": code}, code)
