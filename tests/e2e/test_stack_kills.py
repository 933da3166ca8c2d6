"""bench/stack_kills.py, small: 20 orders, provider faults, 2 whole-stack kills.

``make proof`` runs the full size (200 orders, 5 kills).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.stack_kills import run_kills

pytestmark = pytest.mark.e2e


def test_orders_survive_sigkills_of_the_whole_stack_once_each(tmp_path: Path) -> None:
    result = run_kills(
        tmp_path, orders=20, kills=2, seed=7, life=(1.0, 3.0), timeout=180
    )

    print(result.summary())  # the figures, shown with pytest -rA
    assert result.violations == []
    assert len(result.redriven) == 3  # three lives: two killed, one to the end
    assert result.redriven[1] > 0  # the first kill caught executions in flight
    assert sum(result.statuses.values()) == 20
