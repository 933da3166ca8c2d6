"""Approval edge cases: odd callback payloads, and the read model between approvals.

The callback result is input from outside the workflow: whatever arrives, the
order must end in a terminal status, and only an explicit approval may fulfil it.
While an order waits, its approvals say who it waits for and until when.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from orderflow.processes.orders.status import TERMINAL_STATUSES
from tests.utils.orders import high_risk_order, low_risk_order
from tests.workflow.conftest import Harness, body


@pytest.mark.parametrize("payload", [b"true", b"null"])
def test_approval_payload_that_is_not_an_object_ends_the_order_in_a_terminal_status(
    harness: Callable[..., Harness], payload: bytes
) -> None:
    h = harness()
    arn = h.start(high_risk_order("ORD-T-ODD"))
    h.runner.send_callback_success(h.callback_id(arn), payload)
    h.result(arn)

    record = h.store.get_subject("ORD-T-ODD")
    assert record is not None
    assert record.status in TERMINAL_STATUSES
    assert h.store.list_effects("ORD-T-ODD") == []


def test_approval_only_counts_when_approved_is_literally_true(
    harness: Callable[..., Harness],
) -> None:
    h = harness()
    arn = h.start(high_risk_order("ORD-T-STR"))
    decision = {"approved": "false", "approver": "approver@example.com"}
    h.runner.send_callback_success(h.callback_id(arn), json.dumps(decision).encode())

    assert body(h.result(arn))["status"] != "COMPLETED"
    assert h.store.list_effects("ORD-T-STR") == []


def test_read_model_names_the_second_approver_while_waiting_for_them(
    harness: Callable[..., Harness],
) -> None:
    h = harness()
    big = [{"sku": "WATCH-GOLD", "quantity": 1, "unit_price": "12000.00"}]
    arn = h.start(low_risk_order("ORD-T-WHO", items=big))
    h.decide(arn, 1, approved=True, approver="approver@example.com")
    h.callback_id(arn, 2)

    record = h.store.get_subject("ORD-T-WHO")
    first, second = h.store.list_approvals(subject_id="ORD-T-WHO")
    assert record is not None
    assert record.status == "AWAITING_APPROVAL"
    assert first.approver == "approver@example.com"
    assert (second.status, second.approver) == ("PENDING", "manager@example.com")
    assert "approver" not in record.detail  # never a stale copy in the read model
