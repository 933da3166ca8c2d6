"""The risk model at serving time: load the artifact, check it, walk its trees.

Pure Python on purpose: on one order, walking ~200 small trees in Python beats
calling into scikit-learn, numpy or onnxruntime (each costs more to import than
the whole score; bench/bench_scorer.py measures all of them). The artifact is
JSON written by ``make train`` (models/export.py); its sha256 is checked before
anything in it is trusted.

Model score (0-100) = max(pattern, anomaly):
- pattern: 100 x the gradient-boosted classifier's probability that the order
  matches a known fraud pattern;
- anomaly: the isolation forest's anomaly score, mapped through quantiles of
  the training traffic (knots in the artifact) and capped, so unusualness alone
  asks a human but never rejects.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orderflow.domain.errors import OrderflowError

FORMAT = "orderflow-risk-model/1"


class ModelArtifactError(OrderflowError):
    """The model artifact is missing, corrupt or not one this code can read."""


@dataclass(frozen=True)
class Forest:
    """Trees as flat arrays; a leaf has feature -1."""

    roots: list[int]
    feature: list[int]
    threshold: list[float]
    left: list[int]
    right: list[int]
    value: list[float]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Forest:
        """Read the arrays written by models/export.py."""
        return cls(
            roots=list(data["roots"]),
            feature=list(data["feature"]),
            threshold=[float(t) for t in data["threshold"]],
            left=list(data["left"]),
            right=list(data["right"]),
            value=[float(v) for v in data["value"]],
        )

    def leaf_sum(self, x: list[float], scale: float = 1.0) -> float:
        """Sum over the trees of ``scale`` x the leaf value ``x`` lands in."""
        feature, threshold = self.feature, self.threshold
        left, right, value = self.left, self.right, self.value
        total = 0.0
        for node in self.roots:
            f = feature[node]
            while f >= 0:
                node = left[node] if x[f] <= threshold[node] else right[node]
                f = feature[node]
            total += scale * value[node]
        return total


@dataclass(frozen=True)
class Components:
    """What the two estimators say about one feature vector."""

    raw: float  # the boosted trees' log-odds
    anomaly: float  # isolation forest anomaly, 0-1, as -score_samples

    @property
    def pattern(self) -> float:
        """P(known fraud pattern), 0-1, as predict_proba."""
        return 1.0 / (1.0 + math.exp(-self.raw))

    def pattern_score(self) -> float:
        """The pattern probability on the 0-100 scale."""
        return 100.0 * self.pattern


def as_float32(x: list[float]) -> list[float]:
    """``x`` rounded to float32, as scikit-learn's trees see their input."""
    return array("f", x).tolist()


def _interp(x: float, xs: list[float], ys: list[float]) -> float:
    """Piecewise-linear through (xs, ys), flat outside; as numpy.interp."""
    if x <= xs[0]:
        return ys[0]
    for i in range(1, len(xs)):
        if x <= xs[i]:
            x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0) if x1 > x0 else y1
    return ys[-1]


class Scorer:
    """A loaded, verified model: components, model score, ranges."""

    def __init__(self, artifact: dict[str, Any], *, sha256: str, path: str) -> None:
        if artifact.get("format") != FORMAT:
            raise ModelArtifactError(
                f"{path} has format {artifact.get('format')!r}; expected {FORMAT!r}"
            )
        self.path = path
        self.sha256 = sha256
        self.version: str = artifact["version"]
        self.features: list[str] = artifact["features"]
        self.typical: list[float] = artifact["typical"]
        self.bounds: dict[str, list[float]] = artifact["bounds"]
        self.knots_x: list[float] = artifact["anomaly_knots"]["anomaly"]
        self.knots_y: list[float] = artifact["anomaly_knots"]["score"]
        self.knots_q: list[float] = artifact["anomaly_knots"]["quantile"]
        gbm, iforest = artifact["gbm"], artifact["iforest"]
        self._gbm = Forest.from_json(gbm)
        self._gbm_init = float(gbm["init"])
        self._gbm_rate = float(gbm["learning_rate"])
        self._iforest = Forest.from_json(iforest)
        self._if_denominator = float(iforest["denominator"])

    def components(self, x: list[float]) -> Components:
        """Both estimators' outputs for feature vector ``x``."""
        x32 = as_float32(x)
        return Components(raw=self._raw(x32), anomaly=self._anomaly(x32))

    def raw(self, x: list[float]) -> float:
        """The boosted trees' log-odds alone (``components(x).raw``)."""
        return self._raw(as_float32(x))

    def anomaly(self, x: list[float]) -> float:
        """The isolation forest's anomaly alone (``components(x).anomaly``)."""
        return self._anomaly(as_float32(x))

    def _raw(self, x32: list[float]) -> float:
        return self._gbm_init + self._gbm.leaf_sum(x32, self._gbm_rate)

    def _anomaly(self, x32: list[float]) -> float:
        depth = self._iforest.leaf_sum(x32)
        return float(2.0 ** (-depth / self._if_denominator))

    def anomaly_score(self, anomaly: float) -> float:
        """The anomaly on the 0-100 scale (capped: see the module docstring)."""
        return _interp(anomaly, self.knots_x, self.knots_y)

    def anomaly_quantile(self, anomaly: float) -> float:
        """The share of training orders less anomalous than this one."""
        return _interp(anomaly, self.knots_x, self.knots_q)

    def model_score(self, x: list[float]) -> float:
        """The model's 0-100 score for feature vector ``x``."""
        return self.score_of(self.components(x))

    def score_of(self, parts: Components) -> float:
        """The model's 0-100 score from its estimators' outputs ``parts``."""
        return max(parts.pattern_score(), self.anomaly_score(parts.anomaly))

    def out_of_range(self, x: list[float]) -> list[str]:
        """The features of ``x`` far outside the training ranges."""
        index = {name: i for i, name in enumerate(self.features)}
        return [
            name
            for name, (low, high) in self.bounds.items()
            if not low <= x[index[name]] <= high
        ]


def load(path: str | Path, sha256: str) -> Scorer:
    """Read and verify the artifact at ``path``.

    Raises:
        ModelArtifactError: it is missing, unreadable, not the expected bytes
            (sha256) or not a model this code understands; the message names
            the path and the expected checksum.
    """
    where = Path(path)
    try:
        blob = where.read_bytes()
    except OSError as e:
        raise ModelArtifactError(
            f"model artifact {where} cannot be read ({e.strerror}); "
            f"expected a file with sha256 {sha256}"
        ) from e
    actual = hashlib.sha256(blob).hexdigest()
    if actual != sha256:
        raise ModelArtifactError(
            f"model artifact {where} is corrupt or not the configured one: "
            f"sha256 {actual}, expected {sha256}"
        )
    try:
        return Scorer(json.loads(blob), sha256=actual, path=str(where))
    except (ValueError, KeyError, TypeError) as e:
        raise ModelArtifactError(
            f"model artifact {where} (sha256 {sha256}) cannot be read: {e!r}"
        ) from e


@functools.cache
def cached(path: str, sha256: str) -> Scorer:
    """``load``, once per process for each (path, checksum)."""
    return load(path, sha256)
