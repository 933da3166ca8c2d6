"""functions/status_events as deployed: template environment, DynamoDB and SNS on
moto, Lambda's history API stubbed with botocore's Stubber, recorded events in.

Asserts what reaches the outside: the read model, the alert on the topic, the
log lines (order id and execution ARN on each) and the EMF metrics.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from botocore.stub import ANY, Stubber

from orderflow.adapters.dynamodb_store import DynamoDbStore
from orderflow.domain.records import Alert, ApprovalLink, ApprovalRequest
from orderflow.monitoring.events import UnknownEventError
from orderflow.parts.approvals.desk import ApprovalDesk, Client
from orderflow.parts.approvals.links import (
    TOKEN_BYTES,
    csrf_value,
    mint_token,
    token_hash,
)
from orderflow.parts.ending import CLOSER
from orderflow.processes.orders.status import OrderStatus
from orderflow.processes.returns.status import ReturnStatus
from orderflow.registry import approval_views
from tests.utils.approvals import SECRET, RecordingCallbacks
from tests.utils.deployed import Deployed, LambdaContext, Output, deployed
from tests.utils.monitoring import (
    history,
    schedule_event,
    status_event,
    status_event_of,
)

STACK_NAMESPACE = "orderflow"  # POWERTOOLS_METRICS_NAMESPACE = the stack name
T0 = "2026-11-18T09:15:00+00:00"


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[Deployed]:
    """StatusEventsFunction under template.yaml's environment, on moto."""
    with deployed("StatusEventsFunction", monkeypatch) as running:
        yield running


def store_of(running: Deployed) -> DynamoDbStore:
    """The function's own table, through the real adapter."""
    table = running.env["ORDERFLOW_STORE"].removeprefix("dynamodb://")
    return DynamoDbStore(table, client=running.session.client("dynamodb"))


def invoke(
    running: Deployed,
    event: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    *,
    history_events: list[dict[str, Any]] | None = None,
    history_error: str | None = None,
) -> tuple[dict[str, Any], Output]:
    """Call the handler once; its result and its stdout, parsed."""
    capsys.readouterr()
    arn = event.get("detail", {}).get("durableExecutionArn")
    with Stubber(running.module.lambda_client) as stub:
        expected = {"DurableExecutionArn": arn, "IncludeExecutionData": False}
        if history_error:
            stub.add_client_error(
                "get_durable_execution_history",
                service_error_code=history_error,
                expected_params=expected | {"MaxItems": 1000},
            )
        elif history_events is not None:
            stub.add_response(
                "get_durable_execution_history",
                {"Events": history_events},
                expected | {"MaxItems": 1000},
            )
        result = running.module.lambda_handler(event, LambdaContext())
        stub.assert_no_pending_responses()
    return result, Output.parse(capsys.readouterr().out)


def awaiting_approval(store: DynamoDbStore, order_id: str) -> None:
    """An order suspended on one approval since T0."""
    store.create_subject("order", order_id, {"order_id": order_id}, at=T0)
    store.set_status(order_id, OrderStatus.AWAITING_APPROVAL, at=T0)
    store.put_approval(
        ApprovalRequest(
            callback_id=f"cb-{order_id}",
            subject_id=order_id,
            approver="approver@example.com",
            created_at=T0,
            expires_at="2026-11-19T09:15:00+00:00",
        )
    )


def test_timed_out_execution_fails_the_order_and_alerts_the_topic(
    handler: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    store = store_of(handler)
    awaiting_approval(store, "ORD-2001")
    event = status_event("timed-out")

    result, out = invoke(
        handler, event, capsys, history_events=history("capture-retried")
    )

    assert result == {"status": "TIMED_OUT", "alerted": True}
    order = store.get_subject("ORD-2001")
    assert order is not None and order.status == OrderStatus.FAILED
    approval = store.get_approval("cb-ORD-2001")
    assert approval is not None and approval.status == "EXPIRED"
    (envelope,) = handler.alerts_received()
    assert envelope["Subject"] == (
        "orderflow critical: order ORD-2001 execution-timed-out"
    )
    assert envelope["MessageAttributes"]["kind"]["Value"] == "execution-timed-out"
    assert [a.kind for a in store.list_alerts(subject_id="ORD-2001")] == [
        "execution-timed-out"
    ]
    assert "cb-ORD-2001" not in envelope["Message"]
    assert out.value("ExecutionsTimedOut") == 1
    assert out.value("StepRetries") == 2
    assert out.value("OrdersFailedByMonitor") == 1
    assert {m.namespace for m in out.metrics} == {STACK_NAMESPACE}


def test_a_stopped_return_is_closed_and_its_link_says_so(
    handler: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    """Any process: a return's execution stopped while it waits for an approver."""
    store = store_of(handler)
    store.create_subject("return", "ORD-4001", {"return_id": "ORD-4001"}, at=T0)
    store.set_status("ORD-4001", "AWAITING_APPROVAL", at=T0)
    store.put_approval(
        ApprovalRequest(
            callback_id="cb-ret",
            subject_id="ORD-4001",
            approver="approver@example.com",
            created_at=T0,
            expires_at="2999-01-01T00:00:00+00:00",
        )
    )
    token = mint_token(bytes(range(TOKEN_BYTES)))
    link = _link(store, token_hash(token))
    event = status_event_of("stopped", "orderflow-return-workflow")

    result, out = invoke(handler, event, capsys, history_events=[])

    assert result == {"status": "STOPPED", "alerted": True}
    closed = store.get_subject("ORD-4001")
    assert closed is not None and closed.status == ReturnStatus.FAILED
    assert closed.detail["execution_status"] == "STOPPED"
    approval = store.get_approval("cb-ret")
    assert approval is not None
    assert (approval.status, approval.decided_by) == ("EXPIRED", CLOSER)
    assert approval.comment == "closed: an operator stopped its processing"
    assert out.value("ExecutionsStopped") == 1
    calls = RecordingCallbacks()
    desk = ApprovalDesk(store, calls, secret=SECRET, views=approval_views())
    page = desk.decide(
        token, {"csrf": csrf_value(SECRET, link), "decision": "approve"}, Client()
    )
    assert page.status == 410 and "did not take effect" in page.body
    assert calls.succeeded == []


def _link(store: DynamoDbStore, digest: str) -> ApprovalLink:
    """A link for approval cb-ret, stored as the submitter stores it."""
    link = ApprovalLink(
        token_hash=digest,
        callback_id="cb-ret",
        subject_id="ORD-4001",
        approver="approver@example.com",
        created_at=T0,
        expires_at="2999-01-01T00:00:00+00:00",
        scope=("approve", "reject"),
        round=1,
        needed=1,
        risk_score=70,
        reasons=("many units",),
    )
    assert store.put_link(link)
    return link


@pytest.mark.parametrize("kind", ["running", "succeeded", "failed", "stopped"])
def test_every_log_line_carries_the_order_id_and_the_execution_arn(
    handler: Deployed, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    event = status_event(kind)
    history_events = None if kind == "running" else history("capture-retried")

    _, out = invoke(handler, event, capsys, history_events=history_events)

    assert out.logs, "the handler logged nothing"
    for line in out.logs:
        assert line["order_id"] == event["detail"]["durableExecutionName"], line
        assert line["execution_arn"] == event["detail"]["durableExecutionArn"], line


def test_succeeded_execution_reports_waiting_versus_computing_and_no_alert(
    handler: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    store = store_of(handler)
    store.create_subject("order", "ORD-1001", {}, at=T0)
    store.set_status("ORD-1001", OrderStatus.COMPLETED, at=T0)

    result, out = invoke(
        handler,
        status_event("succeeded"),
        capsys,
        history_events=history("capture-retried"),
    )

    assert result == {"status": "SUCCEEDED", "alerted": False}
    assert handler.alerts_received() == []
    assert out.value("ExecutionMilliseconds") == pytest.approx(8_667)
    assert out.value("ComputeMilliseconds") == pytest.approx(1_601)
    assert out.value("WaitingMilliseconds") == pytest.approx(8_667 - 1_601)
    assert out.value("ExecutionsSucceeded") == 1


def test_history_refused_still_fails_the_order_and_alerts(
    handler: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    store = store_of(handler)
    store.create_subject("order", "ORD-3001", {}, at=T0)

    result, out = invoke(
        handler, status_event("failed"), capsys, history_error="AccessDeniedException"
    )

    assert result["alerted"] is True
    order = store.get_subject("ORD-3001")
    assert order is not None and order.status == OrderStatus.FAILED
    assert len(handler.alerts_received()) == 1
    (warning,) = [line for line in out.logs if line["level"] == "WARNING"]
    assert "AccessDenied" in warning["error"]
    assert not [m for m in out.metrics if m.name == "StepRetries"]


def test_schedule_alerts_on_an_overdue_approval_with_its_order_and_execution(
    handler: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    store = store_of(handler)
    after = int(handler.env["ORDERFLOW_APPROVAL_ALERT_AFTER_SECONDS"])
    event = schedule_event()  # 2026-11-20T17:00:00Z
    now = datetime.fromisoformat(event["time"])
    for order_id, age in (("ORD-LATE", after + 60), ("ORD-FRESH", 60)):
        asked = (now - timedelta(seconds=age)).isoformat()
        store.create_subject("order", order_id, {}, at=asked)
        store.set_execution_arn(order_id, f"arn:exec:{order_id}")
        store.put_approval(
            ApprovalRequest(
                callback_id=f"cb-{order_id}",
                subject_id=order_id,
                approver="approver@example.com",
                created_at=asked,
                expires_at=(now + timedelta(days=1)).isoformat(),
            )
        )

    result, out = invoke(handler, event, capsys)

    assert result == {"pending": 2, "alerted": 1, "redelivered": 0}
    (envelope,) = handler.alerts_received()
    assert envelope["Subject"] == "orderflow warning: order ORD-LATE approval-overdue"
    (line,) = [line for line in out.logs if line["message"] == "approval overdue"]
    assert (line["order_id"], line["execution_arn"]) == (
        "ORD-LATE",
        "arn:exec:ORD-LATE",
    )
    assert out.value("ApprovalsPending") == 2
    assert out.value("ApprovalsOverdue") == 1
    assert out.value("ApprovalAlerts") == 1


def test_schedule_delivers_a_decision_whose_request_died_once(
    handler: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    store = store_of(handler)
    event = schedule_event()
    now = datetime.fromisoformat(event["time"])
    # Decided 30 min ago (its request is long dead), 5 min ago (it may still
    # be completing), and one asked longer ago than the time-out.
    timeout = int(handler.env["ORDERFLOW_APPROVAL_TIMEOUT_SECONDS"])
    cases = (("ORD-CUT", 3600, 1800), ("ORD-BUSY", 600, 300))
    for order_id, asked_ago, decided_ago in (
        *cases,
        ("ORD-OLD", timeout + 600, 1800),
    ):
        asked = (now - timedelta(seconds=asked_ago)).isoformat()
        store.create_subject("order", order_id, {}, at=asked)
        store.set_status(order_id, OrderStatus.AWAITING_APPROVAL, at=asked)
        store.put_approval(
            ApprovalRequest(f"cb-{order_id}", order_id, "a@example.com", asked, asked)
        )
        decided = (now - timedelta(seconds=decided_ago)).isoformat()
        store.decide_approval(
            f"cb-{order_id}", status="APPROVED", decided_by="a@example.com", at=decided
        )

    capsys.readouterr()
    with Stubber(handler.module.lambda_client) as stub:
        stub.add_response(
            "send_durable_execution_callback_success",
            {},
            {"CallbackId": "cb-ORD-CUT", "Result": ANY},
        )
        result = handler.module.lambda_handler(event, LambdaContext())
        stub.assert_no_pending_responses()

    assert result["redelivered"] == 1
    assert Output.parse(capsys.readouterr().out).value("DecisionsRedelivered") == 1


@pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")
def test_a_malformed_event_raises_and_changes_nothing(
    handler: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    event = status_event("failed")
    del event["detail"]["status"]

    with pytest.raises(UnknownEventError, match=r"detail\.status"):
        invoke(handler, event, capsys)

    assert handler.alerts_received() == []


def test_schedule_sends_an_unverified_completion_raised_since_its_last_run(
    handler: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    store = store_of(handler)
    event = schedule_event()
    now = datetime.fromisoformat(event["time"])
    window = int(handler.env["ORDERFLOW_APPROVAL_CHECK_SECONDS"])
    for order_id, age in (("ORD-NEW", 30), ("ORD-OLD", window + 30)):
        store.add_alert(
            Alert(
                alert_id=f"{order_id}:unverified-completion:1",
                subject_id=order_id,
                kind="unverified-completion",
                severity="critical",
                message=f"approval 1 of {order_id} was completed outside the page",
                created_at=(now - timedelta(seconds=age)).isoformat(),
            )
        )

    invoke(handler, event, capsys)

    (envelope,) = handler.alerts_received()  # the older one went a run ago
    assert envelope["Subject"] == (
        "orderflow critical: order ORD-NEW unverified-completion"
    )
