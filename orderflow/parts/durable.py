"""Durable-SDK glue for the orchestrator: the retry strategies, by kind of step."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from aws_durable_execution_sdk_python.config import Duration, JitterStrategy
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

RetryStrategy = Callable[[Exception, int], RetryDecision]
WaitStrategy = Callable[[Any, int], WaitForConditionDecision]


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
