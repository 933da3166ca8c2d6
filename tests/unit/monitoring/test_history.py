"""Reading an execution's history: retries, failed steps, compute versus waiting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from orderflow.monitoring.history import fetch_history, summarise
from tests.utils.monitoring import history

ARN = (
    "arn:aws:lambda:us-east-1:123456789012:function:orderflow-order-workflow:3"
    "/durable-execution/090c4189-b18b-4296-9d0c-cfd01dc3a122/5f0c2a9e"
)
T0 = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)


def step(kind: str, step_id: str, n: int, **details: Any) -> dict[str, Any]:
    """One step event, ``n`` seconds after T0."""
    event = {
        "EventType": kind,
        "EventId": n,
        "Id": step_id,
        "Name": step_id,
        "EventTimestamp": T0 + timedelta(seconds=n),
    }
    return event | details


def failed(step_id: str, n: int, attempt: int, delay: int | None) -> dict[str, Any]:
    """A StepFailed with its RetryDetails."""
    retry: dict[str, Any] = {"CurrentAttempt": attempt}
    if delay is not None:
        retry["NextAttemptDelaySeconds"] = delay
    return step("StepFailed", step_id, n, StepFailedDetails={"RetryDetails": retry})


def test_recorded_history_counts_two_retries_and_three_invocations() -> None:
    summary = summarise(history("capture-retried"))

    assert summary.retries == 2
    assert summary.failed_steps == 0
    assert summary.invocations == 3
    assert summary.events == 27
    assert summary.compute_ms == pytest.approx(412 + 231 + 958)


def test_waiting_is_wall_time_less_compute() -> None:
    summary = summarise(history("capture-retried"))

    assert summary.waiting_ms(8_667.0) == pytest.approx(8_667 - 1_601)
    assert summary.waiting_ms(None) is None
    assert summary.waiting_ms(1_000.0) == 0.0  # never negative


def test_a_step_that_exhausts_its_attempts_counts_its_retries_and_one_failure() -> None:
    events = [step("StepStarted", "capture", 0)]
    for attempt in range(1, 6):
        events.append(failed("capture", attempt, attempt, 0 if attempt == 5 else 2))

    summary = summarise(events)

    assert (summary.retries, summary.failed_steps) == (4, 1)


def test_a_fatal_error_on_the_first_attempt_is_a_failure_without_retries() -> None:
    events = [
        step("StepStarted", "reserve", 0),
        failed("reserve", 1, 1, None),
        step("StepStarted", "release", 2),
        step("StepSucceeded", "release", 3),
    ]

    summary = summarise(events)

    assert (summary.retries, summary.failed_steps) == (0, 1)


def test_without_invocation_timings_compute_and_waiting_are_unknown() -> None:
    # The local emulator records InvocationCompleted without its details.
    events = [
        step("StepStarted", "validate", 0),
        step("StepSucceeded", "validate", 1),
        {"EventType": "InvocationCompleted", "EventId": 3, "EventTimestamp": T0},
    ]

    summary = summarise(events)

    assert summary.invocations == 1
    assert summary.compute_ms is None
    assert summary.waiting_ms(5_000.0) is None


def test_fetch_history_follows_the_marker_and_leaves_payloads_out() -> None:
    client = boto3.client("lambda", region_name="us-east-1")
    events = history("capture-retried")
    base = {"DurableExecutionArn": ARN, "IncludeExecutionData": False, "MaxItems": 1000}
    with Stubber(client) as stub:
        stub.add_response(
            "get_durable_execution_history",
            {"Events": events[:10], "NextMarker": "page-2"},
            base,
        )
        stub.add_response(
            "get_durable_execution_history",
            {"Events": events[10:]},
            base | {"Marker": "page-2"},
        )

        fetched = fetch_history(client, ARN)

        stub.assert_no_pending_responses()
    assert [e["EventId"] for e in fetched] == [e["EventId"] for e in events]
