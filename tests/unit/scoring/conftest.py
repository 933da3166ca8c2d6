"""The committed model, loaded once for the scoring tests."""

from __future__ import annotations

import pytest

from orderflow.config import ModelConfig, Settings
from orderflow.processes.orders.scoring import runtime


@pytest.fixture(scope="session")
def model() -> ModelConfig:
    """Where the committed artifact is and the checksum it must have."""
    return Settings().model


@pytest.fixture(scope="session")
def scorer(model: ModelConfig) -> runtime.Scorer:
    """The committed artifact, verified and loaded."""
    return runtime.load(model.path, model.sha256)
