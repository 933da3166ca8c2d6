"""Recorded shapes for the monitor: status events, schedule runs, histories."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.utils.orders import load_event

HISTORIES = Path(__file__).resolve().parents[1] / "unit" / "monitoring" / "data"
TIMESTAMPS = ("EventTimestamp", "StartTimestamp", "EndTimestamp")


def status_event(kind: str) -> dict[str, Any]:
    """events/status-event.<kind>.json: running, succeeded, failed, timed-out..."""
    event: dict[str, Any] = load_event(f"status-event.{kind}.json")
    return event


def schedule_event() -> dict[str, Any]:
    """events/approvals-check.schedule.json."""
    event: dict[str, Any] = load_event("approvals-check.schedule.json")
    return event


def _timestamps(node: Any) -> Any:
    """ISO strings under timestamp keys as datetimes, as botocore parses them."""
    if isinstance(node, list):
        return [_timestamps(n) for n in node]
    if isinstance(node, dict):
        return {
            k: datetime.fromisoformat(v)
            if k in TIMESTAMPS and isinstance(v, str)
            else _timestamps(v)
            for k, v in node.items()
        }
    return node


def history(name: str) -> list[dict[str, Any]]:
    """A recorded GetDurableExecutionHistory's events, as boto3 returns them."""
    data = json.loads((HISTORIES / f"history.{name}.json").read_text())
    events: list[dict[str, Any]] = _timestamps(data["Events"])
    return events
