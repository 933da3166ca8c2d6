"""DynamoDB deletes by TTL: a link's record 30 days after the link expires, an
outbox message 30 days after it was written."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime

import boto3
import pytest
from moto import mock_aws

from orderflow.adapters.dynamodb_approvals import LINK_KEPT_AFTER_EXPIRY, TTL_ATTRIBUTE
from orderflow.adapters.dynamodb_store import (
    OUTBOX_KEPT,
    DynamoDbStore,
    table_definition,
)
from orderflow.domain.records import ApprovalLink, OutboxMessage
from tests.unit.test_template import RESOURCES
from tests.utils.deployed import aws_credentials

EXPIRES = "2026-11-28T09:30:00+00:00"


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[DynamoDbStore]:
    aws_credentials(monkeypatch)
    with mock_aws():
        boto3.client("dynamodb").create_table(**table_definition("links"))
        yield DynamoDbStore("links")


def test_a_link_record_carries_its_deletion_time(store: DynamoDbStore) -> None:
    link = ApprovalLink("h" * 64, "cb-1", "o-1", "a@example.com", EXPIRES, EXPIRES)
    store.put_link(link)

    item = store.client.get_item(
        TableName="links", Key={"pk": {"S": "LINK#" + "h" * 64}, "sk": {"S": "LINK"}}
    )["Item"]
    deleted_at = datetime.fromtimestamp(int(item[TTL_ATTRIBUTE]["N"])).astimezone()
    assert deleted_at == datetime.fromisoformat(EXPIRES) + LINK_KEPT_AFTER_EXPIRY
    assert store.get_link("h" * 64) == link  # the attribute stays out of the record


def test_an_outbox_message_carries_its_deletion_time(store: DynamoDbStore) -> None:
    message = OutboxMessage("m-1", "o-1", "a@example.com", "s", "b", EXPIRES)
    before = time.time()
    store.add_outbox(message)

    item = store.client.get_item(
        TableName="links", Key={"pk": {"S": "OUTBOX#m-1"}, "sk": {"S": "OUTBOX"}}
    )["Item"]
    kept = int(item[TTL_ATTRIBUTE]["N"]) - before
    assert OUTBOX_KEPT.total_seconds() - 1 <= kept <= OUTBOX_KEPT.total_seconds() + 5
    assert OUTBOX_KEPT.days == 30
    assert store.get_outbox("m-1") == message  # the attribute stays out of it


def test_the_table_expires_items_by_that_attribute() -> None:
    ttl = RESOURCES["OrdersTable"]["Properties"]["TimeToLiveSpecification"]

    assert ttl == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
