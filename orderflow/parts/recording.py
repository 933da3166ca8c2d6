"""A status change of the read model as a durable step, and the workflow's result."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_durable_execution_sdk_python.config import StepConfig

from orderflow.parts import logs
from orderflow.parts.deps import StepDeps
from orderflow.parts.durable import store_retry
from orderflow.parts.process import Process
from orderflow.parts.readmodel import record_status, status_op

if TYPE_CHECKING:
    from aws_durable_execution_sdk_python import DurableContext


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
            lambda _: {"status": str(status)},
        ),
        name=status_op(status),
        config=StepConfig(retry_strategy=store_retry()),
    )
    return {process.id_field: subject_id, "status": str(status), **(detail or {})}
