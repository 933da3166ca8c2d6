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
  Those that cannot wait for the end (an approval completed outside the desk)
  are sent by the schedule's next run instead.
- The schedule expires approvals past their expiry, counts those pending, and
  alerts once about each approval that crossed the threshold since the last run.
  The threshold is brought forward for an approval whose alert would otherwise
  arrive with less than a quarter of its time left (``alert_threshold``): the
  person told must still be able to help the approver decide, or decide
  through the desk, before the request times out.

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
from orderflow.parts.approvals.steps import UNVERIFIED
from orderflow.parts.ending import CLOSER, close_subject
from orderflow.parts.process import Process
from orderflow.ports import Alerts, Store

MONITOR = CLOSER  # decided_by on approvals the monitor expires or voids
# The overdue alert arrives, at its latest, with this share of the approval's
# time left (docs/monitoring.md).
ALERT_LEAD_SHARE = 0.25
PENDING, EXPIRED = "PENDING", "EXPIRED"
# Raised by a workflow still running, and too urgent to wait for its end.
PROMPT_KINDS = frozenset({UNVERIFIED})

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
        if a.kind not in MONITOR_KINDS | PROMPT_KINDS
        and datetime.fromisoformat(a.created_at) >= change.started_at
    ]
    for alert in raised:
        alerts.send(alert)
    return len(raised)


def forward_prompt_alerts(
    *, store: Store, alerts: Alerts, now: datetime, window: timedelta
) -> list[Alert]:
    """Send the workflow's alerts of ``PROMPT_KINDS`` raised in the last ``window``.

    The schedule runs every ``window``: each alert is in one run's slice.
    """
    due = [
        a
        for a in store.list_alerts()
        if a.kind in PROMPT_KINDS
        and now - window <= datetime.fromisoformat(a.created_at) < now
    ]
    for alert in due:
        alerts.send(alert)
    return due


def alert_threshold(
    approval: ApprovalRequest,
    *,
    after: timedelta,
    window: timedelta,
    delay: timedelta = timedelta(0),
) -> timedelta:
    """The age at which the check alerts on ``approval``: ``after``, or sooner.

    The alert goes out in the first run at or past the threshold (up to
    ``window`` later), and that run may itself start up to ``delay`` late
    (delivery and retries). Sooner, then, when ``after`` would let that worst
    case leave the approver less than ALERT_LEAD_SHARE of the approval's time;
    never before the approval exists.
    """
    created = datetime.fromisoformat(approval.created_at)
    lifetime = datetime.fromisoformat(approval.expires_at) - created
    latest = lifetime * (1 - ALERT_LEAD_SHARE) - window - delay
    return max(timedelta(0), min(after, latest))


def newly_overdue(
    pending: list[ApprovalRequest],
    *,
    now: datetime,
    after: timedelta,
    window: timedelta,
    delay: timedelta = timedelta(0),
) -> list[tuple[ApprovalRequest, timedelta]]:
    """Approvals whose age crossed their threshold within the last ``window``.

    The schedule runs every ``window``, so each approval is in exactly one
    run's slice ``[threshold, threshold + window)``: one alert each, no state
    kept. The threshold is ``alert_threshold``'s.
    """
    found = []
    for approval in pending:
        age = now - datetime.fromisoformat(approval.created_at)
        threshold = alert_threshold(approval, after=after, window=window, delay=delay)
        if threshold <= age < threshold + window:
            found.append((approval, age))
    return found


def check_pending_approvals(
    *,
    store: Store,
    alerts: Alerts,
    now: datetime,
    after: timedelta,
    window: timedelta,
    delay: timedelta = timedelta(0),
) -> ApprovalCheck:
    """Expire what is past its expiry, then alert on newly overdue approvals
    (``newly_overdue``; ``delay``: how late a run may start)."""
    pending = store.list_approvals(status=PENDING)
    stale = [a for a in pending if datetime.fromisoformat(a.expires_at) <= now]
    expired = _expire(stale, store, at=now.isoformat(), why="past its expiry")
    live = [a for a in pending if a not in stale]
    ages = [now - datetime.fromisoformat(a.created_at) for a in live]
    thresholds = [
        alert_threshold(a, after=after, window=window, delay=delay) for a in live
    ]
    alerted = []
    overdue = newly_overdue(live, now=now, after=after, window=window, delay=delay)
    for approval, age in overdue:
        order = store.get_subject(approval.subject_id)
        execution_arn = order.execution_arn if order else None
        alert = overdue_alert(
            approval, age=age, execution_arn=execution_arn, at=now.isoformat()
        )
        if raise_once(alert, store=store, alerts=alerts):
            alerted.append((approval, execution_arn))
    return ApprovalCheck(
        pending=len(live),
        overdue=sum(
            age >= threshold for age, threshold in zip(ages, thresholds, strict=True)
        ),
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
