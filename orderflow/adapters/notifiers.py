"""Notifiers: how an approval email reaches its approver.

- ``OutboxNotifier`` (the local stack, or AWS with no sender configured): the
  outbox is the mailbox. The message, link and all, is stored; the local stack
  serves it at GET /outbox.
- ``SesNotifier`` (AWS): sends the email through Amazon SES, then keeps a copy
  in the outbox with the link's token cut out, so the table never holds a
  working link.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import boto3

from orderflow.domain.records import OutboxMessage
from orderflow.parts.approvals.mail import redact_links
from orderflow.ports import Notifier, Store

if TYPE_CHECKING:
    from mypy_boto3_ses import SESClient


class OutboxNotifier:
    """Deliver by storing: the outbox is the local mailbox."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def deliver(self, message: OutboxMessage) -> None:
        """Store ``message``; a repeat of the same id is a no-op."""
        self.store.add_outbox(message)


class SesNotifier:
    """Deliver through Amazon SES; keep a redacted copy in the outbox."""

    def __init__(
        self, store: Store, sender: str, *, client: SESClient | None = None
    ) -> None:
        self.store = store
        self.sender = sender
        self._client = client

    @property
    def client(self) -> SESClient:
        """The SES client, made on first use."""
        if self._client is None:
            self._client = boto3.client("ses")
        return self._client

    def deliver(self, message: OutboxMessage) -> None:
        """Send ``message`` by SES, then record it (without its link) as sent."""
        self.client.send_email(
            Source=self.sender,
            Destination={"ToAddresses": [message.recipient]},
            Message={
                "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": message.body, "Charset": "UTF-8"}},
            },
        )
        self.store.add_outbox(replace(message, body=redact_links(message.body)))


def notifier_for(store: Store, mail_from: str) -> Notifier:
    """SES when a sender address is configured, else the outbox."""
    return SesNotifier(store, mail_from) if mail_from else OutboxNotifier(store)
