"""The time-out path on the real local stack: escalate, then cancel, all audited.

The stack runs with a 3-second approval time-out (callback time-outs run on the
emulator's real clock). Nobody answers: the first approver's request times
out and moves to the next approver with a fresh link; that one times out too
and the order is cancelled. The expired link gets its page and changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from orderflow.processes.orders.status import OrderStatus
from tests.e2e.conftest import StackProcess
from tests.e2e.pages import csrf_in, fetch, link_of
from tests.utils.orders import high_risk_order

pytestmark = pytest.mark.e2e
TIMEOUT_SECONDS = 3
A, B = "approver@example.com", "manager@example.com"


@pytest.fixture(scope="module")
def slow_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """A stack whose approvers have three seconds each."""
    running = StackProcess(
        tmp_path_factory.mktemp("timeout-stack"),
        env={
            "ORDERFLOW_APPROVAL_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
            "ORDERFLOW_APPROVERS": f"{A},{B}",
        },
    )
    running.start()
    yield running
    running.stop()


def test_an_unanswered_request_escalates_then_cancels_each_step_audited(
    slow_stack: StackProcess,
) -> None:
    stack = slow_stack
    stack.submit(high_risk_order("LATE-1"))
    a_link = link_of(stack, "LATE-1", A)
    a_csrf = csrf_in(fetch(a_link).body)  # A opens the page, then walks away

    b_link = link_of(stack, "LATE-1", B, timeout=4 * TIMEOUT_SECONDS)
    assert b_link != a_link
    expired = fetch(a_link)
    late = fetch(a_link, "POST", {"csrf": a_csrf, "decision": "approve"})
    assert expired.status == late.status == 410
    assert "This link has expired" in late.body
    assert f"escalated to {B}" in expired.body

    done = stack.wait_for_status(
        "LATE-1", OrderStatus.CANCELLED, timeout=6 * TIMEOUT_SECONDS
    )
    assert done["effects"] == []
    assert fetch(b_link).status == 410

    status = stack.status_json("LATE-1")
    approvals = status["approvals"]
    assert isinstance(approvals, list)
    assert [(a["approver"], a["status"]) for a in approvals] == [
        (A, "EXPIRED"),
        (B, "EXPIRED"),
    ]
    audit = status["audit"]
    assert isinstance(audit, list)
    steps = [(e["action"], e["actor"]) for e in audit if e["action"] != "refused"]
    assert steps == [
        ("requested", "orderflow"),
        ("timed-out", A),
        ("escalated", "orderflow"),
        ("requested", "orderflow"),
        ("timed-out", B),
        ("cancelled", "orderflow"),
    ]
    assert audit[0]["detail"]["approver"] == A
    escalated = next(e for e in audit if e["action"] == "escalated")
    assert escalated["detail"] == {"from": A, "to": B, "round": 2}
    refused = [e for e in audit if e["action"] == "refused"]
    assert [e["actor"] for e in refused] == [A]  # the late POST, turned away
    assert "callback_id" not in json.dumps(status)
    assert [e["at"] for e in audit] == sorted(e["at"] for e in audit)

    # The emulator logged both time-outs, without the callbacks' ids.
    logs = "".join(
        (stack.home / name).read_text() for name in ("emulator.log", "up.log")
    )
    assert "{callback-id}" in logs
    for pending in stack.store.list_approvals(subject_id="LATE-1"):
        assert pending.callback_id not in logs
    for link in (a_link, b_link):
        assert link.rsplit("/", 1)[1] not in logs
