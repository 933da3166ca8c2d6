"""The approval page's logic on a real SQLite store, with a recording completer.

Covers every page a link can land on, the CSRF and origin checks, single use
under replays and races, and what happens when the callback cannot complete.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber

from orderflow.adapters.lambda_callbacks import (
    CallbackAlreadyClosedError,
    LambdaCallbacks,
)
from orderflow.parts.approvals.desk import ApprovalDesk, Client, redeliver_interrupted
from orderflow.parts.approvals.links import (
    TOKEN_BYTES,
    csrf_value,
    mint_token,
    token_hash,
)
from orderflow.parts.ending import close_subject
from orderflow.processes.orders.deps import Deps
from orderflow.registry import ORDERS, approval_views
from tests.utils.approvals import SECRET, RecordingCallbacks, waiting_order
from tests.utils.crash import ProcessKilled

ME = Client(source_ip="203.0.113.9", user_agent="pytest")
CSRF = 'name="csrf" value="'


@pytest.fixture
def deps(make_deps: Callable[..., Deps]) -> Deps:
    return make_deps(public_url="https://api.example.com")


def desk_for(
    deps: Deps, callbacks: RecordingCallbacks, *, later: timedelta = timedelta(0)
) -> ApprovalDesk:
    return ApprovalDesk(
        deps.store,
        callbacks,
        secret=SECRET,
        views=approval_views(),
        now=lambda: datetime.now(UTC) + later,
    )


def form(
    deps: Deps, token: str, decision: str = "approve", **extra: str
) -> dict[str, str]:
    link = deps.store.get_link(token_hash(token))
    assert link is not None
    return {"csrf": csrf_value(SECRET, link), "decision": decision, **extra}


def status_of(deps: Deps, order_id: str = "ORD-P") -> list[str]:
    return [a.status for a in deps.store.list_approvals(subject_id=order_id)]


def actions(deps: Deps, order_id: str = "ORD-P") -> list[str]:
    return [e.action for e in deps.store.list_audit(order_id)]


def test_the_page_shows_the_order_and_its_reasons_and_changes_nothing(
    deps: Deps,
) -> None:
    token = waiting_order(deps)
    calls = RecordingCallbacks()

    page = desk_for(deps, calls).view(token)

    assert page.status == 200
    for text in ("ORD-P", "LAPTOP-PRO-16", "2,899.00 USD", "65/100", "Approve"):
        assert text in page.body
    assert "overnight &lt;b&gt;shipping&lt;/b&gt;" in page.body
    assert CSRF in page.body
    assert status_of(deps) == ["PENDING"]
    assert actions(deps) == ["requested"]
    assert calls.succeeded == calls.failed == []


def test_order_fields_render_as_text_never_as_markup(deps: Deps) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    token = waiting_order(
        deps,
        "ORD-XSS",
        callback_id="cb-xss",
        shipping_address={
            "name": evil,
            "line1": "<b>1 Road</b>",
            "city": "City",
            "postal_code": "1",
            "country": "US",
        },
    )

    body = desk_for(deps, RecordingCallbacks()).view(token).body

    assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body
    assert "&lt;b&gt;1 Road&lt;/b&gt;" in body


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: t[:10],
        lambda t: "<script>",
    ],
)
def test_a_tampered_link_gets_its_page_and_changes_nothing(
    deps: Deps, mangle: Callable[[str], str]
) -> None:
    token = waiting_order(deps)
    calls = RecordingCallbacks()
    desk = desk_for(deps, calls)

    for page in (
        desk.view(mangle(token)),
        desk.decide(mangle(token), form(deps, token), ME),
    ):
        assert page.status == 400
        assert "damaged" in page.body
    assert status_of(deps) == ["PENDING"] and actions(deps) == ["requested"]
    assert calls.succeeded == []


def test_an_unknown_link_gets_its_page_and_changes_nothing(deps: Deps) -> None:
    waiting_order(deps)
    stranger = mint_token(bytes(TOKEN_BYTES))
    calls = RecordingCallbacks()

    page = desk_for(deps, calls).decide(stranger, {"decision": "approve"}, ME)

    assert page.status == 404 and "do not know this link" in page.body
    assert status_of(deps) == ["PENDING"] and calls.succeeded == []


def test_an_expired_link_gets_its_page_and_changes_nothing(deps: Deps) -> None:
    token = waiting_order(deps)
    calls = RecordingCallbacks()
    desk = desk_for(deps, calls, later=timedelta(days=2))

    assert desk.view(token).status == 410
    page = desk.decide(token, form(deps, token), ME)

    assert page.status == 410 and "expired" in page.body
    assert status_of(deps) == ["PENDING"]  # the workflow's time-out closes it
    assert calls.succeeded == []
    assert actions(deps) == ["requested", "refused"]


@pytest.mark.parametrize(
    ("fields", "client"),
    [
        ({"decision": "approve"}, ME),  # no CSRF value
        ({"decision": "approve", "csrf": "forged"}, ME),
        (None, Client(cross_site=True)),  # the right value, from another site
    ],
)
def test_a_post_without_the_pages_csrf_value_is_refused(
    deps: Deps, fields: dict[str, str] | None, client: Client
) -> None:
    token = waiting_order(deps)
    calls = RecordingCallbacks()

    page = desk_for(deps, calls).decide(token, fields or form(deps, token), client)

    assert page.status == 403 and "could not be verified" in page.body
    assert status_of(deps) == ["PENDING"] and calls.succeeded == []
    assert actions(deps) == ["requested", "refused"]


def test_a_csrf_value_of_another_link_is_refused(deps: Deps) -> None:
    mine = waiting_order(deps)
    other = waiting_order(deps, "ORD-Q", callback_id="cb-q")
    calls = RecordingCallbacks()

    page = desk_for(deps, calls).decide(mine, form(deps, other), ME)

    assert page.status == 403 and calls.succeeded == []


def test_approving_completes_the_callback_once_as_the_links_approver(
    deps: Deps,
) -> None:
    token = waiting_order(deps)
    calls = RecordingCallbacks()
    desk = desk_for(deps, calls)

    page = desk.decide(
        token, form(deps, token, comment="ok", approver="bob@example.com"), ME
    )
    again = desk.decide(token, form(deps, token, "reject"), ME)

    assert page.status == 200 and "You approved order" in page.body
    assert again.status == 409 and "approved by ana@example.com" in again.body
    ((callback_id, result),) = calls.succeeded
    assert callback_id == "cb-secret-P"
    assert result["approved"] is True and result["comment"] == "ok"
    assert result["approver"] == "ana@example.com"  # never the form's bob
    (approval,) = deps.store.list_approvals(subject_id="ORD-P")
    assert (approval.status, approval.decided_by) == ("APPROVED", "ana@example.com")
    trail = deps.store.list_audit("ORD-P")
    assert [e.action for e in trail] == ["requested", "approved", "refused"]
    assert trail[1].actor == "ana@example.com"
    assert trail[1].link_id == trail[0].link_id
    assert trail[1].detail["source_ip"] == "203.0.113.9"


def test_rejecting_is_a_successful_completion_with_approved_false(
    deps: Deps,
) -> None:
    token = waiting_order(deps)
    calls = RecordingCallbacks()

    page = desk_for(deps, calls).decide(token, form(deps, token, "reject"), ME)

    assert page.status == 200 and "You rejected order" in page.body
    assert calls.succeeded[0][1]["approved"] is False
    assert calls.failed == []


def test_concurrent_posts_on_one_link_complete_the_callback_once(
    deps: Deps,
) -> None:
    token = waiting_order(deps)
    calls = RecordingCallbacks(delay=0.05)
    desk = desk_for(deps, calls)
    fields = form(deps, token)
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def post() -> None:
        barrier.wait()
        statuses.append(desk.decide(token, fields, ME).status)

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(statuses) == [200] + [409] * 7
    assert len(calls.succeeded) == 1
    assert actions(deps).count("approved") == 1


def test_a_bad_decision_redisplays_the_page_and_records_nothing(
    deps: Deps,
) -> None:
    token = waiting_order(deps)
    calls = RecordingCallbacks()

    page = desk_for(deps, calls).decide(token, form(deps, token, "maybe"), ME)

    assert page.status == 400 and "choose Approve or Reject" in page.body
    assert CSRF in page.body
    assert status_of(deps) == ["PENDING"] and calls.succeeded == []


@pytest.mark.parametrize("comment", ["ok \u202etxt.exe", "fine\x00", "a\u200bb"])
def test_a_comment_with_a_control_or_format_character_is_not_recorded(
    deps: Deps, comment: str
) -> None:
    token = waiting_order(deps)
    calls = RecordingCallbacks()

    page = desk_for(deps, calls).decide(token, form(deps, token, comment=comment), ME)

    assert page.status == 400 and "the comment holds U+" in page.body
    assert status_of(deps) == ["PENDING"] and calls.succeeded == []
    assert "approved" not in actions(deps)


def test_a_comment_keeps_the_lines_its_textarea_sent(deps: Deps) -> None:
    token = waiting_order(deps)
    calls = RecordingCallbacks()
    fields = form(deps, token, comment="fine\r\nby me")

    assert desk_for(deps, calls).decide(token, fields, ME).status == 200

    (approval,) = deps.store.list_approvals(subject_id="ORD-P")
    assert approval.comment == "fine\nby me"


def test_a_callback_that_timed_out_first_ends_the_approval_expired(
    deps: Deps,
) -> None:
    token = waiting_order(deps)
    calls = RecordingCallbacks(error=CallbackAlreadyClosedError("timed out"))

    page = desk_for(deps, calls).decide(token, form(deps, token), ME)

    assert page.status == 410
    assert status_of(deps) == ["EXPIRED"]
    assert actions(deps) == ["requested", "approved", "completion-failed"]


def gone_lambda() -> tuple[LambdaCallbacks, Stubber]:
    """The real adapter on a Lambda client that answers as for an ended execution."""
    client = boto3.client(
        "lambda",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    stub = Stubber(client)
    stub.add_client_error(
        "send_durable_execution_callback_success",
        service_error_code="ResourceNotFoundException",
        service_message="the durable execution has ended",
        http_status_code=404,
    )
    return LambdaCallbacks(client), stub


def test_a_decision_for_an_execution_that_is_gone_says_closed_and_counts_nothing(
    deps: Deps,
) -> None:
    token = waiting_order(deps)
    callbacks, stub = gone_lambda()
    desk = ApprovalDesk(deps.store, callbacks, secret=SECRET, views=approval_views())

    with stub:
        page = desk.decide(token, form(deps, token), ME)
        stub.assert_no_pending_responses()

    assert page.status == 410
    assert "This request was closed" in page.body
    assert "order ORD-P was closed" in page.body
    assert "did not take effect" in page.body
    assert "You approved" not in page.body and "fulfilment" not in page.body
    assert status_of(deps) == ["EXPIRED"]  # never APPROVED: nothing decided
    assert actions(deps) == ["requested", "approved", "completion-failed"]
    again = desk.view(token)  # and the link stays closed
    assert again.status == 410 and "Approve" not in again.body


def test_the_link_of_a_subject_closed_outside_its_workflow_says_closed(
    deps: Deps,
) -> None:
    token = waiting_order(deps)
    calls = RecordingCallbacks()
    desk = desk_for(deps, calls)
    csrf = form(deps, token)
    at = datetime.now(UTC).isoformat()
    close_subject(
        deps.store, "ORD-P", process=ORDERS, ending="STOPPED", reason="x", at=at
    )

    seen, posted = desk.view(token), desk.decide(token, csrf, ME)

    for page in (seen, posted):
        assert page.status == 410 and "This request was closed" in page.body
        assert "an operator stopped its processing" in page.body
        assert 'name="csrf"' not in page.body
    assert "did not take effect" in posted.body
    assert "did not take effect" not in seen.body  # nobody decided anything yet
    assert calls.succeeded == []
    assert status_of(deps) == ["EXPIRED"]
    assert actions(deps) == ["requested", "refused"]


def test_a_pending_link_of_a_closed_subject_is_refused_before_any_claim(
    deps: Deps,
) -> None:
    """The subject ended and its approval is still PENDING (voiding not yet run)."""
    token = waiting_order(deps)
    calls = RecordingCallbacks()
    desk = desk_for(deps, calls)
    at = datetime.now(UTC).isoformat()
    detail = {"execution_status": "TIMED_OUT", "reason": "ran past its timeout"}
    deps.store.end_subject(
        "ORD-P", ORDERS.failed, terminal=ORDERS.terminal, at=at, detail=detail
    )

    page = desk.decide(token, form(deps, token), ME)

    assert page.status == 410 and "ran past its time limit" in page.body
    assert desk.view(token).status == 410
    assert calls.succeeded == [] and status_of(deps) == ["PENDING"]
    assert actions(deps) == ["requested", "refused"]


def test_an_unreachable_callback_service_undoes_the_claim_so_a_retry_works(
    deps: Deps,
) -> None:
    token = waiting_order(deps)
    calls = RecordingCallbacks(error=EndpointConnectionError(endpoint_url="x"))
    desk = desk_for(deps, calls)

    first = desk.decide(token, form(deps, token), ME)
    assert first.status == 503 and "not recorded" in first.body
    assert status_of(deps) == ["PENDING"]

    second = desk.decide(token, form(deps, token), ME)
    assert second.status == 200 and len(calls.succeeded) == 1
    assert actions(deps) == ["requested", "approved", "completion-failed", "approved"]


def test_a_system_error_fails_the_callback_once(deps: Deps) -> None:
    token = waiting_order(deps)
    # The order's record goes missing: a fault no approver can fix.
    with deps.store._db() as db:  # type: ignore[attr-defined]
        db.execute("DELETE FROM orders WHERE order_id = 'ORD-P'")
    calls = RecordingCallbacks()
    desk = desk_for(deps, calls)

    assert desk.view(token).status == 500  # GET shows it, changes nothing
    assert calls.failed == []
    first = desk.decide(token, form(deps, token), ME)
    second = desk.decide(token, form(deps, token), ME)

    assert first.status == 500 and second.status == 410
    assert calls.failed == [
        ("cb-secret-P", "ApprovalSystemError", "the subject's record is missing")
    ]
    assert calls.succeeded == []
    assert status_of(deps) == ["EXPIRED"]


def test_the_second_approver_sees_who_decided_before_them(deps: Deps) -> None:
    first = waiting_order(deps, needed=2)
    desk = desk_for(deps, RecordingCallbacks())
    desk.decide(first, form(deps, first, comment="fine by me"), ME)

    second = waiting_order(
        deps,
        callback_id="cb-secret-P2",
        approver="bob@example.com",
        round_no=2,
        needed=2,
    )
    page = desk.view(second)

    assert "one of 2 approvals" in page.body
    assert "ana@example.com" in page.body and "fine by me" in page.body
    # The first approver's link cannot decide the second approval.
    assert desk.decide(first, form(deps, first), ME).status == 409
    assert status_of(deps) == ["APPROVED", "PENDING"]


def test_a_decision_whose_completion_died_is_delivered_once_by_the_sweep(
    deps: Deps,
) -> None:
    token = waiting_order(deps)
    fields = form(deps, token, comment="ok")
    with pytest.raises(ProcessKilled):  # dies after the claim, before completing
        desk_for(deps, RecordingCallbacks(error=ProcessKilled())).decide(
            token, fields, ME
        )
    calls = RecordingCallbacks()
    (claim,) = deps.store.list_approvals(subject_id="ORD-P")
    assert claim.decided_at is not None
    claimed = datetime.fromisoformat(claim.decided_at)

    # A sweep that could race a completion still in flight leaves it alone.
    assert redeliver_interrupted(deps.store, calls, decided_before=claimed) == 0
    after = claimed + timedelta(seconds=1)
    assert redeliver_interrupted(deps.store, calls, decided_before=after) == 1
    assert redeliver_interrupted(deps.store, calls, decided_before=after) == 0

    ((callback_id, result),) = calls.succeeded  # the repeat was refused
    assert (callback_id, result["approved"], result["comment"]) == (
        "cb-secret-P",
        True,
        "ok",
    )
    assert actions(deps) == ["requested", "approved"]
