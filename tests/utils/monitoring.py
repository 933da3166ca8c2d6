"""Recorded shapes for the monitor: status events, schedule runs, histories.

Also the monitor as the template deploys it, beside moto's EventBridge, to ask
whether a rule lets an event through and which metrics the handler emits for it.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from tests.utils.deployed import Deployed, LambdaContext, Output, deployed
from tests.utils.orders import load_event
from tests.utils.template import Stack

HISTORIES = Path(__file__).resolve().parents[1] / "unit" / "monitoring" / "data"
TIMESTAMPS = ("EventTimestamp", "StartTimestamp", "EndTimestamp")
STATUS_KINDS = ("running", "succeeded", "failed", "timed-out", "stopped")
MetricKey = tuple[str, str, frozenset[tuple[str, str]]]
_FUNCTION = re.compile(r"(:function:)[^:/]+(:)")


def status_event(kind: str) -> dict[str, Any]:
    """events/status-event.<kind>.json: running, succeeded, failed, timed-out..."""
    event: dict[str, Any] = load_event(f"status-event.{kind}.json")
    return event


def status_event_of(kind: str, function_name: str) -> dict[str, Any]:
    """The recorded ``kind`` status event, as if ``function_name`` had sent it."""
    event = status_event(kind)
    detail = event["detail"]
    for key in ("functionArn", "durableExecutionArn"):
        detail[key] = _FUNCTION.sub(rf"\g<1>{function_name}\g<2>", detail[key], 1)
    return event


@dataclass
class EventMatcher:
    """moto's EventBridge deciding whether a rule's pattern matches an event.

    Build it inside ``mock_aws``; each call puts the pattern on one rule whose
    target is a queue, sends the event and reads the queue empty again.
    """

    session: boto3.Session = field(default_factory=boto3.Session)

    def __post_init__(self) -> None:
        self.events = self.session.client("events")
        self.sqs = self.session.client("sqs")
        self.queue = self.sqs.create_queue(QueueName="rule-matched")["QueueUrl"]
        self.queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=self.queue, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]

    def __call__(self, pattern: dict[str, Any], event: dict[str, Any]) -> bool:
        """True if a rule with ``pattern`` delivers ``event`` to its target."""
        self.events.put_rule(Name="probe", EventPattern=json.dumps(pattern))
        self.events.put_targets(
            Rule="probe", Targets=[{"Id": "q", "Arn": self.queue_arn}]
        )
        sent = self.events.put_events(
            Entries=[
                {
                    "Source": event["source"],
                    "DetailType": event["detail-type"],
                    "Detail": json.dumps(event["detail"]),
                    "Resources": event["resources"],
                }
            ]
        )
        assert sent["FailedEntryCount"] == 0
        got = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10)
        for message in got.get("Messages", []):
            self.sqs.delete_message(
                QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"]
            )
        return bool(got.get("Messages"))


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


@dataclass
class Monitor:
    """StatusEventsFunction deployed on moto, with moto's EventBridge beside it."""

    running: Deployed
    matches: EventMatcher

    def emits(self, event: dict[str, Any]) -> set[MetricKey]:
        """(namespace, metric, dimensions) the handler emits for ``event``."""
        arn = event.get("detail", {}).get("durableExecutionArn")
        buffer = io.StringIO()
        with Stubber(self.running.module.lambda_client) as stub:
            if arn and event["detail"]["status"] != "RUNNING":
                stub.add_response(
                    "get_durable_execution_history",
                    {"Events": history("capture-retried")},
                )
            with contextlib.redirect_stdout(buffer):
                self.running.module.lambda_handler(event, LambdaContext())
        metrics = Output.parse(buffer.getvalue()).metrics
        return {(m.namespace, m.name, frozenset(m.dimensions.items())) for m in metrics}


@contextlib.contextmanager
def deployed_monitor(stack: Stack | None = None) -> Iterator[Monitor]:
    """The monitor as ``stack`` deploys it, and a rule matcher, on one moto."""
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        deployed("StatusEventsFunction", monkeypatch, stack) as running,
    ):
        yield Monitor(running, EventMatcher(running.session))
