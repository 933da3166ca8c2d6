"""Attempts per step from a durable execution's history (emulator events)."""

from __future__ import annotations

from typing import Any

from orderflow.local.history import execution_steps, steps_from_history


def started(name: str, sub: str = "Step") -> dict[str, Any]:
    return {"EventType": "StepStarted", "SubType": sub, "Name": name}


def failed(name: str, error: str, *, retry: bool) -> dict[str, Any]:
    details: dict[str, Any] = {
        "Error": {"Payload": {"ErrorType": f"orderflow.domain.errors.{error}"}},
        "RetryDetails": {"CurrentAttempt": 1},
    }
    if retry:
        details["RetryDetails"]["NextAttemptDelaySeconds"] = 2
    return {"EventType": "StepFailed", "Name": name, "StepFailedDetails": details}


def succeeded(name: str, *, polling: bool = False) -> dict[str, Any]:
    retry = {"RetryDetails": {"NextAttemptDelaySeconds": 3}} if polling else {}
    return {"EventType": "StepSucceeded", "Name": name, "StepSucceededDetails": retry}


HISTORY = [
    {"EventType": "ExecutionStarted", "Name": "ORD-1"},
    started("capture-payment"),
    failed("capture-payment", "ProviderUnavailableError", retry=True),
    {"EventType": "InvocationCompleted"},
    started("capture-payment"),
    succeeded("capture-payment"),
    started("wait-for-delivery", "WaitForCondition"),
    succeeded("wait-for-delivery", polling=True),
    started("wait-for-delivery", "WaitForCondition"),
    started("reserve-inventory"),
    failed("reserve-inventory", "OutOfStockError", retry=False),
]


def test_attempts_outcomes_and_errors_per_step() -> None:
    steps = steps_from_history(HISTORY)

    assert steps == {
        "capture-payment": {
            "kind": "Step",
            "attempts": 2,
            "status": "SUCCEEDED",
            "errors": ["ProviderUnavailableError"],
        },
        "wait-for-delivery": {
            "kind": "WaitForCondition",
            "attempts": 2,
            "status": "STARTED",
            "errors": [],
        },
        "reserve-inventory": {
            "kind": "Step",
            "attempts": 1,
            "status": "FAILED",
            "errors": ["OutOfStockError"],
        },
    }


def test_a_poll_that_found_nothing_yet_is_waiting() -> None:
    steps = steps_from_history(HISTORY[6:8])

    assert steps["wait-for-delivery"]["status"] == "WAITING"


class PagedHistory:
    """The Lambda API's GetDurableExecutionHistory, three events a page."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.calls: list[dict[str, Any]] = []

    def get_durable_execution_history(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        start = int(kwargs.get("Marker", 0))
        page: dict[str, Any] = {"Events": self.events[start : start + 3]}
        if start + 3 < len(self.events):
            page["NextMarker"] = str(start + 3)
        return page


def test_every_page_of_the_history_is_read() -> None:
    client = PagedHistory(HISTORY)

    steps = execution_steps(client, "arn:x")

    assert steps == steps_from_history(HISTORY)
    assert len(client.calls) == 4
    assert all(c["DurableExecutionArn"] == "arn:x" for c in client.calls)
