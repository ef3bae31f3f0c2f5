"""``croupier risk``: train a model version, list the versions, score a request."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

import typer

from croupier.core.players import get_player
from croupier.kernel.cli import JsonFlag, cli_database, emit
from croupier.kernel.config import get_settings
from croupier.kernel.money import Money
from croupier.policy.risk.decisions import RiskRequest
from croupier.policy.risk.errors import InvalidRiskRequest
from croupier.policy.risk.scoring import list_models
from croupier.policy.risk.service import KINDS, RiskEngine, evaluate

risk_app = typer.Typer(help="Risk scoring of deposits and withdrawals.", no_args_is_help=True)


def _say(text: str) -> None:
    typer.echo(text, err=True)


@risk_app.command("train")
def risk_train(
    samples: Annotated[int, typer.Option(min=1_000, help="Simulated attempts.")] = 100_000,
    seed: Annotated[int, typer.Option(help="Seed of the fraud simulator (reproducible).")] = 1,
    out: Annotated[
        Path | None,
        typer.Option(help="Where to write the version (default: CROUPIER_RISK_MODEL_DIR)."),
    ] = None,
    trees: Annotated[int, typer.Option(min=1, max=2_000, help="Boosting stages.")] = 120,
    depth: Annotated[int, typer.Option(min=1, max=8, help="Depth of each tree.")] = 3,
    learning_rate: Annotated[float, typer.Option(min=0.001, max=1.0)] = 0.1,
    as_json: JsonFlag = False,
) -> None:
    """Train a model on the fraud simulator's labelled attempts and write it as a new version
    (prints the version and the hold-out ROC AUC). Takes a while: progress goes to stderr."""
    from croupier.kernel.clock import SystemClock
    from croupier.policy.risk.training import train

    settings = get_settings()
    trained = train(
        samples=samples,
        seed=seed,
        out_dir=out or Path(settings.risk_model_dir),
        created_at=SystemClock().now(),
        trees=trees,
        depth=depth,
        learning_rate=learning_rate,
        progress=_say,
    )
    emit(
        as_json,
        {"version": trained.version, "path": str(trained.path), "metrics": trained.metrics},
        f"{trained.version}  (hold-out ROC AUC {trained.metrics['roc_auc']}, written to "
        f"{trained.path}; load it with CROUPIER_RISK_MODEL_VERSION={trained.version})",
    )


@risk_app.command("models")
def risk_models(
    model_dir: Annotated[
        Path | None, typer.Option(help="Look here (default: CROUPIER_RISK_MODEL_DIR).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """The model versions that can be loaded (shipped and trained), oldest first; ``*``
    marks the one the platform loads."""
    settings = get_settings()
    infos = list_models(model_dir or Path(settings.risk_model_dir))
    chosen = settings.risk_model_version or (infos[-1].version if infos else None)
    emit(
        as_json,
        {
            "models": [
                {
                    "version": i.version,
                    "created_at": i.created_at.isoformat(),
                    "path": str(i.path),
                    "trees": i.trees,
                    "roc_auc": i.metrics.get("roc_auc"),
                    "loaded": i.version == chosen,
                }
                for i in infos
            ]
        },
        "\n".join(
            f"{'*' if i.version == chosen else ' '} {i.version}  {i.created_at:%Y-%m-%d %H:%M}  "
            f"{i.trees} trees  AUC {i.metrics.get('roc_auc')}  {i.path}"
            for i in infos
        )
        or "no models",
    )


@risk_app.command("evaluate")
def risk_evaluate(
    player: Annotated[str, typer.Option(help="The player's id.")],
    kind: Annotated[str, typer.Option(help="deposit or withdrawal.")],
    amount: Annotated[str, typer.Option(help="In the player's currency, e.g. 50.00.")],
    device: Annotated[str | None, typer.Option(help="The client device fingerprint.")] = None,
    instrument: Annotated[
        str | None, typer.Option(help="The payment instrument's fingerprint (sha256 hex).")
    ] = None,
    country: Annotated[
        str | None, typer.Option(help="Country of the request's IP (ISO alpha-2).")
    ] = None,
    version: Annotated[
        str | None, typer.Option(help="The model version (default: the platform's).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Score a deposit or withdrawal against the database's history, as the platform would,
    WITHOUT recording it: nothing is written, no later decision sees it."""
    settings = get_settings()
    with cli_database() as (_settings, database, clock):
        if kind not in KINDS:
            raise InvalidRiskRequest(f"kind {kind!r} is neither deposit nor withdrawal.")
        engine = RiskEngine.load(settings, version)
        with database.read_only() as session:
            code = get_player(session, player, brand_scope=None).currency
            request = RiskRequest(
                attempt_id=f"cli-{uuid.uuid4().hex}",
                player_id=player,
                kind=kind,
                amount=Money.parse(amount, code).amount,
                currency=code,
                instrument_fingerprint=instrument,
                device_id=device,
                ip_country=country.upper() if country else None,
            )
            decision = evaluate(session, clock, request, engine=engine)
        lines = [
            f"{decision.outcome.value}  score {decision.score:.4f}  model {decision.model_version}",
            "rules: " + (", ".join(decision.rules) or "none"),
            *(f"  {f.name:<26} {f.value:>12.4g}  {f.contribution:+.3f}" for f in decision.factors),
        ]
        emit(as_json, decision.as_dict(), "\n".join(lines))
