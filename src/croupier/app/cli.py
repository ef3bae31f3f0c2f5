"""The ``croupier`` command."""

from __future__ import annotations

from typing import Annotated

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
from croupier.products.aggregation.cli import dev_game_session, game_app, provider_app
from croupier.products.rgs.cli import fair_app, games_app
from croupier.products.rgs.crash.cli import crash_app

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
app.add_typer(rng_app, name="rng")
app.add_typer(fair_app, name="fair")
app.add_typer(keys_app, name="keys")
app.add_typer(games_app, name="games")
app.add_typer(crash_app, name="crash")
app.add_typer(provider_app, name="provider")
# Sandbox commands live with their domain; ``croupier dev`` gathers them.
dev_app.command("game-session")(dev_game_session)
app.add_typer(game_app, name="game")
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
