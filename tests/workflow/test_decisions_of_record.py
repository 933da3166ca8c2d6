"""Decisions of record: the workflow acts on the desk's claim, never on a raw result.

Anyone allowed to complete a callback can complete it with any JSON: a role in
AWS, anyone on loopback locally, an operator with the SAM CLI. These complete
the order's callback bypassing the desk (``Harness.complete_raw``) and check
that nothing is decided, that the attempt is audited and alerted, and that the
approver asked gets a fresh link for the time left, which then decides.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from orderflow.parts.approvals.desk import ApprovalDesk
from orderflow.parts.approvals.flow import MAX_UNVERIFIED
from orderflow.parts.approvals.steps import VOIDED
from orderflow.processes.orders.operations import Op
from orderflow.processes.orders.status import OrderStatus
from orderflow.registry import approval_views
from tests.utils.approvals import SECRET, RecordingCallbacks, emailed_token
from tests.utils.orders import high_risk_order
from tests.workflow.conftest import Harness, body, op_names

ASKED = "approver@example.com"  # the first approver of the test directory
MALLORY = "mallory@example.com"
FORGED = {"approved": True, "approver": MALLORY, "comment": "fine by me"}


def unverified(h: Harness, order_id: str) -> list[dict[str, Any]]:
    """The details of the order's unverified-completion audit entries."""
    return [
        e.detail | {"actor": e.actor}
        for e in h.store.list_audit(order_id)
        if e.action == "unverified-completion"
    ]


def test_a_raw_approval_naming_another_approver_decides_nothing_and_asks_again(
    harness: Callable[..., Harness],
) -> None:
    h = harness()
    arn = h.start(high_risk_order("ORD-T-FORGE"))

    first = h.complete_raw(arn, 1, FORGED)
    second = h.callback_id(arn, 2)  # the same approver, asked again

    record = h.store.get_subject("ORD-T-FORGE")
    assert record is not None and record.status == OrderStatus.AWAITING_APPROVAL
    assert h.store.list_effects("ORD-T-FORGE") == []
    voided, fresh = h.store.list_approvals(subject_id="ORD-T-FORGE")
    assert (voided.callback_id, voided.approver, voided.status) == (
        first,
        ASKED,
        "EXPIRED",
    )
    assert voided.comment == VOIDED
    assert (fresh.callback_id, fresh.approver, fresh.status) == (
        second,
        ASKED,
        "PENDING",
    )
    assert fresh.expires_at <= voided.expires_at  # the time left, not a new day
    [attempt] = unverified(h, "ORD-T-FORGE")
    assert attempt["actor"] == "unknown"
    assert attempt["approver"] == ASKED
    assert attempt["claimed"]["approver"] == MALLORY
    assert attempt["claimed"]["approved"] == "True"
    [alert] = h.store.list_alerts(subject_id="ORD-T-FORGE")
    assert (alert.kind, alert.severity) == ("unverified-completion", "critical")
    old_mail, new_mail = h.store.list_outbox(subject_id="ORD-T-FORGE")
    assert old_mail.recipient == new_mail.recipient == ASKED
    assert "replaces an earlier one" in new_mail.body
    assert "replaces" not in old_mail.body
    page = ApprovalDesk(
        h.store, RecordingCallbacks(), secret=SECRET, views=approval_views()
    ).view(emailed_token(h.store, first))
    assert page.status == 410 and "answered outside orderflow" in page.body

    h.decide(arn, 2, approved=True, comment="checked with the customer")
    result = h.result(arn)

    assert body(result)["status"] == OrderStatus.COMPLETED
    assert op_names(result)[:5] == [
        Op.VALIDATE_ORDER,
        f"{Op.WAIT_FOR_APPROVAL}-1",
        f"{Op.VERIFY_APPROVAL}-1",
        f"{Op.WAIT_FOR_APPROVAL}-2",
        f"{Op.VERIFY_APPROVAL}-2",
    ]
    decided = [e for e in h.store.list_audit("ORD-T-FORGE") if e.action == "approved"]
    assert [e.actor for e in decided] == [ASKED]
    assert MALLORY not in str(h.store.get_subject("ORD-T-FORGE"))


def test_a_raw_rejection_rejects_nothing_and_the_real_decision_stands(
    harness: Callable[..., Harness],
) -> None:
    h = harness()
    arn = h.start(high_risk_order("ORD-T-FREJ"))

    h.complete_raw(arn, 1, {"approved": False, "approver": MALLORY, "comment": "no"})
    h.decide(arn, 2, approved=False, comment="card reported stolen")
    result = h.result(arn)

    assert body(result)["status"] == OrderStatus.REJECTED
    assert body(result)["reason"] == f"rejected by {ASKED}"
    record = h.store.get_subject("ORD-T-FREJ")
    assert record is not None
    assert record.detail["comment"] == "card reported stolen"
    assert [a["claimed"]["approver"] for a in unverified(h, "ORD-T-FREJ")] == [MALLORY]


@pytest.mark.parametrize(
    "payload",
    [
        True,
        None,
        "approve",
        [],
        {"approved": "true", "approver": ASKED},
        {"approved": True, "approver": ASKED},
        # The right shape and the right person, but no claim made at this time.
        {"approved": True, "approver": ASKED, "decided_at": "2026-01-01T00:00:00"},
    ],
    ids=["true", "null", "string", "list", "string-flag", "no-time", "no-claim"],
)
def test_a_result_no_claim_backs_is_not_acted_on(
    harness: Callable[..., Harness], payload: Any
) -> None:
    h = harness()
    arn = h.start(high_risk_order("ORD-T-ODD"))

    h.complete_raw(arn, 1, payload)
    h.callback_id(arn, 2)

    record = h.store.get_subject("ORD-T-ODD")
    assert record is not None and record.status == OrderStatus.AWAITING_APPROVAL
    assert h.store.list_effects("ORD-T-ODD") == []
    assert len(unverified(h, "ORD-T-ODD")) == 1


def test_a_real_result_completed_again_in_the_next_round_counts_once(
    harness: Callable[..., Harness],
) -> None:
    # The first approver's real result, copied into the second approver's
    # round, is a claim by someone not asked in that round.
    big = [{"sku": "WATCH-GOLD", "quantity": 1, "unit_price": "12000.00"}]
    h = harness()
    arn = h.start(high_risk_order("ORD-T-COPY", items=big))
    first = h.decide(arn, 1, approved=True)
    [claim] = h.store.list_approvals(subject_id="ORD-T-COPY", status="APPROVED")
    assert claim.callback_id == first
    copy = {"approved": True, "approver": ASKED, "decided_at": claim.decided_at}

    h.complete_raw(arn, 2, copy)
    h.callback_id(arn, 3)

    record = h.store.get_subject("ORD-T-COPY")
    assert record is not None and record.status == OrderStatus.AWAITING_APPROVAL
    assert [a["approver"] for a in unverified(h, "ORD-T-COPY")] == [
        "manager@example.com"
    ]
    assert h.store.list_effects("ORD-T-COPY") == []


def test_completions_no_claim_backs_fail_the_order_after_the_limit(
    harness: Callable[..., Harness],
) -> None:
    h = harness()
    arn = h.start(high_risk_order("ORD-T-FLOOD"))

    for n in range(1, MAX_UNVERIFIED + 2):
        h.complete_raw(arn, n, FORGED)
    result = h.result(arn)

    assert body(result)["status"] == OrderStatus.FAILED
    assert "no decision backs" in body(result)["reason"]
    assert h.store.list_effects("ORD-T-FLOOD") == []
    assert len(h.store.list_outbox(subject_id="ORD-T-FLOOD")) == MAX_UNVERIFIED + 1
    assert len(h.store.list_alerts(subject_id="ORD-T-FLOOD")) == MAX_UNVERIFIED + 1
    assert {a.status for a in h.store.list_approvals(subject_id="ORD-T-FLOOD")} == {
        "EXPIRED"
    }


def test_a_raw_result_with_no_time_left_escalates_to_the_next_approver(
    harness: Callable[..., Harness],
) -> None:
    h = harness()
    arn = h.start(high_risk_order("ORD-T-LATE-FORGE"))
    emailed_token(h.store, h.callback_id(arn, 1))  # the ask is stored
    later = timedelta(days=30)  # past the link's expiry, before the callback's
    h.deps.now = lambda: datetime.now(UTC) + later

    h.complete_raw(arn, 1, FORGED)
    h.decide(arn, 2, approved=True, approver="manager@example.com")
    result = h.result(arn)

    assert body(result)["status"] == OrderStatus.COMPLETED
    assert op_names(result)[:4] == [
        Op.VALIDATE_ORDER,
        f"{Op.WAIT_FOR_APPROVAL}-1",
        f"{Op.VERIFY_APPROVAL}-1",
        f"{Op.EXPIRE_APPROVAL}-1",
    ]
    assert unverified(h, "ORD-T-LATE-FORGE")[0]["seconds_left"] == 0
