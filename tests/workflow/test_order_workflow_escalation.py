"""Escalation down the approver directory, and the audit trail it leaves.

Time-outs run on the real clock (the runner's skip_time does not skip callback
time-outs), so these use time-outs of a second or two.
"""

from __future__ import annotations

from collections.abc import Callable

from orderflow.parts.approvals.mail import links_in
from orderflow.processes.orders.operations import Op
from orderflow.processes.orders.status import OrderStatus
from tests.utils.orders import high_risk_order, low_risk_order
from tests.workflow.conftest import Harness, body, op_names

A, B, C = "ana@example.com", "bob@example.com", "cy@example.com"
BIG = [{"sku": "WATCH-GOLD", "quantity": 1, "unit_price": "12000.00"}]


def trail(h: Harness, order_id: str) -> list[tuple[str, str]]:
    """The audit trail as (action, actor or approver asked)."""
    return [
        (e.action, str(e.detail.get("approver", e.actor)))
        for e in h.store.list_audit(order_id)
    ]


def test_a_timed_out_request_escalates_to_the_next_approver_with_a_fresh_link(
    harness: Callable[..., Harness],
) -> None:
    h = harness(approval_timeout_seconds=2, approvers=(A, B, C))
    arn = h.start(high_risk_order("ORD-T-ESC"))

    h.decide(arn, 2, approved=True, approver=B)  # round 1 (A) timed out first
    result = h.result(arn)

    assert body(result)["status"] == "COMPLETED"
    names = op_names(result)
    assert names[:5] == [
        Op.VALIDATE_ORDER,
        f"{Op.WAIT_FOR_APPROVAL}-1",
        f"{Op.EXPIRE_APPROVAL}-1",
        f"{Op.WAIT_FOR_APPROVAL}-2",
        f"{Op.VERIFY_APPROVAL}-2",
    ]
    assert f"{Op.WAIT_FOR_APPROVAL}-3" not in names
    approvals = h.store.list_approvals(subject_id="ORD-T-ESC")
    assert [(a.approver, a.status) for a in approvals] == [
        (A, "EXPIRED"),
        (B, "APPROVED"),
    ]
    assert "escalated to bob@example.com" in (approvals[0].comment or "")
    first, second = h.store.list_outbox(subject_id="ORD-T-ESC")
    assert (first.recipient, second.recipient) == (A, B)
    assert links_in(first.body) != links_in(second.body)
    assert "earlier request was not answered" in second.body
    assert trail(h, "ORD-T-ESC") == [
        ("requested", A),
        ("timed-out", A),
        ("escalated", "orderflow"),
        ("requested", B),
        ("approved", B),
    ]


def test_two_approvals_survive_one_time_out_when_the_directory_has_a_third(
    harness: Callable[..., Harness],
) -> None:
    h = harness(approval_timeout_seconds=2, approvers=(A, B, C))
    arn = h.start(low_risk_order("ORD-T-ESC2", items=BIG))

    h.decide(arn, 1, approved=True, approver=A)
    h.decide(arn, 3, approved=True, approver=C)  # B timed out in between
    result = h.result(arn)

    assert body(result)["status"] == "COMPLETED"
    assert [a.approver for a in h.store.list_approvals(subject_id="ORD-T-ESC2")] == [
        A,
        B,
        C,
    ]
    assert ("timed-out", B) in trail(h, "ORD-T-ESC2")


def test_a_two_approver_order_is_cancelled_once_too_few_approvers_are_left(
    harness: Callable[..., Harness],
) -> None:
    h = harness(approval_timeout_seconds=1, approvers=(A, B))

    result = h.result(h.start(low_risk_order("ORD-T-ESC3", items=BIG)))

    assert body(result)["status"] == "CANCELLED"
    assert f"{Op.WAIT_FOR_APPROVAL}-2" not in op_names(result)  # B alone cannot do
    assert trail(h, "ORD-T-ESC3") == [
        ("requested", A),
        ("timed-out", A),
        ("cancelled", "orderflow"),
    ]
    (only,) = h.store.list_approvals(subject_id="ORD-T-ESC3")
    assert only.status == "EXPIRED"


def test_a_directory_smaller_than_the_approvals_needed_fails_the_order(
    harness: Callable[..., Harness],
) -> None:
    h = harness(approvers=(A, A.upper()))  # one approver, written twice

    result = h.run(low_risk_order("ORD-T-ESC4", items=BIG))

    assert body(result)["status"] == OrderStatus.FAILED
    assert body(result)["reason"] == "2 approvals needed, 1 approver(s) configured"
    assert h.store.list_approvals(subject_id="ORD-T-ESC4") == []
