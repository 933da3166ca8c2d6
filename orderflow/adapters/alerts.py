"""The Alerts port: an SNS topic in AWS, the store's outbox locally.

The template subscribes the people on call to the topic (``AlertEmail``); the
outbox keeps alerts where the local stack's other messages are, once per
alert id. The alert itself is also a record in the store (``Store.add_alert``),
which ``orderflow status`` and the monitor's deduplication read.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import boto3

from orderflow.domain.records import Alert, OutboxMessage
from orderflow.monitoring.alerts import subject
from orderflow.ports import Alerts, Store

if TYPE_CHECKING:
    from mypy_boto3_sns.client import SNSClient

OUTBOX_RECIPIENT = "on-call"


class SnsAlerts:
    """``orderflow.ports.Alerts`` on one SNS topic."""

    def __init__(self, topic_arn: str, *, client: SNSClient | None = None) -> None:
        self.topic_arn = topic_arn
        self.client: SNSClient = client or boto3.client("sns")

    def send(self, alert: Alert) -> None:
        """Publish the alert; kind, severity and order id as message attributes."""
        attributes = {"kind": alert.kind, "severity": alert.severity}
        self.client.publish(
            TopicArn=self.topic_arn,
            Subject=subject(alert),
            Message=alert.message,
            MessageAttributes={
                name: {"DataType": "String", "StringValue": value}
                for name, value in (attributes | {"order_id": alert.subject_id}).items()
            },
        )


class OutboxAlerts:
    """``orderflow.ports.Alerts`` as outbox messages to ``on-call``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def send(self, alert: Alert) -> None:
        """Queue the alert once per alert id."""
        digest = hashlib.sha256(alert.alert_id.encode()).hexdigest()[:32]
        self.store.add_outbox(
            OutboxMessage(
                message_id=f"alert-{digest}",
                subject_id=alert.subject_id,
                recipient=OUTBOX_RECIPIENT,
                subject=subject(alert),
                body=alert.message,
                created_at=alert.created_at,
            )
        )


def alerts_for(topic_arn: str, store: Store) -> Alerts:
    """SNS when a topic is configured, else the outbox."""
    return SnsAlerts(topic_arn) if topic_arn else OutboxAlerts(store)
