"""``croupier risk train``, ``models`` and ``evaluate``."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from croupier.kernel.config import get_settings
from croupier.policy.risk.cli import risk_app
from croupier.policy.risk.models import RiskAttempt
from tests.policy.policy_fixtures import player_in

runner = CliRunner()


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch, tmp_path):
    def use(**env: str) -> None:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    monkeypatch.setenv("CROUPIER_RISK_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("CROUPIER_ENV", "test")
    get_settings.cache_clear()
    yield use
    get_settings.cache_clear()


def test_train_writes_a_new_version_that_models_lists_and_marks(settings_env, tmp_path):
    done = runner.invoke(
        risk_app, ["train", "--samples", "3000", "--seed", "2", "--trees", "10", "--json"]
    )
    assert done.exit_code == 0, done.output
    trained = json.loads(done.stdout)
    assert trained["version"].startswith("risk-")
    assert 0.5 < trained["metrics"]["roc_auc"] <= 1
    assert "fitting 10 trees" in done.stderr
    listed = runner.invoke(risk_app, ["models", "--json"])
    assert listed.exit_code == 0, listed.output
    models = json.loads(listed.stdout)["models"]
    assert [m["version"] for m in models if m["loaded"]] == [trained["version"]]  # the newest
    assert len(models) == 2  # and the shipped one
    text = runner.invoke(risk_app, ["models"]).stdout
    assert f"* {trained['version']}" in text


def test_evaluate_scores_a_request_against_the_database_and_records_nothing(
    settings_env, db, clock
):
    player = player_in(db, clock, "MT")
    settings_env(CROUPIER_DATABASE_URL=db.url)
    done = runner.invoke(
        risk_app,
        [
            "evaluate",
            "--player",
            player.id,
            "--kind",
            "deposit",
            "--amount",
            "50.00",
            "--device",
            "d1",
            "--country",
            "gb",
            "--json",
        ],
    )
    assert done.exit_code == 0, done.output
    decision = json.loads(done.stdout)
    assert decision["outcome"] in ("approve", "review", "decline")
    assert {f["name"] for f in decision["factors"]} <= {
        "amount",
        "country_mismatch",
        "account_age_days",
        "device_new_for_player",
        "device_age_days",
        "previous_attempts",
        "amount_vs_average",
        "attempts_1m",
        "amount_60m",
        "attempts_60m",
        "amount_1m",
        "amount_5m",
        "amount_15m",
        "attempts_5m",
        "attempts_15m",
        "device_other_players",
        "instrument_other_players",
        "instrument_new_for_player",
        "failures_15m",
        "is_withdrawal",
        "withdrawal_vs_deposited",
    }
    with db.read_only() as s:
        assert s.scalar(select(func.count()).select_from(RiskAttempt)) == 0
    text = runner.invoke(
        risk_app,
        ["evaluate", "--player", player.id, "--kind", "withdrawal", "--amount", "10"],
    )
    assert text.exit_code == 0, text.output
    assert "score" in text.stdout


def test_evaluate_refuses_an_unknown_version_or_kind(settings_env, db, clock):
    player = player_in(db, clock, "MT")
    settings_env(CROUPIER_DATABASE_URL=db.url)
    args = ["evaluate", "--player", player.id, "--amount", "5"]
    done = runner.invoke(risk_app, [*args, "--kind", "deposit", "--version", "risk-nope-12345678"])
    assert done.exit_code == 2
    assert "risk.unknown_model" in done.stderr
    done = runner.invoke(risk_app, [*args, "--kind", "bet"])
    assert done.exit_code == 2
    assert "risk.invalid_request" in done.stderr
