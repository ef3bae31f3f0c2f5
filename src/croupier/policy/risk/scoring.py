"""The risk model: gradient-boosted trees as plain arrays, loaded by version, walked in Python.

``croupier risk train`` fits a scikit-learn ``GradientBoostingClassifier`` and exports it
here as JSON (never a pickle): per tree, the split feature, the threshold and the two children
of every node, and a value per node (sklearn's leaf values; an inner node holds the mean of the
leaves below it, weighted by the training samples that reached them). Walking the trees gives
the same log-odds as sklearn's ``decision_function`` (the tests check it bit for bit), without
sklearn's per-call validation, which costs more than the walk itself.

The walk also credits each split's feature with the change of the node value it caused
(path attribution): the log-odds are the model's bias (the prior plus every root value) plus
the sum of those credits, so the credits say which features pushed a request up or down.

A model file is named after its version, ``risk-<date>-<hash>.json``; the hash is the start
of the SHA-256 of the model's content, checked at load, so a version names one model.
"""

from __future__ import annotations

import hashlib
import json
import math
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from croupier.policy.risk.errors import InvalidRiskModel, UnknownRiskModel

FORMAT = "croupier-risk-gbt/1"
SHIPPED_DIR = Path(__file__).parent / "trained"
VERSION_PREFIX = "risk-"


def content_digest(features: Sequence[str], init: float, learning_rate: float, trees: Any) -> str:
    """The SHA-256 (hex) of a model's content: what its version's hash is the start of."""
    canonical = json.dumps(
        {"features": list(features), "init": init, "learning_rate": learning_rate, "trees": trees},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What ``croupier risk models`` lists about one model file."""

    version: str
    created_at: datetime
    path: Path
    features: tuple[str, ...]
    metrics: dict[str, Any]
    training: dict[str, Any]
    trees: int


class TreeModel:
    """A loaded model: ``explain(x)`` gives the log-odds and each feature's contribution."""

    def __init__(self, document: dict[str, Any], path: Path) -> None:
        try:
            if document.get("format") != FORMAT:
                raise ValueError(f"format {document.get('format')!r}, expected {FORMAT!r}")
            self.version: str = str(document["version"])
            self.features: tuple[str, ...] = tuple(str(f) for f in document["features"])
            self.created_at = datetime.fromisoformat(str(document["created_at"]))
            self.metrics: dict[str, Any] = dict(document.get("metrics", {}))
            self.training: dict[str, Any] = dict(document.get("training", {}))
            init = float(document["init"])
            learning_rate = float(document["learning_rate"])
            trees = document["trees"]
            digest = content_digest(self.features, init, learning_rate, trees)
            named = self.version.rsplit("-", 1)[-1]
            if len(named) < 8 or not digest.startswith(named):
                raise ValueError("its content does not match the hash in its version")
            self._load_trees(trees, init, learning_rate)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise InvalidRiskModel(f"{path}: {exc}", path=str(path)) from None
        self.path = path

    def _load_trees(self, trees: list[dict[str, list[Any]]], init: float, rate: float) -> None:
        width = len(self.features)
        feature: list[int] = []
        threshold: list[float] = []
        left: list[int] = []
        right: list[int] = []
        leaf: list[float] = []
        delta: list[float] = []
        roots: list[int] = []
        bias = init
        for tree in trees:
            base = len(feature)
            values = [float(v) for v in tree["value"]]
            n = len(values)
            t_feature = [int(f) for f in tree["feature"]]
            t_left = [int(c) for c in tree["left"]]
            t_right = [int(c) for c in tree["right"]]
            t_threshold = [float(t) for t in tree["threshold"]]
            if not (len(t_feature) == len(t_left) == len(t_right) == len(t_threshold) == n):
                raise ValueError("a tree's arrays differ in length")
            parent_value = [0.0] * n
            for node in range(n):
                if t_feature[node] < 0:
                    continue
                if not (0 <= t_feature[node] < width):
                    raise ValueError(f"a split on feature {t_feature[node]} of {width}")
                for child in (t_left[node], t_right[node]):
                    if not (node < child < n):
                        raise ValueError("a tree's children must follow their parent")
                    parent_value[child] = values[node]
            roots.append(base)
            bias += rate * values[0]
            for node in range(n):
                inner = t_feature[node] >= 0
                feature.append(t_feature[node] if inner else -1)
                threshold.append(t_threshold[node])
                left.append(base + t_left[node] if inner else -1)
                right.append(base + t_right[node] if inner else -1)
                # sklearn adds ``learning_rate * leaf value`` per tree: the same product here.
                leaf.append(rate * values[node])
                delta.append(rate * values[node] - rate * parent_value[node] if node else 0.0)
        self._init = init
        self._feature = feature
        self._threshold = threshold
        self._left = left
        self._right = right
        self._leaf = leaf
        self._delta = delta
        self._roots = roots
        self.bias = bias
        self.trees = len(roots)

    def explain(self, x: Sequence[float]) -> tuple[float, list[float]]:
        """The log-odds of ``x`` and each feature's contribution to them (path attribution).

        Features are rounded to float32 first, as sklearn's trees compare them."""
        values = array("f", x).tolist()
        contributions = [0.0] * len(values)
        feature, threshold, left, right = self._feature, self._threshold, self._left, self._right
        delta, leaf = self._delta, self._leaf
        raw = self._init
        for root in self._roots:
            node = root
            f = feature[node]
            while f >= 0:
                node = left[node] if values[f] <= threshold[node] else right[node]
                contributions[f] += delta[node]
                f = feature[node]
            raw += leaf[node]
        return raw, contributions

    def log_odds(self, x: Sequence[float]) -> float:
        """The log-odds alone (what sklearn's ``decision_function`` gives)."""
        values = array("f", x).tolist()
        feature, threshold, left, right = self._feature, self._threshold, self._left, self._right
        raw = self._init
        for root in self._roots:
            node = root
            f = feature[node]
            while f >= 0:
                node = left[node] if values[f] <= threshold[node] else right[node]
                f = feature[node]
            raw += self._leaf[node]
        return raw

    def probability(self, x: Sequence[float]) -> float:
        """The probability of fraud (sklearn's ``predict_proba(x)[1]``)."""
        return probability(self.log_odds(x))


def probability(log_odds: float) -> float:
    """The logistic function, safe at both ends."""
    if log_odds >= 0:
        return 1.0 / (1.0 + math.exp(-log_odds))
    e = math.exp(log_odds)
    return e / (1.0 + e)


def _read_document(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidRiskModel(f"{path}: {exc}", path=str(path)) from None
    if not isinstance(document, dict):
        raise InvalidRiskModel(f"{path}: not a JSON object", path=str(path))
    return document


def model_paths(model_dir: Path | None) -> dict[str, Path]:
    """Every model file by version: the shipped ones, then those of ``model_dir`` (which win
    on a clash of names, though a version names one content either way)."""
    found: dict[str, Path] = {}
    for directory in (SHIPPED_DIR, model_dir):
        if directory is None or not directory.is_dir():
            continue
        for path in sorted(directory.glob(f"{VERSION_PREFIX}*.json")):
            found[path.stem] = path
    return found


def list_models(model_dir: Path | None) -> list[ModelInfo]:
    """Every model that can be loaded, oldest first."""
    infos = []
    for path in model_paths(model_dir).values():
        model = TreeModel(_read_document(path), path)
        infos.append(
            ModelInfo(
                version=model.version,
                created_at=model.created_at,
                path=path,
                features=model.features,
                metrics=model.metrics,
                training=model.training,
                trees=model.trees,
            )
        )
    return sorted(infos, key=lambda i: (i.created_at, i.version))


def load_model(model_dir: Path | None, version: str | None = None) -> TreeModel:
    """The model of ``version``, or the newest one (by training time) when None."""
    paths = model_paths(model_dir)
    if version is None:
        infos = list_models(model_dir)
        if not infos:
            raise UnknownRiskModel(f"No risk model in {SHIPPED_DIR} or {model_dir}.")
        version = infos[-1].version
    path = paths.get(version)
    if path is None:
        raise UnknownRiskModel(
            f"No risk model {version!r}; known: {', '.join(sorted(paths)) or 'none'}.",
            version=version,
        )
    model = TreeModel(_read_document(path), path)
    if model.version != version:
        raise InvalidRiskModel(
            f"{path} holds version {model.version!r}, not {version!r}", path=str(path)
        )
    return model
