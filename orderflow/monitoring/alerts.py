"""Alerts: what the on-call person is told, in words, with what to do next.

An alert never carries a callback id or an approval token (whoever holds one
can decide the order) and never the order's personal data: the order id, the
execution ARN and the counts are enough to find everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from orderflow.domain.records import ApprovalRequest
from orderflow.monitoring.events import StatusChangeDetail
from orderflow.monitoring.history import ExecutionSummary

REASONS = {
    "FAILED": "an error escaped every step, so the workflow could not finish",
    "TIMED_OUT": "it ran past its ExecutionTimeout (DurableConfig)",
    "STOPPED": "someone stopped it with StopDurableExecution",
}


@dataclass(frozen=True)
class Alert:
    """One message for the people on call."""

    key: str  # the same alert twice has the same key (deliveries repeat)
    kind: str  # execution-ended | approval-overdue
    order_id: str
    subject: str  # ASCII, one line, under 100 characters (SNS's rules)
    message: str


def execution_alert(
    change: StatusChangeDetail,
    *,
    summary: ExecutionSummary | None,
    order_status: str | None,
    expired_approvals: int,
) -> Alert:
    """The alert for an execution that ended FAILED, TIMED_OUT or STOPPED."""
    status = change.status.value
    lines = [
        f"The durable execution of order {change.order_id} ended {status}: "
        f"{REASONS.get(status, 'see its history')}.",
        "",
        f"Order:      {change.order_id} (read model now: {order_status or 'unknown'})",
        f"Execution:  {change.execution_arn}",
        f"Function:   {change.function_arn}",
        f"Started:    {change.started_at.isoformat()}",
        f"Ended:      {change.ended_at.isoformat() if change.ended_at else '-'}",
    ]
    if summary is not None:
        lines.append(
            f"History:    {summary.events} events, {summary.retries} retries, "
            f"{summary.failed_steps} failed steps, {summary.invocations} invocations"
        )
    if expired_approvals:
        lines.append(f"Pending approvals expired: {expired_approvals}")
    lines += [
        "",
        "Next: read the history, then follow docs/runbook.md:",
        f"  sam remote execution history '{change.execution_arn}'",
        "Effects already applied (payment, stock, shipment) were not compensated",
        "unless the history shows the compensate-* steps.",
    ]
    return Alert(
        key=f"{change.execution_arn}#{status}",
        kind="execution-ended",
        order_id=change.order_id,
        subject=_subject(f"orderflow: order {change.order_id} execution {status}"),
        message="\n".join(lines),
    )


def overdue_alert(
    approval: ApprovalRequest, *, age: timedelta, execution_arn: str | None
) -> Alert:
    """The alert for an approval pending longer than the threshold."""
    hours = age.total_seconds() / 3600
    lines = [
        f"Order {approval.order_id} has waited {hours:.1f} h for {approval.approver}.",
        "",
        f"Asked at:   {approval.created_at}",
        f"Expires at: {approval.expires_at} (then it escalates or is cancelled)",
        f"Execution:  {execution_arn or 'unknown'}",
        "",
        "Next: remind the approver, or decide through the approval page.",
    ]
    return Alert(
        key=f"overdue#{approval.order_id}#{approval.approver}#{approval.created_at}",
        kind="approval-overdue",
        order_id=approval.order_id,
        subject=_subject(f"orderflow: approval of {approval.order_id} overdue"),
        message="\n".join(lines),
    )


def _subject(text: str) -> str:
    """SNS wants subjects in ASCII, on one line, under 100 characters."""
    flat = " ".join(text.split()).encode("ascii", "replace").decode()
    return flat if len(flat) < 100 else flat[:96] + "..."
