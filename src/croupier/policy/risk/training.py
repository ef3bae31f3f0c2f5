"""Training the risk model: simulate, compute features, fit, export, write a new version.

scikit-learn is imported here only (it takes a second or two to import): serving a decision
needs nothing but the exported arrays.

The hold-out set is the last fifth of the simulated week by time, so the model is judged on
attempts that come after everything it learned from, as in production.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from croupier.kernel.money import currency
from croupier.policy.risk.features import FEATURES, FeatureStore, PlayerFacts
from croupier.policy.risk.scoring import FORMAT, VERSION_PREFIX, content_digest
from croupier.policy.risk.simulation import SIMULATOR, Simulation, simulate

Progress = Callable[[str], None]
HOLD_OUT_SHARE = 0.2


@dataclass(frozen=True, slots=True)
class Dataset:
    x: list[list[float]]
    y: list[int]
    at: list[float]
    is_withdrawal: list[bool]
    patterns: list[str]


@dataclass(frozen=True, slots=True)
class TrainedModel:
    version: str
    path: Path
    metrics: dict[str, Any]


def dataset_of(simulation: Simulation) -> Dataset:
    """The features of every simulated attempt, computed in time order by the production
    feature store, each before the attempt is counted."""
    store = FeatureStore()
    for p in simulation.players.values():
        store.set_facts(p.player_id, PlayerFacts(p.created_at, p.country))
    x: list[list[float]] = []
    y: list[int] = []
    at: list[float] = []
    withdrawals: list[bool] = []
    patterns: list[str] = []
    for a in simulation.attempts:
        r = a.request
        is_withdrawal = r.kind == "withdrawal"
        amount = r.amount / 10 ** currency(r.currency).ledger_scale
        x.append(
            store.features(
                r.player_id,
                store.facts[r.player_id],
                is_withdrawal=is_withdrawal,
                amount=amount,
                device_id=r.device_id,
                instrument=r.instrument_fingerprint,
                ip_country=r.ip_country,
                now=a.at,
            )
        )
        y.append(int(a.fraud))
        at.append(a.at)
        withdrawals.append(is_withdrawal)
        patterns.append(a.pattern)
        store.observe_attempt(
            r.attempt_id,
            r.player_id,
            is_withdrawal=is_withdrawal,
            amount=amount,
            at=a.at,
            declined=False,
        )
        if not a.succeeded:
            store.observe_outcome(r.attempt_id, r.player_id, succeeded=False, at=a.at + 2)
        if r.device_id is not None:
            store.observe_device(r.device_id, r.player_id, a.at)
        if r.instrument_fingerprint is not None:
            store.observe_instrument(r.instrument_fingerprint, r.player_id, a.at)
    return Dataset(x, y, at, withdrawals, patterns)


def fit(
    x: list[list[float]],
    y: list[int],
    *,
    trees: int,
    depth: int,
    learning_rate: float,
    seed: int,
    progress: Progress | None = None,
) -> Any:
    """A fitted ``GradientBoostingClassifier``."""
    import numpy as np
    from sklearn.ensemble import GradientBoostingClassifier  # type: ignore[import-untyped]

    model = GradientBoostingClassifier(
        n_estimators=trees, max_depth=depth, learning_rate=learning_rate, random_state=seed
    )
    step = max(1, trees // 10)

    def monitor(i: int, _model: Any, _locals: Any) -> bool:
        if progress is not None and ((i + 1) % step == 0 or i + 1 == trees):
            progress(f"fitted {i + 1}/{trees} trees")
        return False

    model.fit(np.asarray(x, dtype=np.float64), np.asarray(y), monitor=monitor)
    return model


def export(
    model: Any, *, created_at: datetime, metrics: dict[str, Any], training: dict[str, Any]
) -> dict[str, Any]:
    """The model as the JSON document ``scoring.TreeModel`` loads (see there)."""
    import numpy as np

    if model.n_features_in_ != len(FEATURES) or list(model.classes_) != [0, 1]:
        raise ValueError("expected a binary classifier on the risk features")
    # The prior log-odds every prediction starts from (what sklearn adds before the trees).
    init = float(model._raw_predict_init(np.zeros((1, len(FEATURES))))[0, 0])
    learning_rate = float(model.learning_rate)
    trees = []
    for estimator in model.estimators_[:, 0]:
        t = estimator.tree_
        left = [int(c) for c in t.children_left]
        right = [int(c) for c in t.children_right]
        feature = [int(f) if left[i] >= 0 else -1 for i, f in enumerate(t.feature)]
        weight = [float(w) for w in t.weighted_n_node_samples]
        value = [float(v) for v in t.value[:, 0, 0]]
        # An inner node's value: the mean of its leaves, weighted by the samples that reached
        # them (sklearn keeps the mean gradient there, not a value on the leaves' scale).
        for node in range(len(value) - 1, -1, -1):
            if left[node] >= 0:
                a, b = left[node], right[node]
                value[node] = (value[a] * weight[a] + value[b] * weight[b]) / (
                    weight[a] + weight[b]
                )
        trees.append(
            {
                "feature": feature,
                "threshold": [float(v) if left[i] >= 0 else 0.0 for i, v in enumerate(t.threshold)],
                "left": [c if c >= 0 else 0 for c in left],
                "right": [c if c >= 0 else 0 for c in right],
                "value": value,
            }
        )
    digest = content_digest(FEATURES, init, learning_rate, trees)
    version = f"{VERSION_PREFIX}{created_at:%Y-%m-%d}-{digest[:10]}"
    return {
        "format": FORMAT,
        "version": version,
        "created_at": created_at.isoformat(),
        "features": list(FEATURES),
        "metrics": metrics,
        "training": training,
        "init": init,
        "learning_rate": learning_rate,
        "trees": trees,
    }


def _split(data: Dataset) -> int:
    """Index of the first hold-out attempt (attempts are in time order)."""
    cut = data.at[0] + (data.at[-1] - data.at[0]) * (1 - HOLD_OUT_SHARE)
    return next(i for i, t in enumerate(data.at) if t >= cut)


def evaluate_holdout(model: Any, data: Dataset, start: int) -> dict[str, Any]:
    import numpy as np
    from sklearn.metrics import average_precision_score, roc_auc_score  # type: ignore[import-untyped]

    x = np.asarray(data.x[start:], dtype=np.float64)
    y = np.asarray(data.y[start:])
    p = model.predict_proba(x)[:, 1]
    metrics: dict[str, Any] = {
        "roc_auc": round(float(roc_auc_score(y, p)), 4),
        "average_precision": round(float(average_precision_score(y, p)), 4),
        "holdout_attempts": len(y),
        "holdout_fraud": int(y.sum()),
    }
    by_pattern: dict[str, float] = {}
    patterns = data.patterns[start:]
    for pattern in sorted(set(patterns) - {"legit"}):
        mask = np.asarray([q == pattern for q in patterns])
        by_pattern[pattern] = round(float((p[mask] >= 0.5).mean()), 3)
    metrics["recall_at_0_5_by_pattern"] = by_pattern
    metrics["legit_flagged_at_0_5"] = round(float((p[y == 0] >= 0.5).mean()), 4)
    return metrics


def train(
    *,
    samples: int,
    seed: int,
    out_dir: Path,
    created_at: datetime,
    trees: int = 120,
    depth: int = 3,
    learning_rate: float = 0.1,
    progress: Progress | None = None,
) -> TrainedModel:
    """Simulate ``samples`` attempts, fit on the first four fifths of the week, measure on the
    rest, and write the model as the next version in ``out_dir``."""

    def say(text: str) -> None:
        if progress is not None:
            progress(text)

    import sklearn  # type: ignore[import-untyped]

    say(f"simulating {samples} attempts (seed {seed}) ...")
    simulation = simulate(samples, seed)
    say(
        f"{len(simulation.attempts)} attempts of {len(simulation.players)} players, "
        f"{simulation.fraud_share:.1%} fraud; computing features ..."
    )
    data = dataset_of(simulation)
    start = _split(data)
    say(f"fitting {trees} trees of depth {depth} on {start} attempts ...")
    model = fit(
        data.x[:start],
        data.y[:start],
        trees=trees,
        depth=depth,
        learning_rate=learning_rate,
        seed=seed,
        progress=say,
    )
    metrics = evaluate_holdout(model, data, start)
    metrics["train_attempts"] = start
    metrics["fraud_share"] = round(simulation.fraud_share, 4)
    say(f"hold-out ROC AUC {metrics['roc_auc']}, average precision {metrics['average_precision']}")
    training = {
        "simulator": SIMULATOR,
        "samples": samples,
        "seed": seed,
        "estimator": "sklearn.ensemble.GradientBoostingClassifier",
        "params": {"n_estimators": trees, "max_depth": depth, "learning_rate": learning_rate},
        "sklearn": sklearn.__version__,
        "python": platform.python_version(),
    }
    document = export(model, created_at=created_at, metrics=metrics, training=training)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{document['version']}.json"
    path.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")
    return TrainedModel(str(document["version"]), path, metrics)
