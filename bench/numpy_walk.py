"""A numpy route over the same artifact, for bench_scorer.py to compare.

All trees of a forest advance one level per step (fancy indexing), so a score
costs a dozen numpy calls per forest instead of a Python loop per node. Not
shipped: the benchmark shows whether it would be worth its import.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np


class _Forest:
    def __init__(self, data: dict[str, Any]) -> None:
        feature = np.array(data["feature"], dtype=np.int64)
        leaf = feature < 0
        index = np.arange(len(feature))
        self.feature = np.where(leaf, 0, feature)
        self.threshold = np.array(data["threshold"], dtype=np.float64)
        # Leaves point at themselves, so extra steps stay put.
        self.left = np.where(leaf, index, np.array(data["left"], dtype=np.int64))
        self.right = np.where(leaf, index, np.array(data["right"], dtype=np.int64))
        self.value = np.array(data["value"], dtype=np.float64)
        self.roots = np.array(data["roots"], dtype=np.int64)
        self.depth = self._depth(leaf)

    def _depth(self, leaf: np.ndarray) -> int:
        """The deepest leaf; children always come after their parent."""
        depth = [0] * len(leaf)
        left, right = self.left.tolist(), self.right.tolist()
        for i, is_leaf in enumerate(leaf.tolist()):
            if not is_leaf:
                depth[left[i]] = depth[right[i]] = depth[i] + 1
        return max(depth)

    def leaves(self, x: np.ndarray) -> np.ndarray:
        node = self.roots
        for _ in range(self.depth):
            go_left = x[self.feature[node]] <= self.threshold[node]
            node = np.where(go_left, self.left[node], self.right[node])
        return self.value[node]


class NumpyScorer:
    """Model score from the artifact with numpy (see module docstring)."""

    def __init__(self, artifact: dict[str, Any]) -> None:
        self.gbm = _Forest(artifact["gbm"])
        self.init = float(artifact["gbm"]["init"])
        self.rate = float(artifact["gbm"]["learning_rate"])
        self.iforest = _Forest(artifact["iforest"])
        self.denominator = float(artifact["iforest"]["denominator"])
        knots = artifact["anomaly_knots"]
        self.knots_x = np.array(knots["anomaly"])
        self.knots_y = np.array(knots["score"])

    @classmethod
    def load(cls, path: str | Path) -> NumpyScorer:
        """Read the artifact (unverified: benchmarking only)."""
        return cls(json.loads(Path(path).read_text()))

    def score(self, x: list[float]) -> float:
        """The model score (0-100) of feature vector ``x``."""
        row = np.asarray(x, dtype=np.float32).astype(np.float64)
        raw = self.init + self.rate * self.gbm.leaves(row).sum()
        anomaly = 2.0 ** (-self.iforest.leaves(row).sum() / self.denominator)
        pattern = 100.0 / (1.0 + np.exp(-raw))
        return float(max(pattern, np.interp(anomaly, self.knots_x, self.knots_y)))
