"""Train the risk model from the seed; write the artifact, routing, metrics, card.

``make train`` (or ``orderflow train``) runs this. Same seed, same library
versions: the same bytes in models/risk-model.json and the same figures in
models/metrics.json and models/MODEL_CARD.md (tests/models checks it).

Steps: generate three splits (train and validation with the known fraud
patterns, test with a pattern never seen in training as well), fit an
isolation forest and a gradient-boosted classifier on train, export them, score
validation through the serving runtime to pick the routing thresholds, and
measure everything on test.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from sklearn.ensemble import GradientBoostingClassifier, IsolationForest

from models import card, evaluate
from models.dataset import Dataset, build
from models.export import FORMAT, dumps, export_gbm, export_iforest
from models.generator import KNOWN, PATTERNS
from orderflow.processes.orders.scoring.features import FEATURES, RANGED

SEED = 20_261_101
MODEL_NAME = "orderflow-risk"
MODEL_VERSION = "1.0"
SIZES = {"train": 30_000, "validation": 10_000, "test": 40_000}
IFOREST = {"n_estimators": 100, "max_samples": 256}
GBM = {"n_estimators": 100, "max_depth": 3, "learning_rate": 0.1}
# Anomaly score: training quantile -> 0-100, capped at 60 (never rejects alone).
ANOMALY_QUANTILES = (0.5, 0.9, 0.99, 0.999, 1.0)
ANOMALY_SCORES = (0.0, 20.0, 40.0, 55.0, 60.0)
RANGE_MARGIN = 0.25  # "far outside": beyond the training range by 25% of its width
ARTIFACT = "risk-model.json"
DEFAULT_ROUTING = {
    "two_approvers_value_cents": 10_000_00,
    "approvers": ["approver@example.com", "manager@example.com"],
}


def splits(seed: int) -> dict[str, Dataset]:
    """Train, validation and test orders, each from its own derived seed."""
    everything = tuple(name for name, _, _ in PATTERNS)
    return {
        name: build(name, n, seed + i, everything if name == "test" else KNOWN)
        for i, (name, n) in enumerate(SIZES.items())
    }


def fit(
    train: Dataset, seed: int
) -> tuple[IsolationForest, GradientBoostingClassifier]:
    """The two estimators, fitted on the training split."""
    iforest = IsolationForest(**IFOREST, random_state=seed).fit(train.X)
    gbm = GradientBoostingClassifier(**GBM, random_state=seed).fit(train.X, train.y)
    return iforest, gbm


def artifact(
    train: Dataset, iforest: IsolationForest, gbm: GradientBoostingClassifier, seed: int
) -> dict[str, Any]:
    """Everything the runtime needs, as JSON-native data."""
    n = len(FEATURES)
    anomaly = -iforest.score_samples(train.X)
    normal = train.X[train.normal]
    bounds = {}
    for name in RANGED:
        column = train.X[:, FEATURES.index(name)]
        low, high = float(column.min()), float(column.max())
        margin = RANGE_MARGIN * (high - low)
        bounds[name] = [low - margin, high + margin]
    return {
        "format": FORMAT,
        "version": f"{MODEL_NAME}-{MODEL_VERSION}+seed{seed}",
        "features": list(FEATURES),
        "typical": np.median(normal, axis=0).tolist(),
        "bounds": bounds,
        "anomaly_knots": {
            "quantile": list(ANOMALY_QUANTILES),
            "anomaly": np.quantile(anomaly, ANOMALY_QUANTILES).tolist(),
            "score": list(ANOMALY_SCORES),
        },
        "iforest": export_iforest(iforest, n),
        "gbm": export_gbm(gbm, n),
    }


def parity(
    test: Dataset, path: str, sha256: str, iforest: IsolationForest, gbm: Any
) -> dict[str, float]:
    """Largest gap between the runtime and scikit-learn on the test split."""
    from orderflow.processes.orders.scoring import runtime

    scorer = runtime.load(path, sha256)
    parts = [scorer.components(row) for row in test.X.tolist()]
    anomaly = np.array([p.anomaly for p in parts])
    pattern = np.array([p.pattern for p in parts])
    return {
        "anomaly_vs_score_samples": float(
            np.max(np.abs(anomaly + iforest.score_samples(test.X)))
        ),
        "pattern_vs_predict_proba": float(
            np.max(np.abs(pattern - gbm.predict_proba(test.X)[:, 1]))
        ),
    }


def kept_settings(out: Path) -> dict[str, Any]:
    """What training keeps from an existing routing.json: value bar, approvers."""
    existing = out / "routing.json"
    kept = json.loads(existing.read_text()) if existing.exists() else DEFAULT_ROUTING
    return {key: kept[key] for key in DEFAULT_ROUTING}


def routing_file(
    kept: dict[str, Any], policy: Any, version: str, sha256: str
) -> dict[str, Any]:
    """routing.json: new thresholds and model, the approvers kept as they are."""
    return {
        "comment": "Written by `make train` from MODEL_CARD.md; approvers and the "
        "two-approver value bar are yours to edit and are kept by training.",
        "model": {"artifact": ARTIFACT, "version": version, "sha256": sha256},
        "thresholds": {
            "one_approver_from": policy.one_approver_from,
            "two_approvers_from": policy.two_approvers_from,
            "reject_from": policy.reject_from,
        },
        "two_approvers_value_cents": kept["two_approvers_value_cents"],
        "approvers": kept["approvers"],
    }


@dataclass(frozen=True)
class Run:
    """One training run: its data, estimators, artifact and figures."""

    data: dict[str, Dataset]
    iforest: IsolationForest
    gbm: GradientBoostingClassifier
    path: Path
    sha256: str
    metrics: dict[str, Any]
    seconds: float


def train(out: Path, seed: int = SEED) -> Run:
    """Run the whole pipeline and write its four files into ``out``."""
    started = time.perf_counter()
    data = splits(seed)
    iforest, gbm = fit(data["train"], seed)
    model = artifact(data["train"], iforest, gbm, seed)
    blob = dumps(model)
    sha256 = hashlib.sha256(blob).hexdigest()
    out.mkdir(parents=True, exist_ok=True)
    path = out / ARTIFACT
    path.write_bytes(blob)

    kept = kept_settings(out)
    validation = evaluate.score(data["validation"], path=str(path), sha256=sha256)
    policy, chosen = evaluate.choose_thresholds(
        validation, int(kept["two_approvers_value_cents"])
    )
    test = evaluate.score(data["test"], path=str(path), sha256=sha256)
    metrics = {
        "model": {"version": model["version"], "sha256": sha256, "bytes": len(blob)},
        "seed": seed,
        "scikit_learn": sklearn.__version__,
        "data": {name: d.counts() for name, d in data.items()},
        "threshold_choice": {k: round(v, 4) for k, v in chosen.items()},
        **evaluate.metrics(test, policy),
        "parity": parity(data["test"], str(path), sha256, iforest, gbm),
    }
    routing = routing_file(kept, policy, model["version"], sha256)
    (out / "routing.json").write_text(json.dumps(routing, indent=2) + "\n")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    (out / "MODEL_CARD.md").write_text(card.render(metrics, routing, model))
    seconds = time.perf_counter() - started
    return Run(data, iforest, gbm, path, sha256, metrics, seconds)


def main(argv: list[str] | None = None) -> int:
    """``python -m models.train [--out DIR] [--seed N]``."""
    parser = argparse.ArgumentParser(prog="orderflow train", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    run = train(args.out, args.seed)
    targets = run.metrics["targets"]
    sys.stdout.write(
        f"wrote {run.path} ({run.metrics['model']['bytes']:,} bytes, "
        f"sha256 {run.sha256[:12]}...) in {run.seconds:.1f} s\n"
        f"held-out: {targets['anomalies_stopped']:.1%} of anomalies stopped, "
        f"{targets['normals_to_a_human']:.1%} of normal orders sent to a human\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
