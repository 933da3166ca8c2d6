"""What an execution's history says about it: retries, and compute versus waiting.

Lambda's ``GetDurableExecutionHistory`` lists every operation event. A step
that is retried shows one ``StepFailed`` per failed attempt (with
``RetryDetails``), and each invocation of the handler ends with an
``InvocationCompleted`` whose details carry its start and end: their sum is the
time spent computing; the rest of the execution's wall-clock time was spent
waiting (suspended, at no compute cost). The local emulator omits the
invocation details, so compute is unknown (None) there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_lambda.client import LambdaClient

STEP_EVENTS = {"StepStarted", "StepSucceeded", "StepFailed"}
MAX_PAGES = 100  # 100 x 1000 events: far past the 3,000-operation limit


@dataclass(frozen=True)
class ExecutionSummary:
    """Counts and timings read from one execution's history."""

    events: int
    retries: int  # step attempts after each step's first one
    failed_steps: int  # steps whose last attempt failed (retries exhausted or fatal)
    invocations: int
    compute_ms: float | None  # None when the history carries no invocation timings

    def waiting_ms(self, wall_ms: float | None) -> float | None:
        """Wall-clock time not spent computing, when both are known."""
        if wall_ms is None or self.compute_ms is None:
            return None
        return max(0.0, wall_ms - self.compute_ms)


def summarise(events: Iterable[Mapping[str, Any]]) -> ExecutionSummary:
    """Count retries, failed steps and invocations; add up compute time."""
    steps: dict[str, list[str]] = defaultdict(list)
    count = invocations = 0
    compute_ms = 0.0
    timed = False
    for event in events:
        count += 1
        kind = event.get("EventType", "")
        if kind in STEP_EVENTS:
            steps[str(event.get("Id"))].append(kind)
        elif kind == "InvocationCompleted":
            invocations += 1
            details = event.get("InvocationCompletedDetails") or {}
            start, end = details.get("StartTimestamp"), details.get("EndTimestamp")
            if isinstance(start, datetime) and isinstance(end, datetime):
                compute_ms += (end - start).total_seconds() * 1000
                timed = True
    retries = failed = 0
    for kinds in steps.values():
        failures = kinds.count("StepFailed")
        ended_failed = kinds[-1] == "StepFailed"
        retries += failures - int(ended_failed)
        failed += int(ended_failed)
    return ExecutionSummary(
        events=count,
        retries=retries,
        failed_steps=failed,
        invocations=invocations,
        compute_ms=compute_ms if timed else None,
    )


def fetch_history(client: LambdaClient, execution_arn: str) -> list[dict[str, Any]]:
    """Every event of the execution, oldest first, without payloads."""
    events: list[dict[str, Any]] = []
    # Step results and callback payloads stay out: they may hold personal
    # data, and only the events' kinds and timings are read here.
    args: dict[str, Any] = {
        "DurableExecutionArn": execution_arn,
        "IncludeExecutionData": False,
        "MaxItems": 1000,
    }
    for _ in range(MAX_PAGES):
        page = client.get_durable_execution_history(**args)
        events += [dict(e) for e in page.get("Events", [])]
        if not page.get("NextMarker"):
            break
        args["Marker"] = page["NextMarker"]
    return events
