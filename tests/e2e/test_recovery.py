"""The local stack recovers what a crash interrupted, as Lambda re-drives it in AWS."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from orderflow.processes.orders.status import OrderStatus
from tests.e2e.conftest import StackProcess
from tests.e2e.crashing_stack import CRASH_EXIT_CODE
from tests.e2e.pages import csrf_in, fetch, link_of
from tests.utils.orders import high_risk_order, low_risk_order

pytestmark = pytest.mark.e2e


@contextmanager
def crash_and_restart(
    home: Path, target: str, act: Callable[[StackProcess], object]
) -> Iterator[StackProcess]:
    """Do ``act`` on a stack that dies at ``target``; the stack started again."""
    crashing = StackProcess(home, module=("tests.e2e.crashing_stack", target))
    crashing.start()
    act(crashing)
    assert crashing.process is not None
    assert crashing.process.wait(timeout=60) == CRASH_EXIT_CODE
    restarted = StackProcess(home)
    restarted.start()
    try:
        yield restarted
    finally:
        restarted.stop()


def answer_lost(request: Callable[[], object]) -> None:
    """Send ``request``; its answer dies with the stack."""
    with pytest.raises(OSError):
        request()


@pytest.mark.parametrize("target", ["inventory.reserve", "payment.capture"])
def test_a_crash_between_a_provider_call_and_its_checkpoint_has_one_effect(
    tmp_path: Path, target: str
) -> None:
    def submit(stack: StackProcess) -> object:
        return stack.submit(low_risk_order("E2E-CRASH-1"))

    with crash_and_restart(tmp_path, target, submit) as restarted:
        done = restarted.wait_for_status("E2E-CRASH-1", OrderStatus.COMPLETED)
        actions = [e["action"] for e in done["effects"]]
        assert sorted(actions) == [
            "authorize",
            "capture",
            "create",
            "delivered",
            "in_transit",
            "reserve",
        ]
        assert len(restarted.executions_named("E2E-CRASH-1")) == 1


def test_a_crash_while_an_execution_starts_still_makes_one_execution(
    tmp_path: Path,
) -> None:
    order = low_risk_order("E2E-CRASH-START")

    def submit(stack: StackProcess) -> None:
        answer_lost(lambda: stack.submit(order))

    with crash_and_restart(tmp_path, "lambda.start", submit) as restarted:
        # The client sends its order again, as it would after losing the answer.
        status, body = restarted.submit(order)
        assert (status, body["duplicate"]) == (202, True)
        restarted.wait_for_status("E2E-CRASH-START", OrderStatus.COMPLETED)
        assert len(restarted.executions_named("E2E-CRASH-START")) == 1


def test_a_decision_recorded_before_a_crash_reaches_the_order_after_it(
    tmp_path: Path,
) -> None:
    tokens: list[str] = []

    def approve(stack: StackProcess) -> None:
        stack.submit(high_risk_order("E2E-CRASH-DECIDE"))
        stack.wait_for_status("E2E-CRASH-DECIDE", OrderStatus.AWAITING_APPROVAL)
        tokens.append(link_of(stack, "E2E-CRASH-DECIDE").rsplit("/", 1)[1])
        link = f"{stack.api}/approvals/{tokens[0]}"
        form = {"csrf": csrf_in(fetch(link).body), "decision": "approve"}
        answer_lost(lambda: fetch(link, "POST", form))

    with crash_and_restart(tmp_path, "approval.complete", approve) as restarted:
        # The restart delivers the recorded decision; the link stays spent.
        restarted.wait_for_status("E2E-CRASH-DECIDE", OrderStatus.COMPLETED)
        again = fetch(f"{restarted.api}/approvals/{tokens[0]}")
        assert again.status == 409 and "Already decided" in again.body
        trail = restarted.store.list_audit("E2E-CRASH-DECIDE")
        assert [e.action for e in trail] == ["requested", "approved"]


def test_an_approval_time_out_still_fires_after_a_restart(tmp_path: Path) -> None:
    # One approver: with two, the time-out would escalate before it cancels.
    env = {
        "ORDERFLOW_APPROVAL_TIMEOUT_SECONDS": "5",
        "ORDERFLOW_APPROVERS": "approver@example.com",
    }
    first = StackProcess(tmp_path, env=env)
    first.start()
    try:
        first.submit(high_risk_order("E2E-TIMEOUT-1"))
        first.wait_for_status("E2E-TIMEOUT-1", OrderStatus.AWAITING_APPROVAL)
    finally:
        first.stop()
    time.sleep(1)

    second = StackProcess(tmp_path, env=env)
    second.start()
    try:
        done = second.wait_for_status("E2E-TIMEOUT-1", OrderStatus.CANCELLED)
        assert "did not decide in time" in done["detail"]["reason"]
        assert [a["status"] for a in done["approvals"]] == ["EXPIRED"]
    finally:
        second.stop()
