"""Score a split through the serving code, pick thresholds, measure routing.

Evaluation calls the same functions the validation step calls (the runtime on
the exported artifact, ``blend``, ``RoutingPolicy.route``), so the model card's
figures are the deployed behaviour, not scikit-learn's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from models.dataset import Dataset
from orderflow.processes.orders.risk import RiskAssessment, blend
from orderflow.processes.orders.routing import Route, RoutingPolicy
from orderflow.processes.orders.scoring.opinion import opinion

# How the thresholds are chosen on the validation split.
HUMAN_BUDGET = 0.06  # at most this share of normal orders goes to a human
HIGH_RISK_PRECISION = 0.80  # two approvers from where 4 in 5 flagged are fraud
REJECT_PRECISION = 0.95  # reject without a human only when 19 in 20 are fraud
REJECT_NORMAL_RATE = 0.0005  # ...and at most 1 normal order in 2,000 is refused


@dataclass(frozen=True)
class Scored:
    """A split scored by the serving path."""

    data: Dataset
    risk: list[RiskAssessment]

    def column(self, pick: Callable[[RiskAssessment], float]) -> np.ndarray:
        """One number per order."""
        return np.array([pick(r) for r in self.risk], dtype=np.float64)

    @property
    def final(self) -> np.ndarray:
        """The blended 0-100 risk score."""
        return self.column(lambda r: r.score)

    def routes(self, policy: RoutingPolicy) -> np.ndarray:
        """The route of every order under ``policy``."""
        return np.array(
            [
                policy.route(o, r).value
                for o, r in zip(self.data.orders, self.risk, strict=True)
            ]
        )


def score(data: Dataset, *, path: str, sha256: str) -> Scored:
    """Every order of ``data`` through the runtime and the blend."""
    return Scored(
        data,
        [
            blend(p, opinion(o, path=path, sha256=sha256, reasons=False))
            for o, p in zip(data.orders, data.policy, strict=True)
        ],
    )


def choose_thresholds(
    validation: Scored, value_cents: int
) -> tuple[RoutingPolicy, dict[str, Any]]:
    """The routing thresholds, from the validation split (criteria above)."""
    s, y = validation.final, validation.data.y
    normal = y == 0

    def human_rate(t: int) -> float:
        policy = RoutingPolicy(t, t, 101, value_cents)
        routes = validation.routes(policy)
        return float(np.mean(routes[normal] != Route.AUTO_APPROVE.value))

    def precision(t: int) -> float:
        flagged = s >= t
        return float(y[flagged].mean()) if flagged.any() else 0.0

    one = next(t for t in range(1, 101) if human_rate(t) <= HUMAN_BUDGET)
    two = next((t for t in range(one, 101) if precision(t) >= HIGH_RISK_PRECISION), 101)
    reject = next(
        (
            t
            for t in range(two, 101)
            if precision(t) >= REJECT_PRECISION
            and np.mean(s[normal] >= t) <= REJECT_NORMAL_RATE
        ),
        101,
    )
    policy = RoutingPolicy(one, two, reject, value_cents)
    return policy, {
        "validation_human_rate_at_one": human_rate(one),
        "validation_precision_at_two": precision(two),
        "validation_precision_at_reject": precision(reject),
    }


def _auc(y: np.ndarray, s: np.ndarray) -> dict[str, float]:
    return {
        "roc_auc": round(float(roc_auc_score(y, s)), 4),
        "pr_auc": round(float(average_precision_score(y, s)), 4),
    }


def metrics(test: Scored, policy: RoutingPolicy) -> dict[str, Any]:
    """The model card's figures on the held-out split."""
    y, patterns = test.data.y, test.data.patterns
    normal, anomalous = y == 0, y == 1
    final = test.final
    scores = {
        "blended risk score": final,
        "model score": test.column(lambda r: r.model.score if r.model else 0),
        "pattern (gradient boosting)": test.column(
            lambda r: r.model.pattern if r.model else 0
        ),
        "anomaly (isolation forest)": test.column(
            lambda r: r.model.anomaly if r.model else 0
        ),
        "policy rules alone": test.column(lambda r: r.policy_score or 0),
    }
    routes = test.routes(policy)
    human = np.isin(routes, [Route.ONE_APPROVER.value, Route.TWO_APPROVERS.value])
    stopped = routes != Route.AUTO_APPROVE.value
    thresholds = {}
    for name, t in (
        ("one_approver_from", policy.one_approver_from),
        ("two_approvers_from", policy.two_approvers_from),
        ("reject_from", policy.reject_from),
    ):
        flagged = final >= t
        thresholds[name] = {
            "threshold": t,
            "flagged": int(flagged.sum()),
            "precision": round(float(y[flagged].mean()), 4) if flagged.any() else None,
            "recall": round(float(flagged[anomalous].mean()), 4),
        }
    per_pattern = {
        str(p): {
            "orders": int((patterns == p).sum()),
            "stopped": round(float(stopped[patterns == p].mean()), 4),
            "rejected": round(
                float((routes[patterns == p] == Route.REJECT.value).mean()), 4
            ),
        }
        for p in sorted(set(patterns.tolist()))
    }
    novel = (patterns == "triangulation") | normal
    return {
        "auc": {name: _auc(y, s) for name, s in scores.items()},
        "auc_novel_pattern_only": {
            name: _auc(y[novel], s[novel]) for name, s in scores.items()
        },
        "thresholds": thresholds,
        "routes": {
            group: {
                route.value: round(float((routes[mask] == route.value).mean()), 4)
                for route in Route
            }
            for group, mask in (("normal", normal), ("anomalous", anomalous))
        },
        "targets": {
            "anomalies_stopped": round(float(stopped[anomalous].mean()), 4),
            "normals_to_a_human": round(float(human[normal].mean()), 4),
            "normals_rejected": round(float((routes[normal] == "REJECT").mean()), 4),
            "out_of_distribution": int(sum(r.out_of_distribution for r in test.risk)),
        },
        "per_pattern": per_pattern,
    }
