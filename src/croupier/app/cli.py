"""The ``croupier`` command."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from croupier.app.demo import load_demo_data
from croupier.backoffice.operators.cli import operator_app
from croupier.core.players.cli import brand_app, dev_app
from croupier.core.wallet.cli import ledger_app
from croupier.kernel.cli import (
    JsonFlag,
    audit_app,
    cli_database,
    clock_app,
    db_app,
    emit,
    keys_app,
)
from croupier.kernel.config import get_settings
from croupier.kernel.jurisdictions.cli import jurisdictions_app
from croupier.kernel.rng.cli import app as rng_app
from croupier.policy.compliance.cli import sanctions_app
from croupier.policy.risk.cli import risk_app
from croupier.products.aggregation.cli import (
    dev_game_session,
    game_app,
    games_close_stale_rounds,
    games_rtp,
    provider_app,
)
from croupier.products.payments.cli import payments_app
from croupier.products.rgs.cli import fair_app, games_app
from croupier.products.rgs.crash.cli import crash_app
from croupier.products.sportsbook.cli import sportsbook_app

if TYPE_CHECKING:
    from croupier.simulators.caleta_game_server import Progress

app = typer.Typer(
    name="croupier",
    help="croupier: a real-money gaming platform. Configure with CROUPIER_* variables.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # never print secrets from a traceback's locals
)
app.add_typer(db_app, name="db")
app.add_typer(ledger_app, name="ledger")
app.add_typer(audit_app, name="audit")
app.add_typer(clock_app, name="clock")
app.add_typer(brand_app, name="brand")
app.add_typer(operator_app, name="operator")
app.add_typer(dev_app, name="dev")
app.add_typer(jurisdictions_app, name="jurisdictions")
app.add_typer(sanctions_app, name="sanctions")
app.add_typer(risk_app, name="risk")
app.add_typer(rng_app, name="rng")
app.add_typer(fair_app, name="fair")
app.add_typer(keys_app, name="keys")
app.add_typer(games_app, name="games")
app.add_typer(crash_app, name="crash")
app.add_typer(provider_app, name="provider")
# Sandbox commands live with their domain; ``croupier dev`` gathers them.
dev_app.command("game-session")(dev_game_session)
games_app.command("rtp")(games_rtp)
games_app.command("close-stale-rounds")(games_close_stale_rounds)
app.add_typer(game_app, name="game")
app.add_typer(payments_app, name="payments")
app.add_typer(sportsbook_app, name="sportsbook")
demo_app = typer.Typer(help="Demo data for trying croupier.", no_args_is_help=True)
app.add_typer(demo_app, name="demo")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Server processes (production).")] = 1,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs, health at /healthz, metrics at /metrics)."""
    import uvicorn

    from croupier.app.logging import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    typer.echo(
        f"croupier serving on http://{host}:{port} (env {settings.env.value}; "
        f"API docs at http://{host}:{port}/docs)",
        err=True,
    )
    uvicorn.run(
        "croupier.app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
    )


simulate_app = typer.Typer(
    help="Simulators of outside services, as real HTTP servers (for tests and demos).",
    no_args_is_help=True,
)
app.add_typer(simulate_app, name="simulate")


@simulate_app.command("exclusion-register")
def simulate_exclusion_register(
    name: Annotated[str, typer.Option(help="The register it plays: GAMSTOP, Spelpaus, ...")] = (
        "GAMSTOP"
    ),
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1.")] = 8701,
    api_key: Annotated[str, typer.Option(help="The API key it expects.")] = "test-key",
) -> None:
    """Serve a simulated national exclusion register (POST /v1/check; faults via /_faults)."""
    import uvicorn

    from croupier.simulators.exclusion_register import RegisterState, build_app

    typer.echo(f"{name} simulator on http://127.0.0.1:{port} (API key {api_key})", err=True)
    uvicorn.run(build_app(RegisterState(name=name, api_key=api_key)), host="127.0.0.1", port=port)


@simulate_app.command("kyc-vendor")
def simulate_kyc_vendor(
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1.")] = 8702,
    api_key: Annotated[str, typer.Option(help="The API key it expects.")] = "test-key",
    secret: Annotated[str, typer.Option(help="The secret it signs results with.")] = "test-secret",  # noqa: S107 (a simulator's default for local tests)
) -> None:
    """Serve a simulated KYC vendor (POST /v1/checks; signed results to the callback URL)."""
    import uvicorn

    from croupier.simulators.kyc_vendor import VendorState, build_app

    typer.echo(f"KYC vendor simulator on http://127.0.0.1:{port}", err=True)
    uvicorn.run(build_app(VendorState(api_key=api_key, secret=secret)), host="127.0.0.1", port=port)


@simulate_app.command("game-server")
def simulate_game_server(
    provider: Annotated[str, typer.Option(help="The provider's registered name.")],
    key: Annotated[
        Path,
        typer.Option(metavar="PEM_FILE", help="The provider's RSA private key (PEM) to sign with."),
    ],
    game: Annotated[str, typer.Option(metavar="CODE", help="The provider's code of the game.")],
    token: Annotated[
        list[str] | None,
        typer.Option(help="A game session token (repeat; one player each)."),
    ] = None,
    tokens_file: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Game session tokens, one a line.")
    ] = None,
    url: Annotated[str, typer.Option(help="The operator's base URL.")] = "http://127.0.0.1:8000",
    currency: Annotated[str, typer.Option(help="The players' currency.")] = "EUR",
    rounds: Annotated[
        int, typer.Option(min=0, help="Rounds to play, spread over the tokens.")
    ] = 100,
    concurrency: Annotated[
        int, typer.Option(min=1, help="Tokens played side by side (one round each at a time).")
    ] = 1,
    seed: Annotated[int, typer.Option(help="Seed of stakes and outcomes (reproducible).")] = 0,
    stakes: Annotated[
        str | None,
        typer.Option(help="Comma-separated stakes to draw from (default 0.10,0.20,0.50,1,2,5)."),
    ] = None,
    timeout: Annotated[float, typer.Option(min=0.01, help="Seconds per request.")] = 1.0,
    give_up_after: Annotated[
        float | None,
        typer.Option(
            metavar="SECONDS", help="Stop retrying a win or rollback after this (default: never)."
        ),
    ] = None,
    journal: Annotated[
        Path | None, typer.Option(metavar="PATH", help="Write the journal (JSON) here.")
    ] = None,
    progress_every: Annotated[
        float, typer.Option(metavar="SECONDS", help="Progress on stderr this often (0: none).")
    ] = 5.0,
    run_id: Annotated[
        str | None, typer.Option(help="Prefix of round ids and seed of transaction ids.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Play rounds against a Caleta seamless wallet as Caleta's game server would: signed,
    bets retried 3 times then rolled back, wins and rollbacks retried until they succeed.
    Exit status 0 when every round settled and the wallet's balances agree with the journal."""
    from croupier.simulators.caleta_game_server import (
        DEFAULT_STAKES,
        GameServer,
        GameServerConfig,
        parse_amount,
    )

    try:
        tokens = list(token or [])
        if tokens_file is not None:
            tokens += [t.strip() for t in tokens_file.read_text().splitlines() if t.strip()]
        stake_units = (
            tuple(parse_amount(s) for s in stakes.split(",")) if stakes else DEFAULT_STAKES
        )
        config = GameServerConfig(
            wallet_url=url,
            provider=provider,
            private_key_pem=key.read_bytes(),
            tokens=tokens,
            game_code=game,
            currency=currency,
            rounds=rounds,
            concurrency=concurrency,
            seed=seed,
            run_id=run_id,
            stakes=stake_units,
            timeout=timeout,
            give_up_after=give_up_after,
        )
        server = GameServer(
            config,
            on_progress=_report_progress if progress_every > 0 else None,
            progress_every=progress_every,
        )
    except (OSError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"game server {server.run_id}: {rounds} rounds of {game} at {url}/providers/{provider}, "
        f"{len(tokens)} token{'' if len(tokens) == 1 else 's'}",
        err=True,
    )
    played = server.run()
    if journal is not None:
        try:
            played.write(journal)
        except OSError as exc:
            typer.echo(f"error: cannot write the journal to {journal}: {exc}", err=True)
            raise typer.Exit(2) from None
    summary = played.summary()
    if journal is not None:
        summary["journal"] = str(journal)
    emit(
        as_json,
        summary,
        f"{summary['rounds']} rounds ({summary['rounds_settled']} settled): staked "
        f"{summary['staked']}, won {summary['won']}, {summary['bets_rolled_back']} bets rolled "
        f"back, {summary['retries']} retries; balances "
        f"{'agree' if summary['balances_agree'] else 'DISAGREE'} (amounts in 1/100000)",
    )
    if played.interrupted:
        raise typer.Exit(130)
    if not played.ok:
        raise typer.Exit(1)


def _report_progress(p: Progress) -> None:
    rate = p.rounds_done / p.elapsed if p.elapsed else 0.0
    typer.echo(
        f"{p.rounds_done}/{p.rounds_total} rounds ({rate:.0f}/s), {p.requests} requests, "
        f"{p.retries} retries, {p.bets_rolled_back} bets rolled back, "
        f"{p.waiting} waiting for the wallet",
        err=True,
    )


@app.command("psp-sim")
def psp_sim(
    name: Annotated[
        str, typer.Argument(help="The PSP's name; card, ewallet or instant also give the kind.")
    ],
    port: Annotated[int, typer.Option(help="TCP port.")],
    host: Annotated[
        str, typer.Option(help="Interface to bind (the fault panel has no auth: keep it local).")
    ] = "127.0.0.1",
    kind: Annotated[
        str | None,
        typer.Option(metavar="card|ewallet|instant", help="The PSP's kind (default: from NAME)."),
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(help="The API key it expects (default NAME-key, dev and test).")
    ] = None,
    webhook_secret: Annotated[
        str | None,
        typer.Option(help="The secret it signs webhooks with (default NAME-secret, dev and test)."),
    ] = None,
    webhook_url: Annotated[
        str | None, typer.Option(help="Where it POSTs webhooks (none: no webhooks).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of its fault dice (reproducible runs).")] = 0,
) -> None:
    """Serve a simulated payment service provider (docs/psp-simulator.md): payments, refunds,
    payouts, signed webhooks, a settlement CSV, and a fault panel at /admin/faults."""
    import uvicorn

    from croupier.simulators.psp import PspState, build_app, kind_for

    try:
        psp_kind = kind_for(name, kind)
    except ValueError as exc:
        typer.echo(f"error: {exc}; give --kind", err=True)
        raise typer.Exit(2) from None
    if (api_key is None or webhook_secret is None) and not get_settings().clock_is_adjustable:
        typer.echo("error: give --api-key and --webhook-secret outside dev and test", err=True)
        raise typer.Exit(2)
    state = PspState(
        name=name,
        kind=psp_kind,
        api_key=api_key or f"{name}-key",
        webhook_secret=webhook_secret or f"{name}-secret",
        webhook_url=webhook_url,
        seed=seed,
    )
    typer.echo(
        f"PSP simulator {name} ({psp_kind.value}) on http://{host}:{port} (API key "
        f"{state.api_key}; webhooks to {webhook_url or 'nowhere'}; faults at /admin/faults)",
        err=True,
    )
    uvicorn.run(build_app(state), host=host, port=port)


@app.command("feed-sim")
def feed_sim(
    port: Annotated[int, typer.Option(help="TCP port.")],
    host: Annotated[
        str, typer.Option(help="Interface to bind (the fault panel has no auth: keep it local).")
    ] = "127.0.0.1",
    matches: Annotated[
        int, typer.Option(min=0, help="Matches to play from the start (more: POST /admin/matches).")
    ] = 4,
    minute_ms: Annotated[
        int, typer.Option(min=1, help="Real milliseconds per match minute.")
    ] = 1000,
    kickoff_ms: Annotated[
        int, typer.Option(min=0, help="Milliseconds from start to the matches' kick-off.")
    ] = 10_000,
    danger_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Chance of a dangerous moment per minute.")
    ] = 0.04,
    seed: Annotated[int, typer.Option(help="Seed of the matches' dice (reproducible runs).")] = 0,
    nats_url: Annotated[
        str | None,
        typer.Option(help="Also publish every message to NATS here (subject feed.<event>.<type>)."),
    ] = None,
) -> None:
    """Serve a simulated live football feed (docs/sportsbook-feed.md): matches played minute by
    minute, odds, suspensions, goals and results as Server-Sent Events at /v1/stream, and a
    fault panel at /admin/faults."""
    import uvicorn

    from croupier.simulators.feed import FeedState, MatchIn, build_app

    try:
        state = FeedState(
            seed=seed, minute_ms=minute_ms, danger_rate=danger_rate, nats_url=nats_url
        )
    except RuntimeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    for _ in range(matches):
        state.add_match(MatchIn(kickoff_in_ms=kickoff_ms))
    typer.echo(
        f"feed simulator on http://{host}:{port}/v1/stream ({matches} matches, kick-off in "
        f"{kickoff_ms} ms, {minute_ms} ms a minute; NATS {nats_url or 'off'}; faults at "
        "/admin/faults)",
        err=True,
    )
    try:
        uvicorn.run(build_app(state), host=host, port=port, timeout_graceful_shutdown=1)
    finally:
        state.close()


@demo_app.command("load")
def demo_load(as_json: JsonFlag = False) -> None:
    """Load the demo data (idempotent)."""
    with cli_database() as (settings, database, clock):
        opened = load_demo_data(database, clock, settings)
        logins = (
            "; demo logins: see README.md" if "operator:admin" in opened else " (no demo logins)"
        )
        emit(as_json, opened, f"demo data loaded: the demo brand and platform accounts{logins}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
