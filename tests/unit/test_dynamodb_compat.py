"""Items written before subjects had kinds stay readable: their names are kept.

The read model's item is still ``ORDER#<id>`` / ``ORDER`` with ``order_id`` and
``order`` attributes, whatever the subject's kind (docs/design.md#the-store).
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from orderflow.adapters.dynamodb_store import DynamoDbStore, table_definition
from orderflow.domain.records import AuditEntry


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[DynamoDbStore]:
    """An empty table under moto."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        boto3.client("dynamodb").create_table(**table_definition("compat"))
        yield DynamoDbStore("compat")


def test_an_order_item_written_before_kinds_reads_as_an_order(
    store: DynamoDbStore,
) -> None:
    store.client.put_item(
        TableName="compat",
        Item={
            "pk": {"S": "ORDER#ORD-OLD"},
            "sk": {"S": "ORDER"},
            "order_id": {"S": "ORD-OLD"},
            "status": {"S": "AWAITING_APPROVAL"},
            "order": {"M": {"order_id": {"S": "ORD-OLD"}}},
            "created_at": {"S": "t0"},
            "updated_at": {"S": "t0"},
            "detail": {"M": {}},
            "history": {"L": []},
        },
    )

    record = store.get_subject("ORD-OLD")

    assert record is not None
    assert (record.subject_id, record.kind) == ("ORD-OLD", "order")
    assert record.body == {"order_id": "ORD-OLD"}


def test_a_new_subject_is_stored_under_the_kept_names_with_its_kind(
    store: DynamoDbStore,
) -> None:
    store.create_subject("return", "RET-1", {"order_id": "ORD-1"}, at="t0")

    item = store.client.get_item(
        TableName="compat", Key={"pk": {"S": "ORDER#RET-1"}, "sk": {"S": "ORDER"}}
    )["Item"]

    assert item["order_id"] == {"S": "RET-1"}
    assert item["kind"] == {"S": "return"}
    assert "order" in item and "subject_id" not in item and "body" not in item


def test_the_audit_trail_has_its_own_partition_and_old_entries_stay_listed(
    store: DynamoDbStore,
) -> None:
    # An entry of the layout before the trail had a partition of its own.
    store.client.put_item(
        TableName="compat",
        Item={
            "pk": {"S": "ORDER#ORD-1"},
            "sk": {"S": "AUDIT#e-old"},
            "seq": {"S": "00000000000000000001-00000000"},
            "entry_id": {"S": "e-old"},
            "order_id": {"S": "ORD-1"},
            "at": {"S": "t0"},
            "actor": {"S": "orderflow"},
            "action": {"S": "requested"},
            "detail": {"M": {}},
        },
    )
    store.create_subject("order", "ORD-1", {"order_id": "ORD-1"}, at="t0")

    store.add_audit(AuditEntry("e-new", "ORD-1", "t1", "a@example.com", "approved"))

    item = store.client.get_item(
        TableName="compat", Key={"pk": {"S": "AUDIT#ORD-1"}, "sk": {"S": "AUDIT#e-new"}}
    )
    assert item["Item"]["action"] == {"S": "approved"}
    assert [e.entry_id for e in store.list_audit("ORD-1")] == ["e-old", "e-new"]
