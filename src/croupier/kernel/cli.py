"""Kernel commands: ``croupier db``, ``croupier clock``, ``croupier audit``."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Annotated, Any

import typer

from croupier.kernel import migrations
from croupier.kernel.audit import verify_audit_chain
from croupier.kernel.clock import (
    Clock,
    clock_for,
    parse_duration,
    read_clock_offset,
    set_clock_offset,
)
from croupier.kernel.config import Settings, get_settings
from croupier.kernel.db import Database
from croupier.kernel.errors import DomainError

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object for machines.")]


@contextmanager
def cli_database() -> Iterator[tuple[Settings, Database, Clock]]:
    """The configured database and clock for one command; errors become clean messages."""
    settings = get_settings()
    database = Database(settings.database_url, pool_size=2)
    try:
        yield settings, database, clock_for(settings, database)
    except DomainError as exc:
        typer.echo(f"error: {exc.code}: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    finally:
        database.dispose()


def cli_actor() -> str:
    """Who runs this command, for the audit trail."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def emit(as_json: bool, payload: dict[str, Any], text: str) -> None:
    typer.echo(json.dumps(payload, default=str, sort_keys=True) if as_json else text)


db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
clock_app = typer.Typer(
    help="The platform clock (movable in dev and test only).", no_args_is_help=True
)
audit_app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply database migrations (creates the embedded SQLite file if needed)."""
    settings = get_settings()
    before = migrations.current_revision(settings.database_url)
    migrations.upgrade(settings.database_url, revision)
    after = migrations.current_revision(settings.database_url)
    typer.echo(f"database at revision {after} (was {before or 'empty'})", err=True)


@db_app.command("current")
def db_current(as_json: JsonFlag = False) -> None:
    """Show the database's migration revision and the newest one this release has."""
    settings = get_settings()
    current = migrations.current_revision(settings.database_url)
    head = migrations.head_revision(settings.database_url)
    emit(
        as_json,
        {"current": current, "head": head},
        f"current {current or 'empty'}, head {head}"
        + ("" if current == head else " (upgrade needed)"),
    )


@clock_app.command("show")
def clock_show(as_json: JsonFlag = False) -> None:
    """Print the platform time and its offset from the wall clock."""
    with cli_database() as (settings, database, clock):
        with database.read_only() as session:
            offset = read_clock_offset(session)
        emit(
            as_json,
            {
                "now": clock.now().isoformat(),
                "offset_seconds": int(offset.total_seconds()),
                "adjustable": settings.clock_is_adjustable,
            },
            f"{clock.now().isoformat()} (offset {offset})",
        )


@clock_app.command("advance")
def clock_advance(
    duration: Annotated[str, typer.Argument(help="e.g. 25h, 90m, 7d, 1h30m")],
    as_json: JsonFlag = False,
) -> None:
    """Move the platform clock forward (dev and test only; audited)."""
    with cli_database() as (settings, database, clock):
        delta = parse_duration(duration)
        with database.unit_of_work() as session:
            offset = set_clock_offset(
                session,
                clock,
                read_clock_offset(session) + delta,
                adjustable=settings.clock_is_adjustable,
                actor=cli_actor(),
            )
        now = clock_for(settings, database).now()
        emit(
            as_json,
            {"now": now.isoformat(), "offset_seconds": int(offset.total_seconds())},
            f"clock advanced by {delta}; platform time is {now.isoformat()} (offset {offset})",
        )


@clock_app.command("reset")
def clock_reset(as_json: JsonFlag = False) -> None:
    """Put the platform clock back on the wall clock (dev and test only; audited)."""
    with cli_database() as (settings, database, clock):
        with database.unit_of_work() as session:
            set_clock_offset(
                session,
                clock,
                timedelta(0),
                adjustable=settings.clock_is_adjustable,
                actor=cli_actor(),
            )
        emit(as_json, {"offset_seconds": 0}, "clock reset to the wall clock")


@audit_app.command("verify")
def audit_verify(as_json: JsonFlag = False) -> None:
    """Check the audit trail's hash chain; exit 1 if a record was altered or removed."""
    with cli_database() as (_settings, database, _clock):
        typer.echo("verifying the audit chain ...", err=True)
        with database.snapshot() as session:
            checked, violations = verify_audit_chain(session)
        emit(
            as_json,
            {"ok": not violations, "records": checked, "violations": [str(v) for v in violations]},
            "\n".join(
                [
                    f"audit chain: {checked} records, {len(violations)} violations",
                    *(f"  {v}" for v in violations),
                ]
            ),
        )
        if violations:
            sys.stdout.flush()
            raise typer.Exit(1)


keys_app = typer.Typer(help="Data keys that seal secrets at rest.", no_args_is_help=True)


@keys_app.command("generate")
def keys_generate(
    kid: Annotated[str, typer.Option(help="Key id (letters and digits), e.g. the date.")] = "k1",
) -> None:
    """Print a new entry for CROUPIER_DATA_KEYS ("kid:base64"). Put it first to seal new values
    with it; keep the old entries after it until nothing sealed with them remains."""
    from croupier.kernel.crypto import new_data_key

    if not kid.isalnum():
        typer.echo("error: the key id is letters and digits only", err=True)
        raise typer.Exit(2)
    typer.echo(f"{kid}:{new_data_key()}")
