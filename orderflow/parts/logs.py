"""The workflows' log lines: Powertools' Logger plugged into the durable context.

Every operation says what it decided in one JSON line per attempt, written
through the logger the SDK hands it (``StepContext.logger``, the wait's check
context): the SDK adds ``executionArn``, ``operationName``, ``operationId`` and
``attempt``; ``plug`` adds ``subjectKind`` and ``subjectId``. An operation with
no body of ours (a callback's answer) is noted through ``ctx.logger``, which the
SDK keeps quiet while it replays, so a replayed invocation repeats no line: a
step body never runs again once checkpointed, and a note is written once. A
line may carry metrics (``METRICS``), written beside it as EMF
(orderflow/parts/metrics.py), so they follow the same rules.

No personal data beyond ids: what a line says is picked field by field by the
caller (a route, a score, a count, a position in the approvers' chain), never a
result or an error message as a whole (an order holds the customer's address,
an approval its approver's email, a validation error echoes its input). An error
is logged by its type alone. Nothing here adds a durable operation.

Powertools is imported at the first line, not with this module: the
orchestrator's import stays light (tests/unit/test_cold_start.py). The level is
``POWERTOOLS_LOG_LEVEL`` (the template's LogLevel parameter).
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from orderflow.parts.metrics import RETRIES, Metric, emit

if TYPE_CHECKING:
    from aws_durable_execution_sdk_python import DurableContext
    from aws_durable_execution_sdk_python.types import (
        LoggerInterface,
        OperationContext,
    )

T = TypeVar("T")
Fields = Mapping[str, object]
SUBJECT = "subjectId"  # the subject's id: an order, a return, a claim
KIND = "subjectKind"  # its process's kind: "order" ("process" is LogRecord's)
OPERATION = "operationName"  # the SDK's key for an operation's name
ATTEMPT = "attempt"  # the SDK's key for a step's attempt, from 1
METRICS = "metrics"  # a line's metrics (parts.metrics.Metric), emitted as EMF


@functools.cache
def powertools() -> LoggerInterface:
    """The process's one Powertools Logger (JSON lines on stdout)."""
    from aws_lambda_powertools import Logger

    logger: LoggerInterface = Logger(
        service=os.environ.get("POWERTOOLS_SERVICE_NAME") or "orderflow",
        level=os.environ.get("POWERTOOLS_LOG_LEVEL") or None,  # the template's LogLevel
    )
    return logger


class _Keyed:
    """A logger adding the same keys to every line (the SDK's LoggerInterface),
    and writing the metrics a line carries (``METRICS``) as EMF beside it."""

    def __init__(self, inner: LoggerInterface, keys: Fields) -> None:
        self._inner, self._keys = inner, dict(keys)

    def _write(
        self, log: Callable[..., None], msg: object, args: Any, extra: Fields | None
    ) -> None:
        fields = {**self._keys, **(extra or {})}
        measured: list[Metric] = list(fields.pop(METRICS, None) or ())  # type: ignore[call-overload]
        log(msg, *args, extra=fields)
        if measured:
            emit(str(self._keys[KIND]), str(fields.get(OPERATION)), measured)

    def debug(self, msg: object, *args: object, extra: Fields | None = None) -> None:
        """As the inner logger's, with the keys."""
        self._write(self._inner.debug, msg, args, extra)

    def info(self, msg: object, *args: object, extra: Fields | None = None) -> None:
        """As the inner logger's, with the keys."""
        self._write(self._inner.info, msg, args, extra)

    def warning(self, msg: object, *args: object, extra: Fields | None = None) -> None:
        """As the inner logger's, with the keys."""
        self._write(self._inner.warning, msg, args, extra)

    def error(self, msg: object, *args: object, extra: Fields | None = None) -> None:
        """As the inner logger's, with the keys."""
        self._write(self._inner.error, msg, args, extra)

    def exception(
        self, msg: object, *args: object, extra: Fields | None = None
    ) -> None:
        """As the inner logger's, with the keys."""
        self._write(self._inner.exception, msg, args, extra)


def plug(ctx: DurableContext, process: str, subject_id: str | None = None) -> None:
    """Log ``ctx``'s operations (begun from now on) through Powertools.

    Called first with no subject (its id is the first step's to check), then
    again once the first step has named it.
    """
    keys = {KIND: process, SUBJECT: subject_id}
    ctx.set_logger(_Keyed(powertools(), keys))


def logged(
    body: Callable[[], T], decided: Callable[[T], Fields] | None = None
) -> Callable[[OperationContext], T]:
    """A step function running ``body`` and logging its attempt: what ``decided``
    picks from its result, or the type of the error it raised."""

    def step(step_ctx: OperationContext) -> T:
        retried = _retry(step_ctx)
        try:
            result = body()
        except Exception as e:
            # Its message may echo the input (a validation error does): the
            # type alone, and the SDK records the error itself.
            failed = {"error": _type_of(e), METRICS: retried}
            _say(step_ctx.logger.warning, "attempt failed", failed)
            raise
        _say(step_ctx.logger.info, "attempt succeeded", decided, result, retried)
        return result

    return step


def note(ctx: DurableContext, operation: str, message: str, **decided: object) -> None:
    """A line for ``operation``, which has no body of ours (a callback's answer).

    Through ``ctx.logger``: the SDK drops it while replaying, so it is written
    in the one invocation that first learns the answer.
    """
    _say(ctx.logger.info, message, {OPERATION: operation, ATTEMPT: 1, **decided})


def _retry(step_ctx: OperationContext) -> list[Metric]:
    """A retry's metric: a step's attempt after its first (a poll is no retry)."""
    from aws_durable_execution_sdk_python.types import StepContext

    if type(step_ctx) is StepContext and step_ctx.attempt > 1:
        return [Metric(RETRIES)]
    return []


def _say(
    log: Callable[..., None],
    message: str,
    fields: Fields | Callable[[Any], Fields] | None,
    result: Any = None,
    more: list[Metric] | None = None,
) -> None:
    """Write one line; a line that cannot be written never fails the operation."""
    try:
        extra = dict((fields(result) if callable(fields) else fields) or {})
        if more:
            extra[METRICS] = [*extra.get(METRICS, ()), *more]  # type: ignore[misc]
        log(message, extra=extra)
    except (KeyError, TypeError, ValueError):  # a bad field: lose the line only
        logging.getLogger(__name__).warning("log line dropped: %s", message)


def _type_of(error: BaseException) -> str:
    return f"{type(error).__module__}.{type(error).__qualname__}"


def alerted(alerts: list[dict[str, Any]]) -> dict[str, object]:
    """Alerts raised, for the step's log line: their kinds and severities."""
    return {"alerts": [f"{a['kind']}:{a['severity']}" for a in alerts]}
