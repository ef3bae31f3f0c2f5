"""``croupier sportsbook``: the daily void report, and a check of the kept exposure.

croupier sportsbook void-report --date 2026-11-23 [--json]
croupier sportsbook exposure-check [--json]
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Annotated

import typer

from croupier.kernel.cli import JsonFlag, cli_database, emit
from croupier.products.sportsbook import exposure, settlement

sportsbook_app = typer.Typer(
    help="Sportsbook: the daily void report, the exposure check.", no_args_is_help=True
)


@sportsbook_app.command("void-report")
def void_report_command(
    day: Annotated[str, typer.Option("--date", help="The day, YYYY-MM-DD (UTC).")],
    as_json: JsonFlag = False,
) -> None:
    """The bets with a void settled on DATE, with who voided them and why (the daily void
    report; Louisiana VI-909, GLI-33). Schedule it once a day for the day before."""
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        typer.echo("error: the date is written YYYY-MM-DD.", err=True)
        raise typer.Exit(2) from None
    with cli_database() as (_settings, database, _clock), database.read_only() as session:
        lines = settlement.void_report(
            session, datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC)
        )
    text = [f"{parsed}: {len(lines)} voided bets"] + [
        f"  {v.bet_id} player={v.player_id} stake={v.stake} returned={v.returned} "
        f"by={v.voided_by} reason={v.reason!r} at={v.settled_at or '-'}"
        for v in lines
    ]
    emit(as_json, {"date": parsed.isoformat(), "bets": [asdict(v) for v in lines]}, "\n".join(text))


@sportsbook_app.command("exposure-check")
def exposure_check_command(as_json: JsonFlag = False) -> None:
    """Compare each selection's kept exposure (open stakes and liability) with the sum over
    its open bets. Exit status 1 when one differs (then placing bets caps stakes wrongly:
    see the operations guide)."""
    with cli_database() as (_settings, database, _clock), database.snapshot() as session:
        drift = exposure.drift(session)
    text = (
        ["the kept exposure equals the open bets' sums"]
        if not drift
        else [f"{len(drift)} selections differ:"]
        + [
            f"  {sid} kept stakes={kept[0]} liability={kept[1]}; "
            f"open bets stakes={summed[0]} liability={summed[1]}"
            for sid, kept, summed in drift
        ]
    )
    emit(
        as_json,
        {
            "ok": not drift,
            "differences": [
                {"selection_id": sid, "kept": list(kept), "open_bets": list(summed)}
                for sid, kept, summed in drift
            ],
        },
        "\n".join(text),
    )
    if drift:
        raise typer.Exit(1)
