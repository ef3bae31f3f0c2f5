"""The exported trees score exactly as sklearn does; models load by version and only whole."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from croupier.policy.risk import RiskEngine
from croupier.policy.risk.errors import InvalidRiskModel, UnknownRiskModel
from croupier.policy.risk.features import FEATURES
from croupier.policy.risk.scoring import SHIPPED_DIR, TreeModel, list_models, load_model
from croupier.policy.risk.simulation import simulate
from croupier.policy.risk.training import _split, dataset_of, export, fit


@pytest.fixture(scope="module")
def fitted():
    data = dataset_of(simulate(3_000, seed=11))
    start = _split(data)
    clf = fit(data.x[:start], data.y[:start], trees=25, depth=3, learning_rate=0.2, seed=11)
    document = export(clf, created_at=datetime(2026, 11, 24, tzinfo=UTC), metrics={}, training={})
    return clf, TreeModel(document, Path("test.json")), data.x


def test_the_tree_walker_gives_sklearns_log_odds_and_probabilities_bit_for_bit(fitted):
    clf, model, rows = fitted
    x = np.asarray(rows, dtype=np.float64)
    ours = np.asarray([model.log_odds(r) for r in rows])
    assert np.array_equal(ours, clf.decision_function(x))
    explained = np.asarray([model.explain(r)[0] for r in rows])
    assert np.array_equal(explained, ours)
    proba = np.asarray([model.probability(r) for r in rows])
    assert np.allclose(proba, clf.predict_proba(x)[:, 1], rtol=0, atol=1e-12)


def test_contributions_add_up_to_the_log_odds_from_the_bias(fitted):
    _clf, model, rows = fitted
    for r in rows[:500]:
        raw, contributions = model.explain(r)
        assert model.bias + sum(contributions) == pytest.approx(raw, abs=1e-9)


def test_a_feature_the_trees_never_split_on_contributes_nothing(fitted):
    clf, model, rows = fitted
    used = {int(f) for e in clf.estimators_[:, 0] for f in e.tree_.feature if f >= 0}
    for r in rows[:200]:
        _raw, contributions = model.explain(r)
        assert all(contributions[i] == 0 for i in range(len(FEATURES)) if i not in used)


def test_the_shipped_model_loads_by_default_and_names_its_version(tmp_path):
    [shipped] = list_models(None)
    assert shipped.path.parent == SHIPPED_DIR
    assert shipped.metrics["roc_auc"] > 0.95
    engine = RiskEngine.load(tmp_path)  # an empty model directory: the shipped one
    assert engine.version == shipped.version


def test_a_trained_version_is_loaded_by_version_and_is_the_newest(small_model, model_dir):
    assert small_model.version.startswith("risk-2026-12-01-")
    assert small_model.path.name == f"{small_model.version}.json"
    assert load_model(model_dir, small_model.version).version == small_model.version
    assert RiskEngine.load(model_dir).version == small_model.version  # newer than the shipped
    shipped = list_models(None)[0].version
    assert RiskEngine.load(model_dir, shipped).version == shipped


def test_an_unknown_version_is_a_clear_error(model_dir):
    with pytest.raises(UnknownRiskModel) as caught:
        RiskEngine.load(model_dir, "risk-2020-01-01-0000000000")
    assert caught.value.code == "risk.unknown_model"
    assert "risk-2020-01-01-0000000000" in caught.value.detail


def test_a_model_whose_content_was_changed_is_refused(small_model, tmp_path):
    document = json.loads(small_model.path.read_text())
    document["trees"][0]["value"][1] += 0.5
    (tmp_path / small_model.path.name).write_text(json.dumps(document))
    with pytest.raises(InvalidRiskModel) as caught:
        load_model(tmp_path, small_model.version)
    assert caught.value.code == "risk.invalid_model"
    assert "does not match the hash" in caught.value.detail


def test_a_file_that_is_not_a_model_is_refused(small_model, tmp_path):
    shutil.copy(small_model.path, tmp_path / "risk-2026-01-01-abcdef1234.json")
    with pytest.raises(InvalidRiskModel):
        load_model(tmp_path, "risk-2026-01-01-abcdef1234")
    (tmp_path / "risk-x.json").write_text("[1, 2]")
    with pytest.raises(InvalidRiskModel):
        load_model(tmp_path, "risk-x")


def test_training_reports_its_metrics(small_model):
    assert 0.5 < small_model.metrics["roc_auc"] <= 1.0
    assert small_model.metrics["holdout_attempts"] > 0
    document = json.loads(small_model.path.read_text())
    assert document["features"] == list(FEATURES)
    assert document["training"]["seed"] == 3
    assert document["training"]["simulator"] == "croupier-risk-sim/1"


def test_the_simulator_is_reproducible():
    a, b = simulate(2_000, seed=5), simulate(2_000, seed=5)
    assert a.attempts == b.attempts
    assert a.attempts != simulate(2_000, seed=6).attempts
    assert 0.05 < a.fraud_share < 0.12
    assert {x.pattern for x in a.attempts} >= {"legit", "card_testing", "deposit_and_run"}
