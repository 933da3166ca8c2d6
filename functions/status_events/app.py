"""EventBridge in: durable execution status changes, and the stuck-approvals schedule.

Two rules feed this function (template.yaml, StatusEventsFunction):

- ``Durable Execution Status Change`` for the orchestrator only: keeps the read
  model in line with the execution, alerts on FAILED, TIMED_OUT and STOPPED,
  and records executions by status, retries and compute versus waiting (EMF).
- A schedule: expires approvals past their expiry, counts pending ones and
  alerts once on each that has waited longer than the threshold.

Every log line carries the order id and the execution ARN. A malformed event
raises, so Lambda retries it and then keeps it in the dead-letter queue.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from orderflow.adapters.alerts import alerts_for
from orderflow.adapters.lambda_callbacks import LambdaCallbacks
from orderflow.adapters.stores import store_from_url
from orderflow.config import Settings
from orderflow.monitoring.events import (
    ScheduledEvent,
    StatusChangeEvent,
    execution_metric,
    parse_event,
)
from orderflow.monitoring.history import ExecutionSummary, fetch_history, summarise
from orderflow.monitoring.service import (
    check_pending_approvals,
    forward_prompt_alerts,
    on_status_change,
)
from orderflow.registry import process_running

SETTINGS = Settings.from_env()
logger = Logger(service="orderflow-status-events")
metrics = Metrics()
store = store_from_url(SETTINGS.store_url)
alerts = alerts_for(SETTINGS.alert_topic_arn, store)
lambda_client = boto3.client("lambda")
callbacks = LambdaCallbacks(lambda_client)
LAMBDA_MAX_SECONDS = 900  # no invocation, so no approval request, runs longer


def handle_status_change(event: StatusChangeEvent) -> dict[str, Any]:
    """One execution changed status."""
    change = event.detail
    logger.append_keys(order_id=change.order_id, execution_arn=change.execution_arn)
    metrics.add_metric(
        name=execution_metric(change.status), unit=MetricUnit.Count, value=1
    )
    process = process_running(change.function_arn)
    if process is None:  # counted and alarmed, but no read model to mend
        logger.error("status change of a function no process registers")
        return {"status": change.status.value, "alerted": False}
    outcome = on_status_change(
        change,
        process=process,
        store=store,
        alerts=alerts,
        summarise=_summary,
        at=datetime.now(UTC).isoformat(),
    )
    if outcome.summary is not None:
        _record_timings(outcome.summary, change.wall_ms)
    if outcome.ended_order:
        metrics.add_metric(name="OrdersFailedByMonitor", unit=MetricUnit.Count, value=1)
    if outcome.forwarded:
        forwarded = outcome.forwarded
        metrics.add_metric(
            name="AlertsForwarded", unit=MetricUnit.Count, value=forwarded
        )
    log = logger.error if change.status.needs_a_human else logger.info
    log(
        f"execution {change.status.value}",
        extra={
            "execution_status": change.status.value,
            "order_known": outcome.order_known,
            "ended_order": outcome.ended_order,
            "expired_approvals": outcome.expired_approvals,
            "alerted": outcome.alerted,
            "forwarded_alerts": outcome.forwarded,
            "retries": outcome.summary.retries if outcome.summary else None,
        },
    )
    return {"status": change.status.value, "alerted": outcome.alerted}


def handle_schedule(event: ScheduledEvent) -> dict[str, Any]:
    """The periodic stuck-approvals check, as of the event's time."""
    window = timedelta(seconds=SETTINGS.approval_check_seconds)
    check = check_pending_approvals(
        store=store,
        alerts=alerts,
        now=event.time,
        after=timedelta(seconds=SETTINGS.approval_alert_after_seconds),
        window=window,
        delay=timedelta(seconds=SETTINGS.approval_check_delay_seconds),
    )
    for name, value in (
        ("ApprovalsPending", check.pending),
        ("ApprovalsOverdue", check.overdue),
        ("ApprovalsExpired", check.expired),
        ("ApprovalAlerts", len(check.alerted)),
    ):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    oldest = check.oldest_seconds
    metrics.add_metric(
        name="OldestApprovalSeconds", unit=MetricUnit.Seconds, value=oldest
    )
    for approval, execution_arn in check.alerted:
        logger.warning(
            "approval overdue",
            extra={
                "order_id": approval.subject_id,
                "execution_arn": execution_arn,
                "approver": approval.approver,
                "created_at": approval.created_at,
            },
        )
    for alert in forward_prompt_alerts(
        store=store, alerts=alerts, now=event.time, window=window
    ):
        logger.warning(alert.kind, extra={"order_id": alert.subject_id})
    redelivered = _redeliver(event.time)
    metrics.add_metric(
        name="DecisionsRedelivered", unit=MetricUnit.Count, value=redelivered
    )
    return {
        "pending": check.pending,
        "alerted": len(check.alerted),
        "redelivered": redelivered,
    }


def _redeliver(now: datetime) -> int:
    """Complete the callbacks of decisions whose approval request died mid-way.

    The approval function records a decision, then completes the callback; a
    crash between the two leaves the order waiting. No approval request lives
    longer than Lambda's 15-minute maximum, so a decision older than that whose
    order still waits will never be delivered by its request: deliver it here.
    """
    from orderflow.parts.approvals.desk import redeliver_interrupted  # jinja2: lazily

    return redeliver_interrupted(
        store,
        callbacks,
        decided_before=now - timedelta(seconds=LAMBDA_MAX_SECONDS),
        created_after=now - timedelta(seconds=SETTINGS.approval_timeout_seconds),
    )


def _summary(execution_arn: str) -> ExecutionSummary | None:
    """The execution's history read; None (and a warning) if Lambda refuses."""
    try:
        return summarise(fetch_history(lambda_client, execution_arn))
    except (ClientError, BotoCoreError) as e:
        logger.warning("execution history unavailable", extra={"error": str(e)})
        return None


def _record_timings(summary: ExecutionSummary, wall_ms: float | None) -> None:
    """Retries, and wall-clock time split into computing and waiting."""
    metrics.add_metric(name="StepRetries", unit=MetricUnit.Count, value=summary.retries)
    metrics.add_metric(
        name="FailedSteps", unit=MetricUnit.Count, value=summary.failed_steps
    )
    timings = {
        "ExecutionMilliseconds": wall_ms,
        "ComputeMilliseconds": summary.compute_ms,
        "WaitingMilliseconds": summary.waiting_ms(wall_ms),
    }
    for name, value in timings.items():
        if value is not None:
            metrics.add_metric(name=name, unit=MetricUnit.Milliseconds, value=value)


def _dispatch(event: StatusChangeEvent | ScheduledEvent) -> dict[str, Any]:
    if isinstance(event, StatusChangeEvent):
        return handle_status_change(event)
    return handle_schedule(event)


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point."""
    return _dispatch(parse_event(event))
