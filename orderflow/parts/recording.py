"""A status change of the read model as a durable step, and the workflow's result."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from aws_durable_execution_sdk_python.config import StepConfig

from orderflow.parts import logs
from orderflow.parts.deps import StepDeps
from orderflow.parts.durable import store_retry
from orderflow.parts.metrics import SUBJECTS_ENDED, Metric
from orderflow.parts.process import Process
from orderflow.parts.readmodel import record_status, status_op

if TYPE_CHECKING:
    from aws_durable_execution_sdk_python import DurableContext


def ended(status: str, terminal: Collection[str]) -> dict[str, object]:
    """A status change's log line; a terminal one is counted as the subject's end."""
    if status not in terminal:
        return {"status": status}
    end = Metric(SUBJECTS_ENDED, {"status": status})
    return {"status": status, logs.METRICS: [end]}


def record(
    ctx: DurableContext,
    deps: Callable[[], StepDeps],
    process: Process,
    subject_id: str,
    status: str,
    detail: dict[str, Any] | None,
) -> dict[str, Any]:
    """Record ``status`` (the ``record-<status>`` step); the workflow's result."""
    ctx.step(
        logs.logged(
            lambda: record_status(
                deps(), subject_id, status, detail, terminal=process.terminal
            ),
            lambda _: ended(status, process.terminal),
        ),
        name=status_op(status),
        config=StepConfig(retry_strategy=store_retry()),
    )
    return {process.id_field: subject_id, "status": str(status), **(detail or {})}
