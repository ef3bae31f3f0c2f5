"""``croupier provider`` and ``croupier game``: register game providers and their games.

``croupier provider add acme --protocol caleta --public-key acme.pem`` registers the key that
verifies acme's signatures; ``croupier game add --provider acme --code sweet-7 --name "Sweet
7"`` adds one of its games to the catalogue. Both are audited. ``croupier dev game-session``
(registered under ``croupier dev`` by the app) issues a game session token for integrators;
``croupier games rtp`` and ``croupier games close-stale-rounds`` (registered under ``croupier
games``) compare actual with theoretical RTP and close provider rounds left open.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from croupier.core.players.cli import SandboxUnavailable
from croupier.kernel.cli import JsonFlag, cli_actor, cli_database, emit
from croupier.kernel.config import Environment
from croupier.products.aggregation import jobs, rtp, service, sessions

provider_app = typer.Typer(help="Third-party game providers and their keys.", no_args_is_help=True)
game_app = typer.Typer(help="The game catalogue of every provider.", no_args_is_help=True)


def _provider_payload(view: service.ProviderView) -> dict[str, object]:
    return {
        "name": view.name,
        "protocol": view.protocol,
        "public_key_sha256": view.public_key_sha256,
        "enabled": view.enabled,
        "launch_url": view.launch_url,
        "created_at": view.created_at.isoformat() if view.created_at else None,
    }


def _game_payload(game: service.CatalogueGame) -> dict[str, object]:
    return {
        "id": game.id,
        "provider": game.provider,
        "code": game.code,
        "name": game.name,
        "category": game.category,
        "rtp": game.rtp,
        "jurisdictions": game.jurisdictions,
        "blocked_countries": game.blocked_countries,
        "in_house": game.in_house,
        "enabled": game.enabled,
    }


@provider_app.command("add")
def provider_add(
    name: Annotated[str, typer.Argument(help="Lower-case letters, digits, hyphens (in URLs).")],
    protocol: Annotated[str, typer.Option(help="The provider's wallet protocol: caleta or hub88.")],
    public_key: Annotated[
        Path,
        typer.Option("--public-key", metavar="PEM_FILE", help="RSA public key (PEM, 2048+ bits)."),
    ],
    launch_url: Annotated[
        str | None,
        typer.Option(
            "--launch-url",
            metavar="URL",
            help="Where players are sent to play (https; http outside production). Without "
            "one its games cannot be launched.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Register a game provider and the public key that verifies its signatures (audited)."""
    try:
        pem = public_key.read_bytes()
    except OSError as exc:
        typer.echo(f"error: cannot read {public_key}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None
    with cli_database() as (settings, database, clock):
        with database.unit_of_work() as session:
            view = service.add_provider(
                session,
                clock,
                name=name,
                protocol=protocol,
                public_key_pem=pem,
                launch_url=launch_url,
                allow_http_launch_url=settings.env is not Environment.PRODUCTION,
                actor=cli_actor(),
            )
        emit(
            as_json,
            _provider_payload(view),
            f"provider {view.name} registered ({view.protocol}; key sha256 "
            f"{view.public_key_sha256})",
        )


@provider_app.command("list")
def provider_list(as_json: JsonFlag = False) -> None:
    """Every game provider, the in-house one first."""
    with cli_database() as (_settings, database, _clock):
        with database.read_only() as session:
            views = service.list_providers(session)
        rows = [_provider_payload(v) for v in views]
        emit(
            as_json,
            {"providers": rows},
            "\n".join(
                f"{v.name:<24} {v.protocol:<10} {'enabled' if v.enabled else 'disabled':<9} "
                f"{v.public_key_sha256 or '-'}"
                for v in views
            ),
        )


@game_app.command("add")
def game_add(
    provider: Annotated[str, typer.Option(help="The provider's name.")],
    code: Annotated[str, typer.Option(help="The provider's code for the game.")],
    name: Annotated[str, typer.Option(metavar="TITLE", help="The game's title.")],
    category: Annotated[
        str, typer.Option(help=f"One of: {', '.join(service.CATEGORIES)}.")
    ] = "other",
    rtp: Annotated[
        str | None, typer.Option(help="Theoretical RTP in percent, exact (e.g. 96.5).")
    ] = None,
    jurisdiction: Annotated[
        list[str] | None,
        typer.Option(help="A jurisdiction where it may be offered (repeat; none: any)."),
    ] = None,
    blocked_country: Annotated[
        list[str] | None,
        typer.Option(help="An ISO country where it must not be offered (repeat)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a provider's game to the catalogue (audited)."""
    with cli_database() as (_settings, database, clock):
        with database.unit_of_work() as session:
            game = service.add_game(
                session,
                clock,
                provider=provider,
                code=code,
                name=name,
                category=category,
                rtp=rtp,
                jurisdictions=jurisdiction,
                blocked_countries=blocked_country,
                actor=cli_actor(),
            )
        emit(
            as_json,
            _game_payload(game),
            f"game {game.code} ({game.name}, {game.category}) added to {game.provider}",
        )


@game_app.command("list")
def game_list(
    provider: Annotated[str | None, typer.Option(help="Only this provider's games.")] = None,
    category: Annotated[str | None, typer.Option(help="Only this category.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The catalogue: in-house titles (provider croupier) and every provider's games."""
    with cli_database() as (_settings, database, _clock):
        with database.read_only() as session:
            games = service.catalogue(
                session, provider=provider, category=category, include_disabled=True
            )
        emit(
            as_json,
            {"games": [_game_payload(g) for g in games]},
            "\n".join(
                f"{g.provider:<16} {g.code:<24} {g.category:<12} {g.rtp or '-':>8}  {g.name}"
                for g in games
            ),
        )


def dev_game_session(
    player: Annotated[str, typer.Option(metavar="ID", help="The player's id.")],
    provider: Annotated[str, typer.Option(metavar="NAME", help="The provider's name.")],
    game: Annotated[str, typer.Option(metavar="CODE", help="The provider's code for the game.")],
    as_json: JsonFlag = False,
) -> None:
    """Issue a game session token for a player at a provider's game, as a launch would,
    for integrators and tests (refused in production; audited)."""
    with cli_database() as (settings, database, clock):
        if settings.env is Environment.PRODUCTION:
            raise SandboxUnavailable("croupier dev is for dev and test environments only.")
        with database.unit_of_work() as session:
            issued = sessions.open_sandbox_session(
                session,
                clock,
                player_id=player,
                provider=provider,
                game_code=game,
                actor=cli_actor(),
            )
        view = issued.session
        emit(
            as_json,
            {
                "token": issued.token,
                "session_id": view.id,
                "player_id": view.player_id,
                "provider": view.provider,
                "game": view.game_code,
                "expires_at": view.expires_at.isoformat(),
            },
            f"game session {view.id} for {view.player_id} at {view.provider}/{view.game_code} "
            f"until {view.expires_at.isoformat()}: token {issued.token}",
        )


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


def _rtp_line(f: rtp.RtpFigures) -> str:
    theoretical = _percent(f.theoretical_rtp_low)
    if f.theoretical_rtp_high != f.theoretical_rtp_low:
        theoretical += f"-{_percent(f.theoretical_rtp_high)}"
    interval = (
        "-"
        if f.interval_low is None
        else f"{_percent(f.interval_low)}..{_percent(f.interval_high)}"
    )
    status = "ALERT" if f.status is rtp.RtpStatus.OUTSIDE else f.status.value
    return (
        f"{f.provider:<16} {f.game_code:<24} {f.currency:<5} {f.rounds:>9} "
        f"{_percent(f.actual_rtp):>8} {theoretical:>15} {interval:>17}  {status}"
    )


def games_rtp(
    provider: Annotated[str | None, typer.Option(help="Only this provider's games.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Actual against theoretical RTP per game and per provider (game *), per currency
    (GLI-19 A.6). A game outside its 99 % interval raises an alert, once (audited); the exit
    status is 1 while any game is outside."""
    with cli_database() as (_settings, database, clock), database.unit_of_work() as session:
        figures = rtp.check_rtp(session, clock, provider=provider, actor=cli_actor())
    header = (
        f"{'provider':<16} {'game':<24} {'cur':<5} {'rounds':>9} {'actual':>8} "
        f"{'theoretical':>15} {'99% interval':>17}  status"
    )
    lines = [header, *map(_rtp_line, figures)] if figures else ["No Activity"]
    emit(as_json, {"games": [asdict(f) for f in figures]}, "\n".join(lines))
    if any(f.status is rtp.RtpStatus.OUTSIDE for f in figures):
        raise typer.Exit(1)


def games_close_stale_rounds(
    older_than_hours: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Rounds open longer than this (default: CROUPIER_PROVIDER_ROUND_MAX_AGE_HOURS, "
            "48).",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Close the provider rounds left open too long, as closed by timeout: no money moves
    (a win that still comes is paid); each closure is audited."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn

    with cli_database() as (settings, database, clock):
        hours = older_than_hours or settings.provider_round_max_age_hours
        with Progress(
            SpinnerColumn(),
            TextColumn("stale provider rounds closed: {task.completed}"),
            console=Console(stderr=True),  # standard output stays clean for --json
            transient=True,
        ) as bar:
            task = bar.add_task("closing", total=None)
            report = jobs.close_all_stale_rounds(
                database,
                clock,
                max_age=timedelta(hours=hours),
                progress=lambda n: bar.advance(task, n),
                actor=cli_actor(),
            )
    emit(
        as_json,
        {
            "closed": len(report.closed),
            "round_ids": report.closed,
            "opened_before": report.opened_before.isoformat(),
            "max_age_hours": hours,
        },
        f"closed {len(report.closed)} provider rounds opened before "
        f"{report.opened_before.isoformat()} (open longer than {hours} hours)",
    )
