"""Attempts per step, read from an execution's history through the Lambda API.

The history is the durable-execution service's own record (the emulator's
locally): one StepStarted event per attempt of a step or per poll of a
wait_for_condition, then StepFailed (with RetryDetails while a retry is due)
or StepSucceeded. So the attempts shown are what the service ran, not what
the workflow believes it ran.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def steps_from_history(
    events: Iterable[Mapping[str, Any]],
) -> dict[str, dict[str, Any]]:
    """Per step name: attempts, last outcome and the error types seen, in order."""
    steps: dict[str, dict[str, Any]] = {}
    for event in events:
        kind, name = str(event.get("EventType", "")), event.get("Name")
        if not name or not kind.startswith("Step"):
            continue
        step = steps.setdefault(
            str(name),
            {
                "kind": event.get("SubType", "Step"),
                "attempts": 0,
                "status": "",
                "errors": [],
            },
        )
        if kind == "StepStarted":
            step["attempts"] += 1
            step["status"] = "STARTED"
        elif kind == "StepSucceeded":
            # A wait_for_condition poll that found the condition unmet succeeds
            # with a next attempt scheduled: the wait goes on.
            details = event.get("StepSucceededDetails", {})
            polling = "NextAttemptDelaySeconds" in details.get("RetryDetails", {})
            step["status"] = "WAITING" if polling else "SUCCEEDED"
        elif kind == "StepFailed":
            details = event.get("StepFailedDetails", {})
            payload = details.get("Error", {}).get("Payload", {})
            step["errors"].append(str(payload.get("ErrorType", "")).rsplit(".", 1)[-1])
            retrying = "NextAttemptDelaySeconds" in details.get("RetryDetails", {})
            step["status"] = "RETRYING" if retrying else "FAILED"
    return steps


def execution_steps(client: Any, execution_arn: str) -> dict[str, dict[str, Any]]:
    """Every page of the execution's history, folded by ``steps_from_history``."""
    events: list[Mapping[str, Any]] = []
    marker: str | None = None
    while True:
        page = client.get_durable_execution_history(
            DurableExecutionArn=execution_arn,
            IncludeExecutionData=False,
            **({"Marker": marker} if marker else {}),
        )
        events += page.get("Events", [])
        marker = page.get("NextMarker")
        if not marker:
            return steps_from_history(events)
