"""``croupier crash``: the operator's hash chains, and settlement of crashed rounds.

``croupier crash chain create --length 1000000`` draws a secret seed, hashes it down to the
terminating hash ``h_0`` (with a progress bar), and prints ``h_0`` and the salt to publish
before the chain's first round.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from croupier.kernel.cli import JsonFlag, cli_actor, cli_database, emit
from croupier.kernel.crypto import Keyring
from croupier.products.rgs.crash import service
from croupier.products.rgs.crash.chain import DEFAULT_CHAIN_LENGTH
from croupier.products.rgs.crash.jobs import settle_crash_rounds

crash_app = typer.Typer(help="Crash: hash chains and settlement.", no_args_is_help=True)
chain_app = typer.Typer(help="The published hash chains of crash rounds.", no_args_is_help=True)
crash_app.add_typer(chain_app, name="chain")


def _chain_payload(view: service.ChainView) -> dict[str, object]:
    return {
        "id": view.id,
        "first_round": view.first_round,
        "last_round": view.last_round,
        "length": view.length,
        "terminating_hash": view.terminating_hash,
        "salt": view.salt,
        "created_at": view.created_at.isoformat(),
    }


@chain_app.command("create")
def chain_create(
    length: Annotated[
        int, typer.Option(help="Rounds the chain covers (each takes one hash).", min=1)
    ] = DEFAULT_CHAIN_LENGTH,
    salt: Annotated[
        str | None, typer.Option(help="The public salt (default: random). 1-64 ASCII, no ':'.")
    ] = None,
    salt_later: Annotated[
        bool,
        typer.Option(
            "--salt-later",
            help="Leave the salt unset: publish h_0 first, then `croupier crash chain salt`.",
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Create the hash chain of the next LENGTH rounds and print the terminating hash to
    publish (audited)."""
    with cli_database() as (settings, database, clock):
        keyring = Keyring.of(settings)
        with (
            typer.progressbar(length=length, label="hashing", file=sys.stderr) as bar,
            database.unit_of_work() as session,
        ):
            view = service.create_chain(
                session,
                clock,
                keyring,
                length=length,
                salt=salt,
                salt_later=salt_later,
                actor=cli_actor(),
                progress=bar.update,
            )
        emit(
            as_json,
            _chain_payload(view),
            f"chain {view.id}: rounds {view.first_round}-{view.last_round}\n"
            f"terminating hash (publish it now): {view.terminating_hash}\n"
            f"salt: {view.salt or '(not set: croupier crash chain salt ' + view.id + ' VALUE)'}",
        )


@chain_app.command("salt")
def chain_salt(
    chain_id: Annotated[str, typer.Argument(help="The chain's id (chn_...).")],
    value: Annotated[str, typer.Argument(help="The salt: 1-64 visible ASCII, no ':'.")],
    as_json: JsonFlag = False,
) -> None:
    """Set the salt of a chain created with --salt-later (once; audited)."""
    with cli_database() as (_settings, database, clock), database.unit_of_work() as session:
        view = service.set_salt(session, clock, chain_id, value, actor=cli_actor())
    emit(as_json, _chain_payload(view), f"chain {view.id}: salt {view.salt}")


@chain_app.command("show")
def chain_show(as_json: JsonFlag = False) -> None:
    """Every chain: its rounds, terminating hash and salt (the latest rounds first)."""
    with cli_database() as (_settings, database, _clock), database.read_only() as session:
        chains = service.list_chains(session)
    if as_json:
        emit(True, {"chains": [_chain_payload(c) for c in chains]}, "")
        return
    for c in chains:
        typer.echo(
            f"{c.id}  rounds {c.first_round}-{c.last_round}  h0 {c.terminating_hash}  "
            f"salt {c.salt or '(not set)'}"
        )


@crash_app.command("settle")
def crash_settle(as_json: JsonFlag = False) -> None:
    """Settle every crashed round that nobody has read since (credits its wins)."""
    with cli_database() as (settings, database, clock):
        settled = settle_crash_rounds(database, clock, Keyring.of(settings))
    emit(as_json, {"settled": settled}, f"{len(settled)} round(s) settled")
