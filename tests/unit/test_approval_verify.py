"""``verify_decision``: which callback results are decisions of record.

The desk claims a decision in the store, then completes the callback with it;
these take the result the desk sent (``RecordingCallbacks``) and variations of
it, and check what the workflow's ``verify-approval-<n>`` step makes of each.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from orderflow.parts.approvals.desk import ApprovalDesk, Client
from orderflow.parts.approvals.links import csrf_value, token_hash
from orderflow.parts.approvals.steps import (
    SYSTEM_ERROR,
    VOIDED,
    approval_key,
    verify_decision,
)
from orderflow.processes.orders.deps import Deps
from orderflow.registry import approval_views
from tests.utils.approvals import SECRET, RecordingCallbacks, waiting_order

ANA = "ana@example.com"
CALLBACK = "cb-secret-P"


@pytest.fixture
def deps(make_deps: Callable[..., Deps]) -> Deps:
    return make_deps(public_url="https://api.example.com")


def decided(deps: Deps, decision: str = "approve", comment: str = "") -> dict[str, Any]:
    """Ask Ana, let her decide through the desk; the result the desk sent."""
    token = waiting_order(deps, callback_id=CALLBACK, approver=ANA)
    link = deps.store.get_link(token_hash(token))
    assert link is not None
    callbacks = RecordingCallbacks()
    desk = ApprovalDesk(deps.store, callbacks, secret=SECRET, views=approval_views())
    fields = {"csrf": csrf_value(SECRET, link), "decision": decision}
    page = desk.decide(token, fields | {"comment": comment}, Client())
    assert page.status == 200, page.body
    [(_, result)] = callbacks.succeeded
    return result


def verify(deps: Deps, result: Any, **changes: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "subject_id": "ORD-P",
        "approver": ANA,
        "round_no": 1,
        "accepted": (),
    }
    return verify_decision(deps, result, **(args | changes))


@pytest.mark.parametrize(
    ("decision", "approved"), [("approve", True), ("reject", False)]
)
def test_the_desks_own_result_is_of_record_with_the_claims_words(
    deps: Deps, decision: str, approved: bool
) -> None:
    result = decided(deps, decision, comment="called the customer")

    # Whoever the result names, the approver and comment come from the claim.
    forged_name = result | {"approver": "mallory@example.com", "comment": "x"}
    assert verify(deps, forged_name) == {
        "verified": True,
        "approved": approved,
        "approver": ANA,
        "comment": "called the customer",
        "key": approval_key(CALLBACK),
    }
    assert deps.store.list_alerts(subject_id="ORD-P") == []


@pytest.mark.parametrize(
    "change",
    [
        {"approved": False},  # the claim approved
        {"decided_at": "2026-01-01T00:00:00+00:00"},  # another time
        {"decided_at": None},
    ],
    ids=["flipped", "other-time", "no-time"],
)
def test_a_result_that_differs_from_the_claim_is_not(
    deps: Deps, change: dict[str, Any]
) -> None:
    result = decided(deps) | change

    assert verify(deps, result)["verified"] is False


def test_a_claim_already_counted_is_not_counted_again(deps: Deps) -> None:
    result = decided(deps)

    again = verify(deps, result, round_no=2, accepted=(approval_key(CALLBACK),))

    assert again["verified"] is False


def test_a_claim_by_someone_else_than_the_approver_asked_is_not(deps: Deps) -> None:
    result = decided(deps)

    assert verify(deps, result, approver="bob@example.com")["verified"] is False


def test_a_request_closed_by_orderflow_backs_no_approval(deps: Deps) -> None:
    waiting_order(deps, callback_id=CALLBACK, approver=ANA)
    at = datetime.now(UTC).isoformat()
    deps.store.decide_approval(
        CALLBACK, status="APPROVED", decided_by="orderflow-monitor", at=at
    )

    result = {"approved": True, "approver": ANA, "decided_at": at}
    assert verify(deps, result)["verified"] is False


def test_an_unverified_result_voids_the_request_audits_and_alerts_once(
    deps: Deps,
) -> None:
    waiting_order(deps, callback_id=CALLBACK, approver=ANA)
    forged = {"approved": True, "approver": "mallory@example.com"}

    first = verify(deps, forged)
    again = verify(deps, forged)  # a retried step

    assert first["verified"] is again["verified"] is False
    assert 86_000 < first["seconds_left"] <= 86_400  # the default day, nearly all
    [approval] = deps.store.list_approvals(subject_id="ORD-P")
    assert (approval.status, approval.decided_by, approval.comment) == (
        "EXPIRED",
        "orderflow",
        VOIDED,
    )
    [entry] = [
        e for e in deps.store.list_audit("ORD-P") if e.action == "unverified-completion"
    ]
    assert entry.actor == "unknown"
    assert entry.detail["claimed"] == {
        "approved": "True",
        "approver": "mallory@example.com",
    }
    [alert] = deps.store.list_alerts(subject_id="ORD-P")
    assert (alert.severity, alert.kind) == ("critical", "unverified-completion")
    assert "mallory" not in alert.message  # the claim is in the audit trail


def test_no_time_is_left_once_the_request_has_expired(deps: Deps) -> None:
    waiting_order(deps, callback_id=CALLBACK, approver=ANA)
    deps.now = lambda: datetime.now(UTC) + timedelta(days=2)

    assert verify(deps, {"approved": True})["seconds_left"] == 0


def test_a_failed_callback_is_of_record_only_after_the_desks_system_error(
    deps: Deps,
) -> None:
    waiting_order(deps, callback_id=CALLBACK, approver=ANA)
    assert verify(deps, None, failed=True)["verified"] is False  # raw: voided

    waiting_order(deps, "ORD-Q", callback_id="cb-Q", approver=ANA)
    deps.store.decide_approval(
        "cb-Q",
        status="EXPIRED",
        decided_by="orderflow",
        at=datetime.now(UTC).isoformat(),
        comment=SYSTEM_ERROR + "the subject's record is missing",
    )
    assert verify(deps, None, failed=True, subject_id="ORD-Q")["verified"] is True
