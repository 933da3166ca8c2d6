"""Parsing the monitor's two events at the edge: recorded shapes and bad ones."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from orderflow.monitoring.events import (
    ExecutionStatus,
    ScheduledEvent,
    StatusChangeEvent,
    UnknownEventError,
    parse_event,
)
from tests.utils.monitoring import schedule_event, status_event

KINDS = {
    "running": ExecutionStatus.RUNNING,
    "succeeded": ExecutionStatus.SUCCEEDED,
    "failed": ExecutionStatus.FAILED,
    "timed-out": ExecutionStatus.TIMED_OUT,
    "stopped": ExecutionStatus.STOPPED,
}


@pytest.mark.parametrize(("kind", "status"), KINDS.items())
def test_recorded_status_events_parse_with_the_order_id_from_the_name(
    kind: str, status: ExecutionStatus
) -> None:
    raw = status_event(kind)

    event = parse_event(raw)

    assert isinstance(event, StatusChangeEvent)
    assert event.detail.status is status
    assert event.detail.order_id == raw["detail"]["durableExecutionName"]
    assert event.detail.execution_arn.startswith(event.detail.function_arn + "/")


def test_wall_time_is_end_minus_start_and_unknown_while_running() -> None:
    ended = parse_event(status_event("succeeded"))
    running = parse_event(status_event("running"))

    assert isinstance(ended, StatusChangeEvent)
    assert isinstance(running, StatusChangeEvent)
    assert ended.detail.wall_ms == pytest.approx(8_667)
    assert running.detail.wall_ms is None


def test_only_failed_timed_out_and_stopped_need_a_human() -> None:
    assert {s for s in ExecutionStatus if s.needs_a_human} == {
        ExecutionStatus.FAILED,
        ExecutionStatus.TIMED_OUT,
        ExecutionStatus.STOPPED,
    }


def test_schedule_event_parses_with_its_time_as_now() -> None:
    event = parse_event(schedule_event())

    assert isinstance(event, ScheduledEvent)
    assert event.time == datetime(2026, 11, 20, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw", [{"detail-type": "Object Created"}, {}, [], "text", None]
)
def test_an_event_of_another_kind_is_refused_naming_it(raw: Any) -> None:
    with pytest.raises(UnknownEventError, match="not an event this function"):
        parse_event(raw)


def test_a_status_event_without_its_name_is_refused_naming_the_field() -> None:
    raw = status_event("failed")
    del raw["detail"]["durableExecutionName"]

    with pytest.raises(UnknownEventError, match=r"detail\.durableExecutionName"):
        parse_event(raw)


def test_an_unknown_execution_status_is_refused_naming_the_field() -> None:
    raw = status_event("failed")
    raw["detail"]["status"] = "EXPLODED"

    with pytest.raises(UnknownEventError, match=r"detail\.status"):
        parse_event(raw)


def test_a_status_event_from_another_source_is_refused() -> None:
    raw = status_event("failed") | {"source": "my.app"}

    with pytest.raises(UnknownEventError, match="source"):
        parse_event(raw)
