"""One training run from the committed seed, shared by the model tests (~30 s).

scikit-learn is a test dependency (the ``ml`` extra that ``make test``
installs): if it is missing, these tests fail at import, as they should in CI.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from models.train import SEED, Run, train

MODELS = Path(__file__).resolve().parents[2] / "models"


@pytest.fixture(scope="session")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """``make train`` into a temporary directory."""
    return train(tmp_path_factory.mktemp("trained"), SEED)
