"""The Alerts port: an SNS topic in AWS, the store's outbox locally.

The template subscribes the people on call to the topic (``AlertEmail``); the
outbox keeps alerts where the local stack's other messages are, deduplicated
on the alert's key as EventBridge may deliver one event twice.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import boto3

from orderflow.domain.records import OutboxMessage
from orderflow.monitoring.alerts import Alert
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
        """Publish the alert, its kind and order id as message attributes."""
        self.client.publish(
            TopicArn=self.topic_arn,
            Subject=alert.subject,
            Message=alert.message,
            MessageAttributes={
                "kind": {"DataType": "String", "StringValue": alert.kind},
                "order_id": {"DataType": "String", "StringValue": alert.order_id},
            },
        )


class OutboxAlerts:
    """``orderflow.ports.Alerts`` as outbox messages to ``on-call``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def send(self, alert: Alert) -> None:
        """Queue the alert once per key."""
        digest = hashlib.sha256(alert.key.encode()).hexdigest()[:32]
        self.store.add_outbox(
            OutboxMessage(
                message_id=f"alert-{digest}",
                order_id=alert.order_id,
                recipient=OUTBOX_RECIPIENT,
                subject=alert.subject,
                body=alert.message,
                created_at=datetime.now(UTC).isoformat(),
            )
        )


def alerts_for(topic_arn: str, store: Store) -> Alerts:
    """SNS when a topic is configured, else the outbox."""
    return SnsAlerts(topic_arn) if topic_arn else OutboxAlerts(store)
