"""Re-issuing a link through the desk, on a real SQLite store.

The old link stops working, the new one decides once for the approver asked,
and the workflow's check (``verify_decision``) takes that decision as of record.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from orderflow.local.approval_client import link_for
from orderflow.parts.approvals.desk import ApprovalDesk, Client
from orderflow.parts.approvals.links import csrf_value, token_hash
from orderflow.parts.approvals.mail import links_in
from orderflow.parts.approvals.reissue import ReissueError, reissue_link
from orderflow.parts.approvals.steps import approval_message_id, verify_decision
from orderflow.processes.orders.deps import Deps
from orderflow.registry import approval_views
from tests.utils.approvals import SECRET, RecordingCallbacks, waiting_order

URL = "https://api.example.com"


@pytest.fixture
def deps(make_deps: Callable[..., Deps]) -> Deps:
    return make_deps(public_url=URL)


def decide(deps: Deps, callbacks: RecordingCallbacks, token: str) -> int:
    """Approve through the desk with ``token``; the page's status."""
    desk = ApprovalDesk(deps.store, callbacks, secret=SECRET, views=approval_views())
    link = deps.store.get_link(token_hash(token))
    fields = {"decision": "approve"}
    if link is not None:
        fields["csrf"] = csrf_value(SECRET, link)
    return desk.decide(token, fields, Client()).status


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_a_reissued_link_replaces_the_old_and_decides_of_record(deps: Deps) -> None:
    old = waiting_order(deps, "ORD-RE", round_no=2, needed=2)
    before = deps.store.get_link(token_hash(old))
    assert before is not None

    issued = reissue_link(deps.store, "ORD-RE", public_url=URL, operator="ops:kim")

    new = token_of(issued.link)
    assert issued.link.startswith(f"{URL}/approvals/") and new != old
    after = deps.store.get_link(token_hash(new))
    assert after is not None
    assert (after.approver, after.round, after.needed, after.expires_at) == (
        before.approver,
        2,
        2,
        before.expires_at,
    )
    callbacks = RecordingCallbacks()
    assert decide(deps, callbacks, old) == 410  # "This link has expired"
    assert callbacks.succeeded == []
    assert decide(deps, callbacks, new) == 200
    [(callback_id, result)] = callbacks.succeeded
    assert callback_id == "cb-secret-P"
    verified = verify_decision(
        deps,
        result,
        subject_id="ORD-RE",
        approver="ana@example.com",
        round_no=2,
        accepted=(),
    )
    assert verified["verified"] is True and verified["approver"] == "ana@example.com"
    reissued = [e for e in deps.store.list_audit("ORD-RE") if e.action == "reissued"]
    assert [(e.actor, e.link_id) for e in reissued] == [("ops:kim", issued.link_id)]


def test_the_email_is_queued_again_with_the_new_link(deps: Deps) -> None:
    old = waiting_order(deps, "ORD-RE")

    issued = reissue_link(deps.store, "ORD-RE", public_url=URL, operator="ops")

    first, again = deps.store.list_outbox(subject_id="ORD-RE")
    assert first.message_id == approval_message_id("cb-secret-P")
    assert links_in(again.body) == [issued.link] and old not in again.body
    assert "An operator re-issued this link" in again.body
    assert (again.subject, again.recipient) == (first.subject, "ana@example.com")
    [approval] = deps.store.list_approvals(subject_id="ORD-RE")
    assert link_for(deps.store, approval) == issued.link


def test_a_second_reissue_replaces_the_first(deps: Deps) -> None:
    waiting_order(deps, "ORD-RE")
    first = reissue_link(deps.store, "ORD-RE", public_url=URL, operator="ops")

    second = reissue_link(deps.store, "ORD-RE", public_url=URL, operator="ops")

    callbacks = RecordingCallbacks()
    assert decide(deps, callbacks, token_of(first.link)) == 410
    assert decide(deps, callbacks, token_of(second.link)) == 200


def test_nothing_pending_expired_or_ambiguous_is_refused(deps: Deps) -> None:
    with pytest.raises(ReissueError, match="no pending approval"):
        reissue_link(deps.store, "ORD-NONE", public_url=URL, operator="ops")
    waiting_order(deps, "ORD-RE")
    waiting_order(deps, "ORD-RE", callback_id="cb-2", approver="bo@example.com")
    with pytest.raises(ReissueError, match=r"waits for ana@example\.com, bo@example"):
        reissue_link(deps.store, "ORD-RE", public_url=URL, operator="ops")
    with pytest.raises(ReissueError, match="no pending approval for cy@"):
        reissue_link(
            deps.store, "ORD-RE", public_url=URL, operator="ops", approver="cy@x.org"
        )
    later = datetime.now(UTC) + timedelta(days=2)
    with pytest.raises(ReissueError, match="expired"):
        reissue_link(
            deps.store,
            "ORD-RE",
            public_url=URL,
            operator="ops",
            approver="BO@example.com",
            now=lambda: later,
        )

    issued = reissue_link(
        deps.store, "ORD-RE", public_url=URL, operator="ops", approver="bo@example.com"
    )

    assert issued.approver == "bo@example.com"


def test_a_decided_approval_gets_no_new_link(deps: Deps) -> None:
    token = waiting_order(deps, "ORD-RE")
    assert decide(deps, RecordingCallbacks(), token) == 200

    with pytest.raises(ReissueError, match="no pending approval"):
        reissue_link(deps.store, "ORD-RE", public_url=URL, operator="ops")
