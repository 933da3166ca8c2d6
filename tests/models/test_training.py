"""Training reproduces the committed artifact and card; the runtime matches sklearn."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from models.train import ARTIFACT, Run
from orderflow.processes.orders.scoring import runtime
from tests.models.conftest import MODELS

PARITY = 1e-5


def test_training_reproduces_the_committed_artifact_byte_for_byte(run: Run) -> None:
    assert run.path.read_bytes() == (MODELS / ARTIFACT).read_bytes()


def test_training_reproduces_the_model_cards_metrics(run: Run) -> None:
    committed = json.loads((MODELS / "metrics.json").read_text())

    assert json.loads(json.dumps(run.metrics)) == committed
    assert (run.path.parent / "MODEL_CARD.md").read_text() == (
        MODELS / "MODEL_CARD.md"
    ).read_text()


def test_routing_config_carries_the_cards_thresholds_and_the_artifacts_checksum(
    run: Run,
) -> None:
    committed = json.loads((MODELS / "routing.json").read_text())
    produced = json.loads((run.path.parent / "routing.json").read_text())

    assert produced["thresholds"] == committed["thresholds"]
    assert produced["model"] == committed["model"]
    assert committed["model"]["sha256"] == run.sha256
    card = (MODELS / "MODEL_CARD.md").read_text()
    thresholds = run.metrics["thresholds"]
    for name, value in committed["thresholds"].items():
        assert thresholds[name]["threshold"] == value
    assert run.sha256 in card


def test_runtime_scores_match_scikit_learn_on_the_test_set(run: Run) -> None:
    scorer = runtime.load(run.path, run.sha256)
    test = run.data["test"]
    parts = [scorer.components(row) for row in test.X.tolist()]

    anomaly = np.array([p.anomaly for p in parts])
    pattern = np.array([p.pattern for p in parts])

    assert len(parts) == 40_000
    assert np.max(np.abs(anomaly - -run.iforest.score_samples(test.X))) <= PARITY
    assert np.max(np.abs(pattern - run.gbm.predict_proba(test.X)[:, 1])) <= PARITY


def test_held_out_routing_meets_the_targets(run: Run) -> None:
    targets = run.metrics["targets"]

    assert targets["anomalies_stopped"] >= 0.90
    assert targets["normals_to_a_human"] <= 0.10
    assert run.metrics["per_pattern"]["triangulation"]["stopped"] >= 0.80


def test_artifact_is_small(run: Run) -> None:
    assert run.path.stat().st_size < 1_000_000


def test_thresholds_rise_and_leave_room_for_every_tier(run: Run) -> None:
    t = {k: v["threshold"] for k, v in run.metrics["thresholds"].items()}

    assert 0 < t["one_approver_from"] < t["two_approvers_from"] < t["reject_from"]
    assert t["reject_from"] <= 100
    assert Path(run.path).name == ARTIFACT
