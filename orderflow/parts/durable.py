"""Durable-SDK glue for the orchestrator: the handler, and the retry strategies by
kind of step."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import Duration, JitterStrategy
from aws_durable_execution_sdk_python.execution import DurableExecutionInvocationInput
from aws_durable_execution_sdk_python.lambda_service import (
    DurableExecutionInvocationOutput,
    ErrorObject,
    InvocationStatus,
    OperationType,
)
from aws_durable_execution_sdk_python.retries import (
    RetryDecision,
    RetryStrategyConfig,
    create_retry_strategy,
)
from aws_durable_execution_sdk_python.waits import (
    WaitForConditionDecision,
    WaitStrategyConfig,
    create_wait_strategy,
)
from botocore.exceptions import BotoCoreError, ClientError

from orderflow.domain.errors import TRANSIENT_PROVIDER_ERRORS
from orderflow.parts.nesting import TOO_DEEP, too_deep

RetryStrategy = Callable[[Exception, int], RetryDecision]
WaitStrategy = Callable[[Any, int], WaitForConditionDecision]
Workflow = Callable[[Any, DurableContext], Any]


class InputTooDeepError(ValueError):
    """An execution's input nests deeper than its JSON may be parsed."""


def durable_handler(workflow: Workflow, **options: Any) -> Callable[[Any, Any], Any]:
    """The Lambda handler of ``workflow``, as ``durable_execution(workflow, **options)``
    makes it, but failing an execution whose input nests too deep before the SDK
    parses it.

    The SDK ``json.loads`` the input before the workflow runs. Past Python's
    recursion limit that raises RecursionError out of the handler: an invocation
    error, which the service retries, failing the same way each time. Here the
    execution fails at once (FAILED, ``InputTooDeepError``, saying why), and
    nothing of the workflow runs. The input is the EXECUTION operation's, in the
    first page of the invocation's state, where the service puts it.
    """
    inner = durable_execution(workflow, **options)

    @functools.wraps(inner)
    def handler(event: Any, context: Any) -> Any:
        payload = _input_payload(event)
        if payload is not None and too_deep(payload):
            error = InputTooDeepError(f"the execution's input {TOO_DEEP}")
            return DurableExecutionInvocationOutput(
                status=InvocationStatus.FAILED, error=ErrorObject.from_exception(error)
            ).to_dict()
        return inner(event, context)

    return handler


def _input_payload(event: Any) -> str | None:
    """The execution's input as the invocation carries it (JSON text), if it does."""
    if isinstance(event, DurableExecutionInvocationInput):  # the SDK's test runner
        for op in event.initial_execution_state.operations:
            if op.operation_type is OperationType.EXECUTION and op.execution_details:
                return op.execution_details.input_payload
        return None
    state = event.get("InitialExecutionState") if isinstance(event, dict) else None
    operations = state.get("Operations") if isinstance(state, dict) else None
    for op in operations if isinstance(operations, list) else []:
        if isinstance(op, dict) and op.get("Type") == OperationType.EXECUTION.value:
            details = op.get("ExecutionDetails")
            payload = details.get("InputPayload") if isinstance(details, dict) else None
            return payload if isinstance(payload, str) else None
    return None


# Errors of the infrastructure a step talks to (the store, AWS APIs): worth
# retrying. Anything else raised in a step is a bug or a business refusal, and
# retrying it only delays the same failure.
INFRASTRUCTURE_ERRORS: list[type[Exception]] = [
    ConnectionError,
    TimeoutError,
    sqlite3.OperationalError,
    BotoCoreError,
    ClientError,
]
# What a provider step retries: the named transient provider errors (a time-out,
# throttling, a 5xx) and infrastructure errors. Every TerminalProviderError (card
# declined, out of stock, undeliverable) and every bug fails the step at once.
PROVIDER_RETRYABLE: list[type[Exception]] = [
    *TRANSIENT_PROVIDER_ERRORS,
    *INFRASTRUCTURE_ERRORS,
]


def workflow_version(first: Mapping[str, Any]) -> int:
    """The workflow version an execution started with, from its first step's result.

    Each process's first step writes ``workflow_version``; results recorded
    before there was one are version 1. The code branches on it where a
    version changed the operations (docs/changing-workflows.md).
    """
    return int(first.get("workflow_version", 1))


def no_retry() -> RetryStrategy:
    """For steps whose failure is a verdict (validation): one attempt only."""
    return create_retry_strategy(RetryStrategyConfig(max_attempts=1))


def store_retry() -> RetryStrategy:
    """For bookkeeping steps (status, approvals): quick retries on infra errors."""
    return create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=5,
            initial_delay=Duration.from_seconds(1),
            max_delay=Duration.from_seconds(20),
            backoff_rate=2.0,
            jitter_strategy=JitterStrategy.FULL,
            retryable_error_types=INFRASTRUCTURE_ERRORS,
        )
    )


def provider_retry() -> RetryStrategy:
    """For provider calls: transient provider errors and infra errors, backing off."""
    return create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=5,
            initial_delay=Duration.from_seconds(2),
            max_delay=Duration.from_seconds(60),
            backoff_rate=2.0,
            jitter_strategy=JitterStrategy.FULL,
            retryable_error_types=PROVIDER_RETRYABLE,
        )
    )


def compensation_retry() -> RetryStrategy:
    """For undo steps: more patient, since giving up leaves money or stock stranded."""
    return create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=8,
            initial_delay=Duration.from_seconds(5),
            max_delay=Duration.from_minutes(5),
            backoff_rate=2.0,
            jitter_strategy=JitterStrategy.FULL,
            retryable_error_types=PROVIDER_RETRYABLE,
        )
    )


def delivery_wait(
    *, first_seconds: int, max_seconds: int, max_polls: int
) -> WaitStrategy:
    """For the delivery poll: back off x2 from ``first_seconds`` to ``max_seconds``.

    HALF jitter (each delay between half and all of its base) spreads the polls
    of many orders and still guarantees the back-off's pace, so ``max_polls``
    covers the delivery window. The check marks its state ``done`` when the
    parcel reaches a final status or the window is spent; ``max_polls`` is a
    safety net behind it.
    """
    return create_wait_strategy(
        WaitStrategyConfig(
            should_continue_polling=lambda state: not state["done"],
            max_attempts=max_polls,
            initial_delay=Duration.from_seconds(first_seconds),
            max_delay=Duration.from_seconds(max_seconds),
            backoff_rate=2.0,
            jitter_strategy=JitterStrategy.HALF,
        )
    )
