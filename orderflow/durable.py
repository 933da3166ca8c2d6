"""Durable-SDK glue for the orchestrator: the retry strategies, by kind of step."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from aws_durable_execution_sdk_python.config import Duration, JitterStrategy
from aws_durable_execution_sdk_python.retries import (
    RetryDecision,
    RetryStrategyConfig,
    create_retry_strategy,
)
from botocore.exceptions import BotoCoreError, ClientError

from orderflow.domain.errors import TransientProviderError

RetryStrategy = Callable[[Exception, int], RetryDecision]


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
            retryable_error_types=[TransientProviderError, *INFRASTRUCTURE_ERRORS],
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
            retryable_error_types=[TransientProviderError, *INFRASTRUCTURE_ERRORS],
        )
    )
