"""What the monitor does with an event: the read model, the approvals, the alerts.

- A status change to RUNNING remembers the execution ARN on the order (an
  execution started by hand, not through POST /orders, has none yet).
- A change to SUCCEEDED needs nothing: the workflow recorded the order's end
  in a step before it returned.
- FAILED, TIMED_OUT and STOPPED mean the workflow never recorded an end: the
  subject is closed (``orderflow.parts.ending.close_subject``: its pending
  approvals voided so their links stop working, then its process's failure
  status unless it had already ended), and the on-call people are alerted
  with what the history says.
- Whenever an execution ends, the alerts its workflow recorded (reconciliation,
  compensation) are sent on too: in the table alone, nobody would read them.
- The schedule expires approvals past their expiry, counts those pending, and
  alerts once about each approval that crossed the threshold since the last run.

Every alert is also recorded in the store (``Store.add_alert``) after it is
sent, keyed on the order and its kind: a repeated delivery finds it and sends
nothing, and a failed send is retried with the event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from orderflow.domain.records import Alert, ApprovalRequest
from orderflow.monitoring.alerts import (
    MONITOR_KINDS,
    REASONS,
    execution_alert,
    overdue_alert,
)
from orderflow.monitoring.events import ExecutionStatus, StatusChangeDetail
from orderflow.monitoring.history import ExecutionSummary
from orderflow.parts.ending import CLOSER, close_subject
from orderflow.parts.process import Process
from orderflow.ports import Alerts, Store

MONITOR = CLOSER  # decided_by on approvals the monitor expires or voids
PENDING, EXPIRED = "PENDING", "EXPIRED"

Summarise = Callable[[str], ExecutionSummary | None]


@dataclass(frozen=True)
class StatusOutcome:
    """What handling one status change did."""

    order_known: bool
    ended_order: bool = False  # the read model was moved to FAILED
    expired_approvals: int = 0
    alerted: bool = False
    forwarded: int = 0  # the workflow's own alerts, sent on
    summary: ExecutionSummary | None = None


@dataclass(frozen=True)
class ApprovalCheck:
    """What one run of the stuck-approvals check found and did."""

    pending: int
    overdue: int
    expired: int
    # each alerted approval, with its order's execution ARN when known
    alerted: list[tuple[ApprovalRequest, str | None]] = field(default_factory=list)
    oldest_seconds: float = 0.0


def on_status_change(
    change: StatusChangeDetail,
    *,
    process: Process,
    store: Store,
    alerts: Alerts,
    summarise: Summarise,
    at: str,
) -> StatusOutcome:
    """Bring the read model in line with the execution; alert when it needs a human."""
    record = store.get_subject(change.order_id)
    if change.status is ExecutionStatus.RUNNING:
        if record is not None and record.execution_arn != change.execution_arn:
            store.set_execution_arn(change.order_id, change.execution_arn)
        return StatusOutcome(order_known=record is not None)
    summary = summarise(change.execution_arn)
    forwarded = forward_workflow_alerts(change, store=store, alerts=alerts)
    if not change.status.needs_a_human:
        return StatusOutcome(
            order_known=record is not None, forwarded=forwarded, summary=summary
        )

    closure = close_subject(
        store,
        change.order_id,
        process=process,
        ending=change.status.value,
        reason=f"the durable execution ended {change.status.value}: "
        + REASONS[change.status.value],
        at=at,
    )
    after = store.get_subject(change.order_id)
    alert = execution_alert(
        change,
        summary=summary,
        order_status=after.status if after else None,
        expired_approvals=closure.voided,
        at=at,
    )
    return StatusOutcome(
        order_known=record is not None,
        ended_order=closure.ended,
        expired_approvals=closure.voided,
        alerted=raise_once(alert, store=store, alerts=alerts),
        forwarded=forwarded,
        summary=summary,
    )


def raise_once(alert: Alert, *, store: Store, alerts: Alerts) -> bool:
    """Send ``alert`` unless the store has it, then record it; True if sent."""
    known = store.list_alerts(subject_id=alert.subject_id)
    if any(a.alert_id == alert.alert_id for a in known):
        return False
    alerts.send(alert)  # before recording: a failed send is retried, not lost
    store.add_alert(alert)
    return True


def forward_workflow_alerts(
    change: StatusChangeDetail, *, store: Store, alerts: Alerts
) -> int:
    """Send the alerts the workflow recorded during this execution."""
    raised = [
        a
        for a in store.list_alerts(subject_id=change.order_id)
        if a.kind not in MONITOR_KINDS
        and datetime.fromisoformat(a.created_at) >= change.started_at
    ]
    for alert in raised:
        alerts.send(alert)
    return len(raised)


def newly_overdue(
    pending: list[ApprovalRequest],
    *,
    now: datetime,
    after: timedelta,
    window: timedelta,
) -> list[tuple[ApprovalRequest, timedelta]]:
    """Approvals whose age crossed ``after`` within the last ``window``.

    The schedule runs every ``window``, so each approval is in exactly one
    run's slice ``[after, after + window)``: one alert each, no state kept.
    """
    found = []
    for approval in pending:
        age = now - datetime.fromisoformat(approval.created_at)
        if after <= age < after + window:
            found.append((approval, age))
    return found


def check_pending_approvals(
    *,
    store: Store,
    alerts: Alerts,
    now: datetime,
    after: timedelta,
    window: timedelta,
) -> ApprovalCheck:
    """Expire what is past its expiry, then alert on newly overdue approvals."""
    pending = store.list_approvals(status=PENDING)
    stale = [a for a in pending if datetime.fromisoformat(a.expires_at) <= now]
    expired = _expire(stale, store, at=now.isoformat(), why="past its expiry")
    live = [a for a in pending if a not in stale]
    ages = [now - datetime.fromisoformat(a.created_at) for a in live]
    alerted = []
    for approval, age in newly_overdue(live, now=now, after=after, window=window):
        order = store.get_subject(approval.subject_id)
        execution_arn = order.execution_arn if order else None
        alert = overdue_alert(
            approval, age=age, execution_arn=execution_arn, at=now.isoformat()
        )
        if raise_once(alert, store=store, alerts=alerts):
            alerted.append((approval, execution_arn))
    return ApprovalCheck(
        pending=len(live),
        overdue=sum(age >= after for age in ages),
        expired=expired,
        alerted=alerted,
        oldest_seconds=max((a.total_seconds() for a in ages), default=0.0),
    )


def _expire(
    approvals: list[ApprovalRequest], store: Store, *, at: str, why: str
) -> int:
    """Mark pending approvals EXPIRED (a conditional write each); how many moved."""
    return sum(
        store.decide_approval(
            a.callback_id, status=EXPIRED, decided_by=MONITOR, at=at, comment=why
        )
        for a in approvals
    )
