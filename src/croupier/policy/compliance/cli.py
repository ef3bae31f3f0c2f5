"""``croupier sanctions``: load sanctions lists, show them, screen a name."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from croupier.kernel.cli import JsonFlag, cli_actor, cli_database, emit
from croupier.policy.compliance import sanctions

sanctions_app = typer.Typer(help="Sanctions lists and screening.", no_args_is_help=True)


@sanctions_app.command("load")
def sanctions_load(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The list file.")],
    source_format: Annotated[
        sanctions.ListFormat, typer.Option("--format", help="un-xml or ofac-csv.")
    ],
    name: Annotated[str, typer.Option(help="The list's name, e.g. un or ofac-sdn.")],
    purpose: Annotated[
        sanctions.ListPurpose,
        typer.Option(help="sanctions (a hit holds the account) or pep (enhanced due diligence)."),
    ] = sanctions.ListPurpose.SANCTIONS,
    rescreen: Annotated[bool, typer.Option(help="Screen every player again.")] = True,
    as_json: JsonFlag = False,
) -> None:
    """Load (or replace) a sanctions list, then screen every player against all lists."""
    with cli_database() as (_settings, database, clock):
        with database.unit_of_work() as session:
            count = sanctions.load_list(
                session,
                clock,
                name,
                file.read_bytes(),
                source_format,
                actor=cli_actor(),
                purpose=purpose,
            )
        typer.echo(f"list {name}: {count} names loaded", err=True)
        held = 0
        if rescreen:
            typer.echo("screening every player ...", err=True)
            with database.unit_of_work() as session:
                held = sanctions.rescreen_all(session, clock)
        emit(
            as_json,
            {"list": name, "entries": count, "players_with_hits": held},
            f"list {name}: {count} names; {held} players with hits (cases opened)",
        )


@sanctions_app.command("status")
def sanctions_status(as_json: JsonFlag = False) -> None:
    """The loaded lists with their sizes and digests."""
    with cli_database() as (_settings, database, _clock), database.read_only() as session:
        rows = sanctions.list_status(session)
        emit(
            as_json,
            {"lists": [{"name": n, "format": f, "entries": e, "sha256": d} for n, f, e, d in rows]},
            "\n".join(f"{n:<12} {f:<9} {e:>7} names  sha256 {d[:16]}" for n, f, e, d in rows)
            or "no lists loaded",
        )


@sanctions_app.command("screen")
def sanctions_screen(
    name: Annotated[str, typer.Argument(help="A name to screen.")],
    threshold: Annotated[float, typer.Option(min=50, max=100)] = sanctions.DEFAULT_THRESHOLD,
    as_json: JsonFlag = False,
) -> None:
    """Screen one name against the loaded lists (nothing is recorded)."""
    with cli_database() as (_settings, database, _clock), database.read_only() as session:
        hits = sanctions.screen_name(session, name, threshold)
        emit(
            as_json,
            {
                "name": name,
                "hits": [
                    {
                        "list": h.list_name,
                        "reference": h.reference,
                        "name": h.listed_name,
                        "score": h.score,
                    }
                    for h in hits
                ],
            },
            "\n".join(f"{h.score:5.1f}  {h.list_name}:{h.reference}  {h.listed_name}" for h in hits)
            or "no hits",
        )
