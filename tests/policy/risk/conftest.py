"""A small model trained once per session (a few seconds), and engines on it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from croupier.policy.risk.training import TrainedModel, train

TRAINED_AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)  # after the shipped model


@pytest.fixture(scope="session")
def small_model(tmp_path_factory: pytest.TempPathFactory) -> TrainedModel:
    return train(
        samples=4_000,
        seed=3,
        out_dir=tmp_path_factory.mktemp("risk-models"),
        created_at=TRAINED_AT,
        trees=15,
        depth=3,
    )


@pytest.fixture(scope="session")
def model_dir(small_model: TrainedModel) -> Path:
    return small_model.path.parent
