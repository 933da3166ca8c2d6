"""Alerts: what the on-call person is told, in words, with what to do next.

An alert never carries a callback id or an approval token (whoever holds one
can decide the order) and never the customer's personal data: the order id, the
execution ARN and the counts are enough to find everything else.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from orderflow.domain.records import Alert, ApprovalRequest
from orderflow.monitoring.events import StatusChangeDetail
from orderflow.monitoring.history import ExecutionSummary

REASONS = {
    "FAILED": "an error escaped every step, so the workflow could not finish",
    "TIMED_OUT": "it ran past its ExecutionTimeout (DurableConfig)",
    "STOPPED": "someone stopped it with StopDurableExecution",
}
EXECUTION_KINDS = {
    "FAILED": "execution-failed",
    "TIMED_OUT": "execution-timed-out",
    "STOPPED": "execution-stopped",
}
OVERDUE = "approval-overdue"
MONITOR_KINDS = frozenset({*EXECUTION_KINDS.values(), OVERDUE})


def execution_alert(
    change: StatusChangeDetail,
    *,
    summary: ExecutionSummary | None,
    order_status: str | None,
    expired_approvals: int,
    at: str,
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
    detail: dict[str, Any] = {
        "execution_arn": change.execution_arn,
        "execution_status": status,
    }
    if summary is not None:
        lines.append(
            f"History:    {summary.events} events, {summary.retries} retries, "
            f"{summary.failed_steps} failed steps, {summary.invocations} invocations"
        )
        detail |= {"retries": summary.retries, "failed_steps": summary.failed_steps}
    if expired_approvals:
        lines.append(f"Pending approvals expired: {expired_approvals}")
    lines += [
        "",
        "Next: read the history, then follow docs/runbook.md:",
        f"  sam remote execution history '{change.execution_arn}'",
        "Effects already applied (payment, stock, shipment) were not compensated",
        "unless the history shows the compensate-* steps.",
    ]
    kind = EXECUTION_KINDS[status]
    return Alert(
        alert_id=f"{change.order_id}:{kind}",
        subject_id=change.order_id,
        kind=kind,
        severity="critical",
        message="\n".join(lines),
        created_at=at,
        detail=detail,
    )


def overdue_alert(
    approval: ApprovalRequest, *, age: timedelta, execution_arn: str | None, at: str
) -> Alert:
    """The alert for an approval pending longer than the threshold."""
    hours = age.total_seconds() / 3600
    lines = [
        f"{approval.subject_id} has waited {hours:.1f} h for {approval.approver}.",
        "",
        f"Asked at:   {approval.created_at}",
        f"Expires at: {approval.expires_at} (then it escalates or is cancelled)",
        f"Execution:  {execution_arn or 'unknown'}",
        "",
        "Next: remind the approver, or hand them a fresh link: "
        f"orderflow reissue {approval.subject_id} (docs/deploy.md, "
        '"Decide as an operator"). Never complete the callback by hand.',
    ]
    return Alert(
        alert_id=f"{approval.subject_id}:{OVERDUE}:{approval.approver}",
        subject_id=approval.subject_id,
        kind=OVERDUE,
        severity="warning",
        message="\n".join(lines),
        created_at=at,
        detail={"execution_arn": execution_arn, "approver": approval.approver},
    )


def subject(alert: Alert) -> str:
    """A one-line subject in SNS's rules: ASCII, no line break, under 100."""
    text = f"orderflow {alert.severity}: order {alert.subject_id} {alert.kind}"
    flat = " ".join(text.split()).encode("ascii", "replace").decode()
    return flat if len(flat) < 100 else flat[:96] + "..."
