"""The Alerts contract: every adapter hands the same alert over, readable as sent.

``sns`` publishes to a topic on moto's SNS with an SQS queue subscribed (raw
delivery), as an email or chat subscriber would receive it; ``outbox`` writes
to the local stack's outbox on SQLite.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from orderflow.adapters.alerts import (
    OUTBOX_RECIPIENT,
    OutboxAlerts,
    SnsAlerts,
    alerts_for,
)
from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.domain.records import Alert
from orderflow.ports import Alerts

Received = list[tuple[str, str, str]]  # subject, message, order id


def alert(n: int = 1) -> Alert:
    """An execution alert for ORD-<n>."""
    return Alert(
        alert_id=f"ORD-{n}:execution-failed",
        subject_id=f"ORD-{n}",
        kind="execution-failed",
        severity="critical",
        message=f"The durable execution of order ORD-{n} ended FAILED.\nNext: ...",
        created_at="2026-11-20T14:02:48+00:00",
    )


@pytest.fixture(params=["sns", "outbox"])
def sink(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Alerts, Callable[[], Received]]]:
    """An adapter, and a way to read what reached its far side."""
    if request.param == "outbox":
        store = SqliteStore(tmp_path / "alerts.db")
        yield (
            OutboxAlerts(store),
            lambda: [
                (m.subject, m.body, m.subject_id)
                for m in store.list_outbox()
                if m.recipient == OUTBOX_RECIPIENT
            ],
        )
        return
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        sns, sqs = boto3.client("sns"), boto3.client("sqs")
        topic = sns.create_topic(Name="orderflow-alerts")["TopicArn"]
        queue = sqs.create_queue(QueueName="on-call")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(
            QueueUrl=queue, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

        def received() -> Received:
            messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
            envelopes = [json.loads(m["Body"]) for m in messages.get("Messages", [])]
            return [
                (
                    e["Subject"],
                    e["Message"],
                    e["MessageAttributes"]["order_id"]["Value"],
                )
                for e in envelopes
            ]

        yield SnsAlerts(topic), received


def test_an_alert_arrives_with_its_subject_message_and_order(
    sink: tuple[Alerts, Callable[[], Received]],
) -> None:
    alerts, received = sink

    alerts.send(alert(1))

    assert received() == [
        (
            "orderflow critical: order ORD-1 execution-failed",
            "The durable execution of order ORD-1 ended FAILED.\nNext: ...",
            "ORD-1",
        )
    ]


def test_two_alerts_both_arrive(sink: tuple[Alerts, Callable[[], Received]]) -> None:
    alerts, received = sink

    alerts.send(alert(1))
    alerts.send(alert(2))

    assert sorted(order for _, _, order in received()) == ["ORD-1", "ORD-2"]


def test_alerts_for_picks_sns_with_a_topic_and_the_outbox_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    store = SqliteStore(tmp_path / "pick.db")
    sns = alerts_for("arn:aws:sns:us-east-1:123456789012:t", store)

    assert isinstance(sns, SnsAlerts)
    assert sns.topic_arn == "arn:aws:sns:us-east-1:123456789012:t"
    assert isinstance(alerts_for("", store), OutboxAlerts)
