"""bench/load.py, small: 60 orders at once and 20 approval POSTs racing over 10 links.

``make proof`` runs the full size (1,000 orders, 200 racing POSTs over 100 links).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.load import run_load
from tests.e2e.conftest import StackProcess

pytestmark = pytest.mark.e2e


def test_orders_at_once_end_terminal_and_racing_posts_decide_each_link_once(
    tmp_path: Path,
) -> None:
    stack = StackProcess(tmp_path)
    stack.start()
    try:
        result = run_load(stack, orders=60, links=10, in_flight=8, timeout=240)
    finally:
        stack.stop()

    print(result.summary())  # the figures, shown with pytest -rA
    assert result.violations == []
    assert result.races["approve-vs-reject 200+409"] == 5
    assert result.races["double-approve 200+409"] == 5
    assert len(result.auto_latencies_ms) == 50
