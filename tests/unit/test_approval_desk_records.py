"""What the approval desk records and shows, to the letter.

test_approval_desk.py proves the desk's decisions; this file pins what each
leaves behind for the people who read it later: the approval's record (a
rejection stays a rejection, also after a crash and a redelivery), the audit
trail's reasons and details, the log lines operators search, and what the
pages say (only this subject's other approvals, the model, the time left).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from orderflow.adapters.lambda_callbacks import CallbackAlreadyClosedError
from orderflow.parts.approvals.desk import (
    GONE,
    ApprovalDesk,
    Client,
    redeliver_interrupted,
)
from orderflow.parts.approvals.links import token_hash
from orderflow.parts.approvals.mail import links_in
from orderflow.parts.approvals.pages import Page
from orderflow.parts.approvals.steps import request_approval
from orderflow.parts.ending import ENDED, close_subject
from orderflow.processes.orders.approval import WORDING, order_subject
from orderflow.processes.orders.deps import Deps
from orderflow.registry import ORDERS, approval_views
from tests.unit.test_approval_desk import ME, deps, desk_for, form, gone_lambda
from tests.utils.approvals import SECRET, RecordingCallbacks, waiting_order
from tests.utils.crash import ProcessKilled
from tests.utils.orders import high_risk_order

__all__ = ["deps"]  # the fixture, shared with test_approval_desk.py


class TimedOutCallbacks(RecordingCallbacks):
    """A callback service that has timed the callback out already."""

    def succeed(self, callback_id: str, result: dict[str, Any]) -> None:
        raise CallbackAlreadyClosedError("timed out")

    def fail(self, callback_id: str, *, error_type: str, message: str) -> None:
        raise CallbackAlreadyClosedError("timed out")


class LosesTheRace:
    """The store, where another tab's decision lands just before this claim."""

    def __init__(self, store: Any, rival: Any) -> None:
        self._store, self._rival = store, rival

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def decide_approval(self, callback_id: str, **claim: Any) -> bool:
        rival, self._rival = self._rival, None
        if rival is not None:
            rival()
        result: bool = self._store.decide_approval(callback_id, **claim)
        return result


def interrupted(deps: Deps, token: str, decision: str, **extra: str) -> None:
    """Decide through ``token``; the process dies before the callback completes."""
    with pytest.raises(ProcessKilled):
        desk_for(deps, RecordingCallbacks(error=ProcessKilled())).decide(
            token, form(deps, token, decision, **extra), ME
        )


def logged(caplog: pytest.LogCaptureFixture, message: str) -> list[dict[str, Any]]:
    """The extra fields of each desk log line saying ``message``."""
    keys = ("subject_id", "link_id", "decision", "error")
    return [
        {k: getattr(r, k) for k in keys if hasattr(r, k)}
        for r in caplog.records
        if r.name == "orderflow.approvals" and r.getMessage() == message
    ]


def test_a_rejection_is_recorded_as_one_and_redelivered_as_one(
    deps: Deps, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "orderflow.approvals")
    token = waiting_order(deps)
    interrupted(deps, token, "reject", comment="address looks made up")

    (claim,) = deps.store.list_approvals(subject_id="ORD-P")
    assert (claim.status, claim.decided_by, claim.comment) == (
        "REJECTED",
        "ana@example.com",
        "address looks made up",
    )
    rejected = deps.store.list_audit("ORD-P")[-1]
    assert (rejected.action, rejected.at) == ("rejected", claim.decided_at)
    assert rejected.detail["comment"] == "address looks made up"

    calls = RecordingCallbacks()
    assert claim.decided_at is not None
    after = datetime.fromisoformat(claim.decided_at) + timedelta(seconds=1)
    assert redeliver_interrupted(deps.store, calls, decided_before=after) == 1

    assert calls.succeeded == [
        (
            "cb-secret-P",
            {
                "approved": False,
                "approver": "ana@example.com",
                "comment": "address looks made up",
                "decided_at": claim.decided_at,
            },
        )
    ]
    assert logged(caplog, "decision delivered after an interrupted completion") == [
        {"subject_id": "ORD-P"}
    ]


@pytest.mark.parametrize(
    ("decision", "verb", "next_step"),
    [
        ("approve", "approved", WORDING.after_approval),
        ("reject", "rejected", WORDING.after_rejection),
    ],
)
def test_the_result_page_and_the_callback_carry_the_recorded_decision(
    deps: Deps,
    caplog: pytest.LogCaptureFixture,
    decision: str,
    verb: str,
    next_step: str,
) -> None:
    caplog.set_level(logging.INFO, "orderflow.approvals")
    token = waiting_order(deps)
    calls = RecordingCallbacks()

    page = desk_for(deps, calls).decide(
        token, form(deps, token, decision, comment="checked by phone"), ME
    )

    (approval,) = deps.store.list_approvals(subject_id="ORD-P")
    assert approval.status == verb.upper()
    assert calls.succeeded[0][1]["decided_at"] == approval.decided_at
    assert page.status == 200
    assert f'You {verb} order <span class="mono">ORD-P</span>' in page.body
    assert f"Recorded for ana@example.com at {approval.decided_at}." in page.body
    assert "Your comment: “checked by phone”" in page.body
    assert next_step in page.body
    link_id = deps.store.list_audit("ORD-P")[0].link_id
    assert logged(caplog, "decision recorded") == [
        {"subject_id": "ORD-P", "link_id": link_id, "decision": decision}
    ]


def test_the_loser_of_a_race_sees_the_winners_decision_and_is_audited(
    deps: Deps,
) -> None:
    token = waiting_order(deps)
    winner = RecordingCallbacks()
    fields = form(deps, token)

    def other_tab_rejects() -> None:
        desk_for(deps, winner).decide(token, form(deps, token, "reject"), ME)

    late = Client(source_ip="198.51.100.7", user_agent="second tab")
    loser = RecordingCallbacks()
    desk = ApprovalDesk(
        LosesTheRace(deps.store, other_tab_rejects),  # type: ignore[arg-type]
        loser,
        secret=SECRET,
        views=approval_views(),
    )

    page = desk.decide(token, fields, late)

    (approval,) = deps.store.list_approvals(subject_id="ORD-P")
    assert page.status == 409
    assert f"It was rejected by ana@example.com at {approval.decided_at}." in (
        page.body
    )
    assert loser.succeeded == [] and len(winner.succeeded) == 1
    trail = deps.store.list_audit("ORD-P")
    assert [e.action for e in trail] == ["requested", "rejected", "refused"]
    refused = trail[-1]
    assert (refused.actor, refused.link_id) == ("ana@example.com", trail[0].link_id)
    assert refused.detail["reason"] == "already decided"
    assert refused.detail["source_ip"] == "198.51.100.7"
    assert refused.detail["user_agent"] == "second tab"


def test_a_sweep_delivers_every_interrupted_decision_and_skips_the_rest(
    deps: Deps,
) -> None:
    def order(order_id: str, decision: str | None) -> str:
        token = waiting_order(deps, order_id, callback_id=f"cb-{order_id}")
        if decision is not None:
            interrupted(deps, token, decision)
        return token

    order("ORD-OLD", "approve")  # asked before the window the sweep reads
    window = datetime.now(UTC)
    order("ORD-ENDED", "approve")  # its order moved on since
    deps.store.set_status("ORD-ENDED", "CANCELLED", at=window.isoformat())
    order("ORD-CLOSED", "approve")  # delivered before: the service refuses it
    order("ORD-OPS", None)  # decided by someone who was not asked
    assert deps.store.decide_approval(
        "cb-ORD-OPS", status="APPROVED", decided_by="ops@example.com", at="2030-01-01"
    )
    order("ORD-A", "approve")
    order("ORD-PENDING", None)
    order("ORD-B", "reject")
    order("ORD-C", "approve")
    calls = RecordingCallbacks(succeeded=[("cb-ORD-CLOSED", {"approved": True})])

    later = datetime.now(UTC) + timedelta(seconds=1)
    delivered = redeliver_interrupted(
        deps.store, calls, decided_before=later, created_after=window
    )

    assert delivered == 3
    assert [(cb, r["approved"]) for cb, r in calls.succeeded] == [
        ("cb-ORD-CLOSED", True),
        ("cb-ORD-A", True),
        ("cb-ORD-C", True),
        ("cb-ORD-B", False),
    ]


@pytest.mark.parametrize(
    ("later", "fields", "client", "reason"),
    [
        (timedelta(days=2), None, ME, "link expired"),
        (timedelta(0), {"decision": "approve"}, ME, "bad CSRF value"),
        (timedelta(0), None, Client(cross_site=True), "cross-site request"),
        (
            timedelta(0),
            None,
            Client(foreign_origin="https://evil.example"),
            "foreign origin https://evil.example",
        ),
    ],
)
def test_each_refusal_is_audited_with_its_reason(
    deps: Deps,
    later: timedelta,
    fields: dict[str, str] | None,
    client: Client,
    reason: str,
) -> None:
    token = waiting_order(deps)

    desk_for(deps, RecordingCallbacks(), later=later).decide(
        token, fields or form(deps, token), client
    )

    refused = deps.store.list_audit("ORD-P")[-1]
    assert (refused.action, refused.detail["reason"]) == ("refused", reason)


def test_a_second_post_on_a_decided_link_is_audited_as_such(deps: Deps) -> None:
    token = waiting_order(deps)
    desk = desk_for(deps, RecordingCallbacks())
    desk.decide(token, form(deps, token), ME)

    desk.decide(token, form(deps, token), ME)

    assert deps.store.list_audit("ORD-P")[-1].detail["reason"] == "link decided"


def test_audit_entries_have_their_own_ids_the_round_and_a_bounded_user_agent(
    deps: Deps,
) -> None:
    token = waiting_order(deps, round_no=2)
    long_agent = "A" * 150 + "B" * 150
    desk = desk_for(deps, RecordingCallbacks())
    desk.decide(token, {"decision": "approve"}, Client(user_agent=long_agent))
    desk.decide(token, form(deps, token), Client(user_agent=long_agent))

    trail = deps.store.list_audit("ORD-P")
    assert [e.action for e in trail] == ["requested", "refused", "approved"]
    ids = [e.entry_id for e in trail]
    assert all(ids) and len(set(ids)) == len(ids)
    for entry in trail[1:]:
        assert entry.detail["round"] == 2
        assert entry.detail["user_agent"] == "A" * 150 + "B" * 50


def test_a_subject_of_a_kind_without_a_page_fails_its_callback_as_a_system_error(
    deps: Deps, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "orderflow.approvals")
    token = waiting_order(deps)
    calls = RecordingCallbacks()
    desk = ApprovalDesk(deps.store, calls, secret=SECRET, views={})

    shown = desk.view(token)
    page = desk.decide(token, form(deps, token), ME)

    assert shown.status == 500
    assert '<p class="muted">This request&#39;s record cannot be shown.</p>' in (
        shown.body
    )
    assert page.status == 500
    reason = "the subject's kind has no page"
    assert calls.failed == [("cb-secret-P", "ApprovalSystemError", reason)]
    (approval,) = deps.store.list_approvals(subject_id="ORD-P")
    assert (approval.status, approval.decided_by, approval.comment) == (
        "EXPIRED",
        "orderflow",
        f"system error: {reason}",
    )
    entry = deps.store.list_audit("ORD-P")[-1]
    assert (entry.action, entry.detail["reason"]) == ("system-error", reason)
    assert (entry.at, entry.actor) == (approval.decided_at, "ana@example.com")
    assert logged(caplog, "approval failed") == [{"subject_id": "ORD-P"}]


def test_a_system_error_on_a_callback_that_timed_out_meanwhile_still_answers(
    deps: Deps,
) -> None:
    token = waiting_order(deps)
    desk = ApprovalDesk(deps.store, TimedOutCallbacks(), secret=SECRET, views={})

    page = desk.decide(token, form(deps, token), ME)

    assert page.status == 500
    assert [a.status for a in deps.store.list_approvals(subject_id="ORD-P")] == [
        "EXPIRED"
    ]


def test_a_decision_the_time_out_beat_says_so_on_every_later_visit(
    deps: Deps,
) -> None:
    token = waiting_order(deps)
    desk = desk_for(deps, TimedOutCallbacks())

    page = desk.decide(token, form(deps, token), ME)
    again = desk.view(token)

    assert page.status == 410
    assert '<p class="muted">The request timed out before it arrived.</p>' in (
        page.body
    )
    (approval,) = deps.store.list_approvals(subject_id="ORD-P")
    why = "the request timed out first"
    assert (approval.status, approval.decided_by, approval.comment) == (
        "EXPIRED",
        "orderflow",
        why,
    )
    assert approval.decided_at is not None
    assert datetime.fromisoformat(approval.decided_at) <= datetime.now(UTC)
    assert again.status == 410 and why in again.body
    undone = deps.store.list_audit("ORD-P")[-1]
    assert (undone.action, undone.at) == ("completion-failed", approval.decided_at)
    assert (undone.detail["reason"], undone.detail["now"]) == (why, "EXPIRED")


def test_an_unreachable_service_undoes_the_claim_and_says_why_in_trail_and_logs(
    deps: Deps, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "orderflow.approvals")
    token = waiting_order(deps)
    calls = RecordingCallbacks(error=EndpointConnectionError(endpoint_url="x"))

    desk_for(deps, calls).decide(token, form(deps, token, comment="fine"), ME)

    (approval,) = deps.store.list_approvals(subject_id="ORD-P")
    assert (approval.status, approval.decided_by, approval.comment) == (
        "PENDING",
        None,
        None,
    )
    undone = deps.store.list_audit("ORD-P")[-1]
    assert undone.action == "completion-failed"
    why = "EndpointConnectionError"
    assert (undone.detail["reason"], undone.detail["now"]) == (why, "PENDING")
    link_id = deps.store.list_audit("ORD-P")[0].link_id
    assert logged(caplog, "callback not completed; decision undone") == [
        {"subject_id": "ORD-P", "link_id": link_id, "error": why}
    ]


def test_the_page_lists_only_this_orders_other_approvals(deps: Deps) -> None:
    other = waiting_order(deps, "ORD-Q", callback_id="cb-q", approver="carl@x.com")
    desk = desk_for(deps, RecordingCallbacks())
    desk.decide(other, form(deps, other, comment="Q looks fine"), ME)
    mine = waiting_order(deps)

    body = desk.view(mine).body

    assert "Nobody else has decided yet." in body
    assert "carl@x.com" not in body and "Q looks fine" not in body


def ask_with_model(deps: Deps, order_id: str, model: dict[str, Any]) -> str:
    """Record ``order_id``, scored by ``model``, and ask ana; the link's token."""
    deps.store.create_subject(
        "order", order_id, high_risk_order(order_id), at=datetime.now(UTC).isoformat()
    )
    risk = {"score": 65, "reasons": ["new account"], "model": model}
    request_approval(
        deps,
        f"cb-{order_id}",
        subject=order_subject({"order_id": order_id, "risk": risk}),
        wording=WORDING,
        approver="ana@example.com",
        round_no=1,
        needed=1,
        escalated=False,
    )
    (message,) = deps.store.list_outbox(subject_id=order_id)
    return links_in(message.body)[0].rsplit("/", 1)[1]


def test_the_page_names_the_model_the_time_left_and_the_comment_limit(
    deps: Deps,
) -> None:
    model = {"version": "risk-2025.1", "sha256": "0123456789abcdef" * 4}
    token = ask_with_model(deps, "ORD-M", model)
    link = deps.store.get_link(token_hash(token))
    assert link is not None
    at = datetime.fromisoformat(link.expires_at) - timedelta(minutes=5, seconds=3)
    desk = ApprovalDesk(
        deps.store,
        RecordingCallbacks(),
        secret=SECRET,
        views=approval_views(),
        now=lambda: at,
    )

    body = desk.view(token).body

    assert "<title>Decide order ORD-M · orderflow</title>" in body
    assert "Scored by model risk-2025.1 (sha256" in body
    assert '<span class="mono">0123456789ab</span>' in body
    assert '<span class="pill">5 min left</span>' in body
    assert 'maxlength="1000"' in body


STOPPED = "an operator stopped its processing"
DID_NOT_COUNT = " Your decision did not take effect."


def stop(deps: Deps, order_id: str = "ORD-P") -> None:
    """An operator stops the order's execution: the subject closes, links void."""
    at = datetime.now(UTC).isoformat()
    close_subject(
        deps.store, order_id, process=ORDERS, ending="STOPPED", reason="x", at=at
    )


def closed_detail(page: Page) -> str:
    """The closed page's line of detail."""
    assert page.status == 410 and "This request was closed" in page.body
    return page.body.split('<p class="muted">', 1)[1].split("</p>", 1)[0]


def test_a_closed_subjects_page_says_what_was_closed_and_only_a_post_did_not_count(
    deps: Deps,
) -> None:
    token = waiting_order(deps)
    fields = form(deps, token)
    # Closed, its approval still PENDING: the voiding has not run yet.
    at = datetime.now(UTC).isoformat()
    deps.store.end_subject(
        "ORD-P", ORDERS.failed, terminal=ORDERS.terminal, at=at,
        detail={ENDED: "STOPPED", "reason": "x"},
    )  # fmt: skip
    desk = desk_for(deps, RecordingCallbacks())

    seen = desk.view(token)
    posted = desk.decide(token, fields, ME)

    said = f"The order ORD-P was closed: {STOPPED}."
    assert closed_detail(seen) == said
    assert closed_detail(posted) == said + DID_NOT_COUNT
    refused = deps.store.list_audit("ORD-P")[-1]
    assert (refused.action, refused.detail["reason"]) == ("refused", "subject closed")


def test_a_closed_subject_of_a_kind_without_a_page_is_called_a_request(
    deps: Deps,
) -> None:
    token = waiting_order(deps)
    stop(deps)
    desk = ApprovalDesk(deps.store, RecordingCallbacks(), secret=SECRET, views={})

    assert (
        closed_detail(desk.view(token)) == f"The request ORD-P was closed: {STOPPED}."
    )


def test_the_loser_of_a_race_with_an_operators_stop_sees_the_closed_page(
    deps: Deps,
) -> None:
    token = waiting_order(deps)
    fields = form(deps, token)
    calls = RecordingCallbacks()
    desk = ApprovalDesk(
        LosesTheRace(deps.store, lambda: stop(deps)),  # type: ignore[arg-type]
        calls,
        secret=SECRET,
        views=approval_views(),
    )

    page = desk.decide(token, fields, ME)

    assert closed_detail(page) == f"The order ORD-P was closed: {STOPPED}." + (
        DID_NOT_COUNT
    )
    assert calls.succeeded == []


class StoppedMeanwhile(RecordingCallbacks):
    """The order is stopped while its callback is being completed."""

    def __init__(self, deps: Deps) -> None:
        super().__init__()
        self.deps = deps

    def succeed(self, callback_id: str, result: dict[str, Any]) -> None:
        stop(self.deps)
        raise CallbackAlreadyClosedError("closed with its execution")


def test_a_decision_whose_subject_closed_meanwhile_says_it_did_not_count(
    deps: Deps,
) -> None:
    token = waiting_order(deps)

    page = desk_for(deps, StoppedMeanwhile(deps)).decide(token, form(deps, token), ME)

    assert closed_detail(page) == f"The order ORD-P was closed: {STOPPED}." + (
        DID_NOT_COUNT
    )


def test_a_decision_for_an_execution_that_is_gone_is_undone_saying_why(
    deps: Deps,
) -> None:
    token = waiting_order(deps)
    callbacks, stub = gone_lambda()
    desk = ApprovalDesk(deps.store, callbacks, secret=SECRET, views=approval_views())

    with stub:
        desk.decide(token, form(deps, token), ME)

    (approval,) = deps.store.list_approvals(subject_id="ORD-P")
    assert (approval.status, approval.comment) == ("EXPIRED", GONE)
    assert deps.store.list_audit("ORD-P")[-1].detail["reason"] == GONE
