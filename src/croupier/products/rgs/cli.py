"""``croupier fair``: verify a provably fair round from its revealed seeds (PROTOCOLS.md §1).

The same derivation the games use, so a player, an auditor or a test lab can recompute any
round offline: ``croupier fair verify dice --server-seed S --client-seed C --nonce 7 --json``.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from croupier.kernel.cli import JsonFlag
from croupier.kernel.errors import DomainError
from croupier.products.rgs.fair import commitment
from croupier.products.rgs.verification import GAMES, verify

fair_app = typer.Typer(
    help="Provably fair rounds: verify an outcome, compute a commitment.", no_args_is_help=True
)


def _fail(exc: DomainError) -> typer.Exit:
    typer.echo(f"error: {exc.code}: {exc.detail}", err=True)
    return typer.Exit(2)


@fair_app.command("verify")
def fair_verify(
    game: Annotated[str, typer.Argument(help=f"One of: {', '.join(GAMES)}.")],
    server_seed: Annotated[str, typer.Option(help="The revealed server seed (64 hex).")],
    client_seed: Annotated[str, typer.Option(help="The player's client seed.")],
    nonce: Annotated[int, typer.Option(help="The round's nonce (0 for the first round).")],
    count: Annotated[int | None, typer.Option(help="cards, deck: how many (default 52).")] = None,
    mines: Annotated[int | None, typer.Option(help="mines: how many (default 3).")] = None,
    rows: Annotated[int | None, typer.Option(help="plinko: rows, 8-16 (default 16).")] = None,
    segments: Annotated[int | None, typer.Option(help="wheel: segments (default 10).")] = None,
    title: Annotated[str | None, typer.Option(help="slots: the title's code.")] = None,
    spins: Annotated[
        int | None, typer.Option(help="slots: spins to read, base spin first (default 1).")
    ] = None,
    difficulty: Annotated[
        str | None, typer.Option(help="tower: easy, medium, hard, expert or master.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """The outcome of one round, as the game computed it."""
    try:
        outcome = verify(
            game,
            server_seed,
            client_seed,
            nonce,
            count=count,
            mines=mines,
            rows=rows,
            segments=segments,
            title=title,
            spins=spins,
            difficulty=difficulty,
        )
    except DomainError as exc:
        raise _fail(exc) from None
    if as_json:
        typer.echo(json.dumps(outcome))
        return
    typer.echo(f"{game}  nonce {nonce}  commitment {commitment(server_seed)}")
    for key, value in outcome.items():
        shown = " ".join(str(v) for v in value) if isinstance(value, list) else value
        typer.echo(f"  {key}: {shown}")


@fair_app.command("commit")
def fair_commit(
    server_seed: Annotated[str, typer.Option(help="A server seed (64 hex).")],
    as_json: JsonFlag = False,
) -> None:
    """The commitment shown before play: sha256 of the server seed's hex text."""
    try:
        digest = commitment(server_seed)
    except DomainError as exc:
        raise _fail(exc) from None
    typer.echo(json.dumps({"hash": digest}) if as_json else digest)


games_app = typer.Typer(help="The in-house titles and their mathematics.", no_args_is_help=True)


@games_app.command("list")
def games_list(as_json: JsonFlag = False) -> None:
    """Every in-house title with its RTP range and top award."""
    from croupier.products.rgs.games.catalogue import TITLES, par_sheets

    rows = []
    for code, t in TITLES.items():
        sheets = par_sheets(code)
        rows.append(
            {
                "code": code,
                "name": t.name,
                "mechanic": t.mechanic,
                "rtp_min": float(min(s.rtp for s in sheets)),
                "rtp_max": float(max(s.rtp for s in sheets)),
                "max_multiplier": float(max(s.max_multiplier for s in sheets)),
            }
        )
    if as_json:
        typer.echo(json.dumps(rows))
        return
    typer.echo(f"{'code':<20} {'mechanic':<10} {'RTP':>17} {'top award':>12}")
    for r in rows:
        rtp = f"{r['rtp_min']:.4%}–{r['rtp_max']:.4%}"
        typer.echo(f"{r['code']:<20} {r['mechanic']:<10} {rtp:>17} {r['max_multiplier']:>11,.2f}x")


@games_app.command("math")
def games_math(
    title_code: Annotated[str, typer.Argument(metavar="TITLE", help="A title's code.")],
    as_json: JsonFlag = False,
) -> None:
    """The PAR sheet: RTP (exact), hit and win frequency, volatility, top award and its
    probability, for every configuration a player can choose."""
    from croupier.products.rgs.games.catalogue import par_sheets, title

    try:
        t = title(title_code)
        sheets = par_sheets(title_code)
    except DomainError as exc:
        raise _fail(exc) from None
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "code": t.code,
                    "name": t.name,
                    "mechanic": t.mechanic,
                    "method": "exact (combinatorics)",
                    "configurations": [
                        {
                            "configuration": s.configuration,
                            "rtp": float(s.rtp),
                            "rtp_exact": str(s.rtp),
                            "hit_frequency": float(s.hit_frequency),
                            "win_frequency": float(s.win_frequency),
                            "volatility": s.volatility,
                            "max_multiplier": float(s.max_multiplier),
                            "max_probability": float(s.max_probability),
                        }
                        for s in sheets
                    ],
                }
            )
        )
        return
    typer.echo(f"PAR sheet: {t.name} ({t.code}), mechanic {t.mechanic}; exact, by combinatorics")
    typer.echo(
        f"{'configuration':<32} {'RTP':>9} {'hit':>8} {'win':>8} {'volatility':>10} "
        f"{'top award':>12} {'top 1 in':>14}"
    )
    for s in sheets:
        odds = f"{float(1 / s.max_probability):,.0f}" if s.max_probability else "never"
        typer.echo(
            f"{s.configuration[:32]:<32} {float(s.rtp):>9.4%} {float(s.hit_frequency):>8.2%} "
            f"{float(s.win_frequency):>8.2%} {s.volatility:>10.3f} "
            f"{float(s.max_multiplier):>11,.2f}x {odds:>14}"
        )


@games_app.command("complete-rounds")
def games_complete_rounds(
    idle_minutes: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="Rounds that have not moved for this long (default: "
            "CROUPIER_RGS_INTERRUPTED_AFTER_SECONDS, 10 minutes).",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Interrupted rounds (GLI-19 §4.16): play on those that need no input (free spins) to
    their end; list how many stay held for the player's choice and the stakes they hold."""
    from datetime import timedelta

    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from croupier.kernel.cli import cli_database
    from croupier.kernel.crypto import Keyring
    from croupier.products.rgs.jobs import complete_interrupted_rounds

    with cli_database() as (settings, database, clock):
        idle = (
            timedelta(minutes=idle_minutes)
            if idle_minutes is not None
            else timedelta(seconds=settings.rgs_interrupted_after_seconds)
        )
        with Progress(
            SpinnerColumn(),
            TextColumn("rounds examined: {task.completed}"),
            console=Console(stderr=True),
            transient=True,
        ) as bar:
            task = bar.add_task("rounds", total=None)
            report = complete_interrupted_rounds(
                database,
                clock,
                Keyring.of(settings),
                idle_for=idle,
                progress=lambda n: bar.advance(task, n),
            )
    payload = {
        "examined": report.examined,
        "completed": report.completed,
        "held": report.held,
        "failed": report.failed,
        "held_stakes": report.held_stakes,
    }
    if as_json:
        typer.echo(json.dumps(payload, sort_keys=True))
    else:
        typer.echo(
            f"examined {report.examined}: {len(report.completed)} completed, "
            f"{report.held} held for the player's choice, {len(report.failed)} failed"
        )
        for currency, held in sorted(report.held_stakes.items()):
            typer.echo(f"  held stakes {currency}: {held} ledger units")
    if report.failed:
        raise typer.Exit(1)
