"""``croupier operator``: create staff accounts, list them, lift a login lock."""

from __future__ import annotations

from typing import Annotated

import typer

from croupier.backoffice.operators import service
from croupier.core.players import brand_by_code
from croupier.kernel.cli import JsonFlag, cli_actor, cli_database, emit
from croupier.kernel.credentials import password_hasher

operator_app = typer.Typer(help="Staff accounts of the back office.", no_args_is_help=True)


@operator_app.command("create")
def operator_create(
    email: Annotated[str, typer.Option(help="The operator's email (their login).")],
    role: Annotated[
        str, typer.Option(help="admin, compliance, finance, support, trader or auditor.")
    ],
    brand: Annotated[
        str | None, typer.Option(help="Brand code, for roles that work for one brand.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a staff account and print its password and TOTP secret, once."""
    with cli_database() as (settings, database, clock):
        hasher = password_hasher(
            time_cost=settings.password_hash_time_cost,
            memory_kib=settings.password_hash_memory_kib,
        )
        with database.unit_of_work() as session:
            brand_id = brand_by_code(session, brand).id if brand else None
            created = service.create_operator(
                session,
                clock,
                hasher,
                email=email,
                role_name=role,
                brand_id=brand_id,
                actor=cli_actor(),
            )
        op = created.operator
        emit(
            as_json,
            {
                "operator_id": op.id,
                "email": op.email,
                "role": op.role.value,
                "brand_id": op.brand_id,
                "password": created.password,
                "totp_secret": created.totp_secret,
                "otpauth_uri": created.otpauth_uri,
            },
            f"operator {op.id} ({op.email}, {op.role.value}) created.\n"
            f"  password:    {created.password}\n"
            f"  TOTP secret: {created.totp_secret}\n"
            f"  otpauth URI: {created.otpauth_uri}\n"
            "These are shown once: hand them over now. "
            "Log in at POST /api/v1/backoffice/auth/login.",
        )


@operator_app.command("unlock")
def operator_unlock(
    email: Annotated[str, typer.Option(help="The locked operator's email.")],
    as_json: JsonFlag = False,
) -> None:
    """Lift a staff login lock (after three failed logins)."""
    with cli_database() as (_settings, database, clock), database.unit_of_work() as session:
        op = service.unlock_operator(session, clock, email, actor=cli_actor())
        emit(as_json, {"operator_id": op.id, "locked": False}, f"operator {op.email} unlocked")


@operator_app.command("list")
def operator_list(as_json: JsonFlag = False) -> None:
    """List staff accounts with their roles."""
    with cli_database() as (_settings, database, _clock), database.read_only() as session:
        ops = service.list_operators(session)
        emit(
            as_json,
            {
                "operators": [
                    {
                        "operator_id": o.id,
                        "email": o.email,
                        "role": o.role.value,
                        "brand_id": o.brand_id,
                        "locked": o.locked,
                    }
                    for o in ops
                ]
            },
            "\n".join(
                f"{o.id}  {o.email:<32} {o.role.value:<11} {o.brand_id or 'all brands'}"
                + ("  LOCKED" if o.locked else "")
                for o in ops
            )
            or "no operators",
        )
