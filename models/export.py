"""Turn the fitted scikit-learn estimators into the serving artifact (plain JSON).

The artifact holds each tree as flat arrays (feature, threshold, children, leaf
value), which ``orderflow.processes.orders.scoring.runtime`` walks in pure Python.
Leaf values are
precomputed so the runtime adds numbers up in the same order scikit-learn does:

- IsolationForest: leaf value = depth + c(samples in leaf) - 1, summed over the
  trees; score_samples = -2 ** (-sum / (trees * c(max_samples))).
- GradientBoostingClassifier (log loss): raw = init + sum(learning_rate * leaf);
  predict_proba = 1 / (1 + exp(-raw)).

Both estimators compare float32 inputs with float64 thresholds; so does the
runtime. JSON floats use Python's repr, which round-trips float64 exactly.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from sklearn.ensemble import GradientBoostingClassifier, IsolationForest
from sklearn.ensemble._iforest import _average_path_length

FORMAT = "orderflow-risk-model/1"


def _flatten(trees: list[Any], leaf_values: list[np.ndarray]) -> dict[str, Any]:
    """Concatenate sklearn trees into one set of arrays with absolute indices."""
    feature: list[int] = []
    threshold: list[float] = []
    left: list[int] = []
    right: list[int] = []
    value: list[float] = []
    roots: list[int] = []
    for tree, leaves in zip(trees, leaf_values, strict=True):
        base = len(feature)
        roots.append(base)
        is_leaf = tree.children_left == -1
        feature += np.where(is_leaf, -1, tree.feature).tolist()
        threshold += np.where(is_leaf, 0.0, tree.threshold).tolist()
        left += np.where(is_leaf, -1, tree.children_left + base).tolist()
        right += np.where(is_leaf, -1, tree.children_right + base).tolist()
        value += np.where(is_leaf, leaves, 0.0).tolist()
    return {
        "roots": roots,
        "feature": feature,
        "threshold": threshold,
        "left": left,
        "right": right,
        "value": value,
    }


def export_iforest(model: IsolationForest, n_features: int) -> dict[str, Any]:
    """The IsolationForest's trees, leaf path lengths and normaliser."""
    if model._max_features != n_features or any(
        list(f) != list(range(n_features)) for f in model.estimators_features_
    ):
        raise ValueError(
            "export needs every tree to see every feature (max_features=1.0)"
        )
    leaves = []
    for est in model.estimators_:
        tree = est.tree_
        depths = tree.compute_node_depths().astype(np.float64)
        avg = _average_path_length(tree.n_node_samples)
        leaves.append(depths + avg - 1.0)
    forest = _flatten([e.tree_ for e in model.estimators_], leaves)
    denominator = len(model.estimators_) * float(
        _average_path_length([model._max_samples])[0]
    )
    return {"denominator": denominator, **forest}


def export_gbm(model: GradientBoostingClassifier, n_features: int) -> dict[str, Any]:
    """The boosted trees' leaf values, learning rate and starting log-odds."""
    if model.n_trees_per_iteration_ != 1:
        raise ValueError("export handles binary classification only")
    init = float(
        model._raw_predict_init(np.zeros((1, n_features), dtype=np.float32))[0, 0]
    )
    trees = [stage[0].tree_ for stage in model.estimators_]
    forest = _flatten(trees, [t.value[:, 0, 0] for t in trees])
    return {"init": init, "learning_rate": float(model.learning_rate), **forest}


def dumps(artifact: dict[str, Any]) -> bytes:
    """The artifact as compact, deterministic JSON bytes."""
    return (json.dumps(artifact, separators=(",", ":"), sort_keys=True) + "\n").encode()
