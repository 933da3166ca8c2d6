"""Notifiers: SES (botocore's Stubber stands in for AWS) and the local outbox."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from orderflow.adapters.notifiers import OutboxNotifier, SesNotifier, notifier_for
from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.domain.records import OutboxMessage
from orderflow.parts.approvals.links import TOKEN_BYTES, mint_token

TOKEN = mint_token(bytes(range(TOKEN_BYTES)))
MESSAGE = OutboxMessage(
    message_id="approval-1",
    subject_id="ORD-1",
    recipient="ana@example.com",
    subject="Approval needed: order ORD-1",
    body=f"Decide here:\nhttps://api.example.com/approvals/{TOKEN}\n",
    created_at="2025-01-01T00:00:00+00:00",
)


@pytest.fixture
def ses() -> Iterator[tuple[object, Stubber]]:
    client = boto3.client(
        "ses",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_ses_sends_the_whole_email_and_keeps_a_copy_without_the_token(
    store: SqliteStore, ses: tuple[object, Stubber]
) -> None:
    client, stubber = ses
    stubber.add_response(
        "send_email",
        {"MessageId": "ses-1"},
        {
            "Source": "approvals@example.com",
            "Destination": {"ToAddresses": ["ana@example.com"]},
            "Message": {
                "Subject": {"Data": MESSAGE.subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": MESSAGE.body, "Charset": "UTF-8"}},
            },
        },
    )

    SesNotifier(store, "approvals@example.com", client=client).deliver(MESSAGE)  # type: ignore[arg-type]

    (kept,) = store.list_outbox()
    assert TOKEN not in kept.body
    assert "approvals/(link " in kept.body and ": sent by email)" in kept.body
    assert (kept.message_id, kept.recipient) == ("approval-1", "ana@example.com")


def test_a_refused_send_stores_nothing_so_a_retry_sends_again(
    store: SqliteStore, ses: tuple[object, Stubber]
) -> None:
    client, stubber = ses
    stubber.add_client_error("send_email", "MessageRejected", "Email not verified")

    with pytest.raises(ClientError):
        SesNotifier(store, "approvals@example.com", client=client).deliver(MESSAGE)  # type: ignore[arg-type]

    assert store.list_outbox() == []


def test_the_outbox_notifier_keeps_the_whole_message(store: SqliteStore) -> None:
    OutboxNotifier(store).deliver(MESSAGE)
    OutboxNotifier(store).deliver(MESSAGE)

    assert store.list_outbox() == [MESSAGE]


def test_a_sender_address_picks_ses_and_none_picks_the_outbox(
    store: SqliteStore,
) -> None:
    assert isinstance(notifier_for(store, "approvals@example.com"), SesNotifier)
    assert isinstance(notifier_for(store, ""), OutboxNotifier)
