"""The two events the monitor receives, parsed at the edge into models.

- Lambda's ``Durable Execution Status Change`` (source ``aws.lambda``), one per
  change of an execution's status. The execution is named after the order id
  (``orderflow.processes.orders.intake``), so ``durableExecutionName`` is the order id.
- EventBridge's ``Scheduled Event``, which triggers the stuck-approvals check;
  its ``time`` is the check's "now", so a run is reproducible from its event.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

STATUS_CHANGE = "Durable Execution Status Change"
SCHEDULED = "Scheduled Event"


class ExecutionStatus(StrEnum):
    """A durable execution's status, as Lambda reports it."""

    RUNNING = "RUNNING"  # started (or redriven)
    SUCCEEDED = "SUCCEEDED"  # the handler returned; the workflow recorded its end
    FAILED = "FAILED"  # an error escaped every step: the workflow did not finish
    TIMED_OUT = "TIMED_OUT"  # ran past DurableConfig.ExecutionTimeout
    STOPPED = "STOPPED"  # someone called StopDurableExecution

    @property
    def needs_a_human(self) -> bool:
        """The execution ended without the workflow recording the order's end."""
        return self in {
            ExecutionStatus.FAILED,
            ExecutionStatus.TIMED_OUT,
            ExecutionStatus.STOPPED,
        }


def execution_metric(status: ExecutionStatus) -> str:
    """The metric counting executions that reached ``status``: ExecutionsTimedOut..."""
    return "Executions" + status.value.title().replace("_", "")


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)


class StatusChangeDetail(_Model):
    """The ``detail`` of a status-change event."""

    execution_arn: str = Field(alias="durableExecutionArn", min_length=1)
    order_id: str = Field(alias="durableExecutionName", min_length=1)
    function_arn: str = Field(alias="functionArn", min_length=1)
    status: ExecutionStatus
    started_at: datetime = Field(alias="startTimestamp")
    ended_at: datetime | None = Field(default=None, alias="endTimestamp")

    @property
    def wall_ms(self) -> float | None:
        """Milliseconds from start to end, once the execution has ended."""
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds() * 1000


class StatusChangeEvent(_Model):
    """``Durable Execution Status Change``, as EventBridge delivers it."""

    source: Literal["aws.lambda"]
    detail_type: Literal["Durable Execution Status Change"] = Field(alias="detail-type")
    time: datetime
    detail: StatusChangeDetail


class ScheduledEvent(_Model):
    """``Scheduled Event`` from an EventBridge schedule."""

    source: Literal["aws.events"]
    detail_type: Literal["Scheduled Event"] = Field(alias="detail-type")
    time: datetime


class UnknownEventError(ValueError):
    """An event this monitor does not handle, or one that is malformed."""


def parse_event(event: Any) -> StatusChangeEvent | ScheduledEvent:
    """The event as its model; UnknownEventError naming what is wrong."""
    kind = event.get("detail-type") if isinstance(event, dict) else None
    model: type[StatusChangeEvent] | type[ScheduledEvent]
    if kind == STATUS_CHANGE:
        model = StatusChangeEvent
    elif kind == SCHEDULED:
        model = ScheduledEvent
    else:
        raise UnknownEventError(f"not an event this function handles: {kind!r}")
    try:
        return model.model_validate(event)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors()
        )
        raise UnknownEventError(f"malformed {kind}: {problems}") from e
