"""Synthetic orders turned into what training and evaluation need."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.generator import generate
from orderflow.processes.orders.order import Order, parse_order
from orderflow.processes.orders.risk import RiskAssessment, assess
from orderflow.processes.orders.scoring.features import extract


@dataclass(frozen=True)
class Dataset:
    """One split: the parsed orders, features, labels, patterns, policy scores."""

    name: str
    seed: int
    orders: list[Order]
    X: np.ndarray  # features, one row per order (float64)
    y: np.ndarray  # 1 = injected anomaly
    patterns: np.ndarray  # the pattern that made each order ("normal" if none)
    policy: list[RiskAssessment]  # the policy rules' verdict, per order

    @property
    def normal(self) -> np.ndarray:
        """Mask of the normal orders."""
        mask: np.ndarray = self.y == 0
        return mask

    def counts(self) -> dict[str, int]:
        """How many orders of each pattern."""
        names, counts = np.unique(self.patterns, return_counts=True)
        return {str(n): int(c) for n, c in zip(names, counts, strict=True)}


def build(name: str, n: int, seed: int, patterns: tuple[str, ...]) -> Dataset:
    """Generate ``n`` orders from ``seed`` and prepare them."""
    synthetic = generate(n, seed, patterns=patterns)
    orders = [parse_order(s.order) for s in synthetic]
    return Dataset(
        name=name,
        seed=seed,
        orders=orders,
        X=np.array([extract(o) for o in orders], dtype=np.float64),
        y=np.array([s.label for s in synthetic], dtype=np.int64),
        patterns=np.array([s.pattern for s in synthetic]),
        policy=[assess(o) for o in orders],
    )
