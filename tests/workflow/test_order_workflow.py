"""The order workflow's routes, run through the real handler in the in-memory runner.

Covers the paths a human sees: auto-approval, one and two approvers, rejection
by an approver or by policy, and an approval that is never answered. Provider
failures, validation and replay are in test_order_workflow_failures.py; approval
edge cases in test_order_workflow_approval_edges.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aws_durable_execution_sdk_python.lambda_service import OperationStatus

from orderflow.parts.readmodel import status_op
from orderflow.processes.orders.operations import Op
from orderflow.processes.orders.status import OrderStatus
from tests.utils.orders import high_risk_order, low_risk_order
from tests.utils.risky import policy_reject_order, value_10k_order
from tests.workflow.conftest import (
    Harness,
    body,
    callback_name,
    history,
    ledger,
    op_names,
)

FULFIL_AND_RECONCILE = [
    status_op(OrderStatus.APPROVED),
    status_op(OrderStatus.FULFILLING),
    Op.RESERVE_INVENTORY,
    Op.AUTHORIZE_PAYMENT,
    Op.CREATE_SHIPMENT,
    Op.CAPTURE_PAYMENT,
    status_op(OrderStatus.RECONCILING),
    Op.WAIT_FOR_DELIVERY,
    Op.RECONCILE_ORDER,
    status_op(OrderStatus.COMPLETED),
]
# Book 39.99 + 2 x 12.50 mugs; laptop 2,899.00.
LOW_RISK_CENTS = 64_99
HIGH_RISK_CENTS = 2_899_00


def test_low_risk_order_completes_without_a_human(
    harness: Callable[..., Harness],
) -> None:
    h = harness()

    result = h.run(low_risk_order("ORD-T-LOW"))

    assert body(result) == {
        "order_id": "ORD-T-LOW",
        "status": "COMPLETED",
        "captured_cents": LOW_RISK_CENTS,
    }
    assert op_names(result) == [Op.VALIDATE_ORDER, *FULFIL_AND_RECONCILE]
    assert history(h.store, "ORD-T-LOW") == [
        "RECEIVED",
        "APPROVED",
        "FULFILLING",
        "RECONCILING",
        "COMPLETED",
    ]
    assert ledger(h.store, "ORD-T-LOW") == [
        ("inventory.reserve", 0, 3),
        ("payment.authorize", LOW_RISK_CENTS, 0),
        ("shipping.create", 0, 1),
        ("payment.capture", LOW_RISK_CENTS, 0),
        ("shipping.in_transit", 0, 0),
        ("shipping.delivered", 0, 0),
    ]
    assert h.store.list_approvals(subject_id="ORD-T-LOW") == []
    assert h.store.list_outbox(subject_id="ORD-T-LOW") == []


def test_high_risk_order_waits_for_one_approver_then_completes_when_approved(
    harness: Callable[..., Harness],
) -> None:
    h = harness()
    arn = h.start(high_risk_order("ORD-T-HIGH"))
    callback_id = h.callback_id(arn)

    record = h.store.get_subject("ORD-T-HIGH")
    assert record is not None
    assert record.status == OrderStatus.AWAITING_APPROVAL
    [pending] = h.store.list_approvals(subject_id="ORD-T-HIGH", status="PENDING")
    assert (pending.callback_id, pending.approver) == (
        callback_id,
        "approver@example.com",
    )
    [message] = h.store.list_outbox(subject_id="ORD-T-HIGH")
    assert message.recipient == "approver@example.com"
    assert "ORD-T-HIGH" in message.subject
    for text in (message.message_id, message.subject, message.body):
        assert callback_id not in text
    assert h.store.list_effects("ORD-T-HIGH") == []

    h.decide(arn, approved=True)
    result = h.result(arn)

    assert body(result)["status"] == "COMPLETED"
    assert op_names(result) == [
        Op.VALIDATE_ORDER,
        f"{Op.WAIT_FOR_APPROVAL}-1",
        f"{Op.VERIFY_APPROVAL}-1",
        *FULFIL_AND_RECONCILE,
    ]
    assert history(h.store, "ORD-T-HIGH")[:3] == [
        "RECEIVED",
        "AWAITING_APPROVAL",
        "APPROVED",
    ]
    assert [a for a, _, _ in ledger(h.store, "ORD-T-HIGH")] == [
        "inventory.reserve",
        "payment.authorize",
        "shipping.create",
        "payment.capture",
        "shipping.in_transit",
        "shipping.delivered",
    ]
    assert ledger(h.store, "ORD-T-HIGH")[3][1] == HIGH_RISK_CENTS


def test_approver_rejection_ends_rejected_with_approver_and_comment_and_no_effects(
    harness: Callable[..., Harness],
) -> None:
    h = harness()
    arn = h.start(high_risk_order("ORD-T-REJ"))

    h.decide(arn, approved=False, comment="card looks stolen")
    result = h.result(arn)

    assert body(result)["status"] == "REJECTED"
    record = h.store.get_subject("ORD-T-REJ")
    assert record is not None
    assert record.status == OrderStatus.REJECTED
    # The name is the one asked, from the desk's record of the decision.
    assert record.detail["reason"] == "rejected by approver@example.com"
    assert record.detail["comment"] == "card looks stolen"
    assert history(h.store, "ORD-T-REJ") == [
        "RECEIVED",
        "AWAITING_APPROVAL",
        "REJECTED",
    ]
    assert h.store.list_effects("ORD-T-REJ") == []
    assert Op.RESERVE_INVENTORY not in op_names(result)


def test_unanswered_approval_escalates_then_cancels_the_order(
    harness: Callable[..., Harness],
) -> None:
    h = harness(approval_timeout_seconds=1)  # real seconds: skip_time does not apply

    result = h.result(h.start(high_risk_order("ORD-T-LATE")))

    assert body(result)["status"] == "CANCELLED"
    assert body(result)["reason"] == (
        "approver@example.com, manager@example.com did not decide in time"
    )
    for n in (1, 2):
        wait = result.get_context(f"{Op.WAIT_FOR_APPROVAL}-{n}")
        assert wait.get_callback(callback_name(n)).status is OperationStatus.TIMED_OUT
    assert op_names(result) == [
        Op.VALIDATE_ORDER,
        f"{Op.WAIT_FOR_APPROVAL}-1",
        f"{Op.EXPIRE_APPROVAL}-1",
        f"{Op.WAIT_FOR_APPROVAL}-2",
        f"{Op.EXPIRE_APPROVAL}-2",
        status_op(OrderStatus.CANCELLED),
    ]
    assert history(h.store, "ORD-T-LATE") == [
        "RECEIVED",
        "AWAITING_APPROVAL",
        "CANCELLED",
    ]
    assert [
        (a.approver, a.status) for a in h.store.list_approvals(subject_id="ORD-T-LATE")
    ] == [("approver@example.com", "EXPIRED"), ("manager@example.com", "EXPIRED")]
    assert h.store.list_effects("ORD-T-LATE") == []


def test_policy_reject_order_is_rejected_without_asking_anyone(
    harness: Callable[..., Harness],
) -> None:
    h = harness()

    result = h.run(policy_reject_order("ORD-T-POLICY"))

    assert body(result)["status"] == "REJECTED"
    assert len(body(result)["reasons"]) == 5
    assert op_names(result) == [Op.VALIDATE_ORDER, status_op(OrderStatus.REJECTED)]
    assert history(h.store, "ORD-T-POLICY") == ["RECEIVED", "REJECTED"]
    assert h.store.list_approvals(subject_id="ORD-T-POLICY") == []
    assert h.store.list_outbox(subject_id="ORD-T-POLICY") == []
    assert h.store.list_effects("ORD-T-POLICY") == []


def score_80_order(order_id: str) -> dict[str, Any]:
    """Fast, high-value, 20-day-old account (55) and over 5,000 (25): score 80."""
    return high_risk_order(
        order_id, items=[{"sku": "TV-98", "quantity": 1, "unit_price": "6000.00"}]
    )


@pytest.mark.parametrize("make_order", [score_80_order, value_10k_order])
def test_two_approver_order_needs_both_approvals(
    harness: Callable[..., Harness], make_order: Callable[[str], dict[str, Any]]
) -> None:
    h = harness()
    arn = h.start(make_order("ORD-T-TWO"))

    h.decide(arn, 1, approved=True, approver="approver@example.com")
    h.callback_id(arn, 2)  # suspended again, on the second approver

    record = h.store.get_subject("ORD-T-TWO")
    assert record is not None
    assert record.status == OrderStatus.AWAITING_APPROVAL
    assert h.store.list_effects("ORD-T-TWO") == []
    approvals = h.store.list_approvals(subject_id="ORD-T-TWO")
    assert [a.approver for a in approvals] == [
        "approver@example.com",
        "manager@example.com",
    ]
    assert [m.recipient for m in h.store.list_outbox(subject_id="ORD-T-TWO")] == [
        "approver@example.com",
        "manager@example.com",
    ]

    h.decide(arn, 2, approved=True, approver="manager@example.com")
    result = h.result(arn)

    assert body(result)["status"] == "COMPLETED"
    names = op_names(result)
    assert names.index(f"{Op.WAIT_FOR_APPROVAL}-2") < names.index(Op.RESERVE_INVENTORY)


def test_second_approver_can_reject_after_the_first_approved(
    harness: Callable[..., Harness],
) -> None:
    h = harness()
    arn = h.start(value_10k_order("ORD-T-TWO-REJ"))

    h.decide(arn, 1, approved=True, approver="approver@example.com")
    h.decide(arn, 2, approved=False, approver="manager@example.com", comment="too big")
    result = h.result(arn)

    assert body(result)["status"] == "REJECTED"
    assert "manager@example.com" in body(result)["reason"]
    assert h.store.list_effects("ORD-T-TWO-REJ") == []
