"""State survives a restart of the whole local stack."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from orderflow.processes.orders.status import OrderStatus
from tests.e2e.conftest import StackProcess
from tests.e2e.pages import decide_on_page
from tests.utils.orders import high_risk_order

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["term", "kill"])
def test_order_waiting_for_approval_survives_a_restart_and_completes(
    tmp_path: Path, how: signal.Signals
) -> None:
    first = StackProcess(tmp_path)
    first.start()
    try:
        first.submit(high_risk_order("E2E-RESTART-1"))
        first.wait_for_status("E2E-RESTART-1", OrderStatus.AWAITING_APPROVAL)
    finally:
        first.stop(how)
    assert first.process is not None and first.process.returncode is not None

    second = StackProcess(tmp_path)
    second.start()
    try:
        decide_on_page(second, "E2E-RESTART-1")  # the link emailed before
        done = second.wait_for_status("E2E-RESTART-1", OrderStatus.COMPLETED)
        assert len(done["effects"]) == 6  # 4 fulfilment effects, 2 tracking events
        assert len(second.executions_named("E2E-RESTART-1")) == 1
        # The same order submitted after the restart is still the one execution.
        assert second.submit(high_risk_order("E2E-RESTART-1"))[1]["duplicate"] is True
        assert len(second.executions_named("E2E-RESTART-1")) == 1
    finally:
        second.stop()
