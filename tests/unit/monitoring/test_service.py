"""The monitor's effects on a real store: the read model, approvals, alerts.

Runs on SQLite with the outbox as the alert sink (both real adapters); SNS is
covered by tests/contract/test_alerts_contract.py and the handler tests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orderflow.adapters.alerts import OUTBOX_RECIPIENT, OutboxAlerts
from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.domain.records import Alert, ApprovalRequest, OutboxMessage
from orderflow.monitoring.events import StatusChangeDetail, StatusChangeEvent
from orderflow.monitoring.history import ExecutionSummary
from orderflow.monitoring.service import (
    MONITOR,
    StatusOutcome,
    check_pending_approvals,
    newly_overdue,
    on_status_change,
)
from orderflow.processes.orders.status import OrderStatus
from orderflow.registry import ORDERS
from tests.utils.monitoring import status_event

AT = "2026-11-20T11:15:01+00:00"
SUMMARY = ExecutionSummary(
    events=12, retries=3, failed_steps=1, invocations=4, compute_ms=900.0
)
NOW = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
AFTER, WINDOW = timedelta(hours=4), timedelta(minutes=15)


def change(kind: str) -> StatusChangeDetail:
    """The detail of a recorded status event."""
    return StatusChangeEvent.model_validate(status_event(kind)).detail


def alerts_in(store: SqliteStore) -> list[OutboxMessage]:
    """Messages the monitor queued for the people on call."""
    return [m for m in store.list_outbox() if m.recipient == OUTBOX_RECIPIENT]


def approval(
    order_id: str, *, asked: datetime, callback_id: str | None = None
) -> ApprovalRequest:
    """A pending approval asked at ``asked``, expiring a day later."""
    return ApprovalRequest(
        callback_id=callback_id or f"cb-{order_id}",
        subject_id=order_id,
        approver="approver@example.com",
        created_at=asked.isoformat(),
        expires_at=(asked + timedelta(days=1)).isoformat(),
    )


def handle(
    store: SqliteStore, kind: str, summary: ExecutionSummary | None = SUMMARY
) -> StatusOutcome:
    """Run on_status_change for a recorded event."""
    return on_status_change(
        change(kind),
        process=ORDERS,
        store=store,
        alerts=OutboxAlerts(store),
        summarise=lambda _arn: summary,
        at=AT,
    )


def test_timed_out_execution_fails_the_order_expires_its_approval_and_alerts(
    store: SqliteStore,
) -> None:
    store.create_subject("order", "ORD-2001", {}, at="2026-11-18T09:15:00+00:00")
    store.set_status("ORD-2001", OrderStatus.AWAITING_APPROVAL, at=AT)
    store.put_approval(approval("ORD-2001", asked=NOW, callback_id="secret-cb"))

    outcome = handle(store, "timed-out")

    assert (outcome.ended_order, outcome.expired_approvals, outcome.alerted) == (
        True,
        1,
        True,
    )
    record = store.get_subject("ORD-2001")
    assert record is not None
    assert record.status == OrderStatus.FAILED
    assert record.detail["execution_status"] == "TIMED_OUT"
    assert "ExecutionTimeout" in record.detail["reason"]
    decided = store.get_approval("secret-cb")
    assert decided is not None
    assert (decided.status, decided.decided_by) == ("EXPIRED", MONITOR)
    (alert,) = alerts_in(store)
    assert alert.subject == "orderflow critical: order ORD-2001 execution-timed-out"
    (recorded,) = store.list_alerts(subject_id="ORD-2001")
    assert (recorded.kind, recorded.severity) == ("execution-timed-out", "critical")
    assert recorded.detail["execution_arn"] == change("timed-out").execution_arn
    assert change("timed-out").execution_arn in alert.body
    assert "3 retries" in alert.body and "read model now: FAILED" in alert.body
    assert "secret-cb" not in alert.body  # a callback id decides the order


def test_failed_execution_of_an_order_that_already_ended_keeps_its_status(
    store: SqliteStore,
) -> None:
    store.create_subject("order", "ORD-3001", {}, at=AT)
    store.set_status("ORD-3001", OrderStatus.CANCELLED, at=AT, detail={"r": "x"})

    outcome = handle(store, "failed")

    assert (outcome.ended_order, outcome.alerted) == (False, True)
    record = store.get_subject("ORD-3001")
    assert record is not None
    assert record.status == OrderStatus.CANCELLED
    assert "read model now: CANCELLED" in alerts_in(store)[0].body


def test_stopped_execution_of_an_unknown_order_still_alerts(store: SqliteStore) -> None:
    outcome = handle(store, "stopped", summary=None)

    assert (outcome.order_known, outcome.ended_order, outcome.alerted) == (
        False,
        False,
        True,
    )
    (alert,) = alerts_in(store)
    assert "StopDurableExecution" in alert.body
    assert "History:" not in alert.body  # the history could not be read
    assert store.get_subject("ORD-4001") is None


def test_the_same_event_delivered_twice_alerts_once_and_ends_the_order_once(
    store: SqliteStore,
) -> None:
    store.create_subject("order", "ORD-3001", {}, at=AT)

    first, second = handle(store, "failed"), handle(store, "failed")

    assert (first.ended_order, second.ended_order) == (True, False)
    assert len(alerts_in(store)) == 1
    record = store.get_subject("ORD-3001")
    assert record is not None
    assert [h.status for h in record.history].count(OrderStatus.FAILED) == 1


def test_succeeded_execution_changes_nothing_and_reports_its_history(
    store: SqliteStore,
) -> None:
    store.create_subject("order", "ORD-1001", {}, at=AT)
    store.set_status("ORD-1001", OrderStatus.COMPLETED, at=AT)

    outcome = handle(store, "succeeded")

    assert outcome.summary == SUMMARY
    assert (outcome.ended_order, outcome.alerted) == (False, False)
    assert alerts_in(store) == []
    record = store.get_subject("ORD-1001")
    assert record is not None
    assert record.status == OrderStatus.COMPLETED


def test_running_execution_records_its_arn_without_reading_history(
    store: SqliteStore,
) -> None:
    store.create_subject("order", "ORD-1001", {}, at=AT)

    outcome = on_status_change(
        change("running"),
        process=ORDERS,
        store=store,
        alerts=OutboxAlerts(store),
        summarise=lambda arn: pytest.fail(f"history read for {arn}"),
        at=AT,
    )

    record = store.get_subject("ORD-1001")
    assert record is not None
    assert record.execution_arn == change("running").execution_arn
    assert (outcome.order_known, outcome.alerted) == (True, False)


def test_newly_overdue_takes_exactly_one_window_past_the_threshold() -> None:
    ages = {
        "young": AFTER - timedelta(seconds=1),
        "just": AFTER,
        "inside": AFTER + WINDOW - timedelta(seconds=1),
        "next-run": AFTER + WINDOW,
    }
    pending = [approval(name, asked=NOW - age) for name, age in ages.items()]

    found = newly_overdue(pending, now=NOW, after=AFTER, window=WINDOW)

    assert [(a.subject_id, age) for a, age in found] == [
        ("just", ages["just"]),
        ("inside", ages["inside"]),
    ]


def test_consecutive_checks_alert_on_each_overdue_approval_exactly_once(
    store: SqliteStore,
) -> None:
    for n, minutes in enumerate((0, 7, 20, 50)):
        order_id = f"ORD-{n}"
        store.create_subject("order", order_id, {}, at=AT)
        store.set_execution_arn(order_id, f"arn:exec:{n}")
        asked = NOW - AFTER + timedelta(minutes=minutes)
        store.put_approval(approval(order_id, asked=asked))

    alerted: list[tuple[str, str | None]] = []
    for run in range(6):
        check = check_pending_approvals(
            store=store,
            alerts=OutboxAlerts(store),
            now=NOW + run * WINDOW,
            after=AFTER,
            window=WINDOW,
        )
        alerted += [(a.subject_id, arn) for a, arn in check.alerted]

    assert sorted(alerted) == [(f"ORD-{n}", f"arn:exec:{n}") for n in range(4)]
    assert len(alerts_in(store)) == 4
    assert "waited 4.0 h" in alerts_in(store)[0].body


def test_check_expires_approvals_past_their_expiry_and_counts_the_rest(
    store: SqliteStore,
) -> None:
    store.put_approval(approval("ORD-OLD", asked=NOW - timedelta(days=2)))
    store.put_approval(approval("ORD-LATE", asked=NOW - timedelta(hours=5)))
    store.put_approval(approval("ORD-NEW", asked=NOW - timedelta(minutes=5)))

    check = check_pending_approvals(
        store=store, alerts=OutboxAlerts(store), now=NOW, after=AFTER, window=WINDOW
    )

    assert (check.pending, check.overdue, check.expired) == (2, 1, 1)
    assert check.oldest_seconds == pytest.approx(5 * 3600)
    old = store.get_approval("cb-ORD-OLD")
    assert old is not None
    assert (old.status, old.decided_by, old.comment) == (
        "EXPIRED",
        MONITOR,
        "past its expiry",
    )
    assert [a.subject_id for a in store.list_approvals(status="PENDING")] == [
        "ORD-LATE",
        "ORD-NEW",
    ]


def workflow_alert(order_id: str, kind: str, at: str) -> Alert:
    """An alert as the workflow's reconciliation step records it."""
    return Alert(
        alert_id=f"{order_id}:{kind}",
        subject_id=order_id,
        kind=kind,
        severity="warning",
        message=f"{kind} on {order_id}",
        created_at=at,
    )


def test_the_workflows_alerts_of_this_execution_are_sent_on_when_it_ends(
    store: SqliteStore,
) -> None:
    # The succeeded execution ran 13:08:22 - 13:08:31 on 2026-11-20.
    store.create_subject("order", "ORD-1001", {}, at=AT)
    store.add_alert(
        workflow_alert("ORD-1001", "books-repaired", "2026-11-20T13:08:30+00:00")
    )
    store.add_alert(
        workflow_alert("ORD-1001", "slow-delivery", "2026-11-19T10:00:00+00:00")
    )

    outcome = handle(store, "succeeded")

    assert (outcome.forwarded, outcome.alerted) == (1, False)
    (sent,) = alerts_in(store)
    assert sent.subject == "orderflow warning: order ORD-1001 books-repaired"


def test_the_monitors_own_alerts_are_not_sent_twice_as_the_workflows(
    store: SqliteStore,
) -> None:
    store.create_subject("order", "ORD-3001", {}, at=AT)

    outcome = handle(store, "failed")

    assert (outcome.alerted, outcome.forwarded) == (True, 0)
    assert len(alerts_in(store)) == 1
    assert [a.kind for a in store.list_alerts(subject_id="ORD-3001")] == [
        "execution-failed"
    ]
