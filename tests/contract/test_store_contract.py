"""The Store contract: every adapter passes the same tests.

``sqlite`` runs on a temporary file; ``dynamodb`` runs on moto's in-memory AWS
with the table built from ``table_definition``, as template.yaml declares it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from orderflow.adapters.dynamodb_store import DynamoDbStore, table_definition
from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.domain.records import Alert, ApprovalRequest, Effect, OutboxMessage
from orderflow.ports import Store
from orderflow.processes.orders.status import TERMINAL_STATUSES, OrderStatus

T0 = "2025-01-01T00:00:00+00:00"
T1 = "2025-01-01T00:01:00+00:00"
T2 = "2025-01-01T00:02:00+00:00"


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Store]:
    """Each adapter in turn, empty."""
    if request.param == "sqlite":
        yield SqliteStore(tmp_path / "contract.db")
        return
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        boto3.client("dynamodb").create_table(**table_definition("orderflow-test"))
        yield DynamoDbStore("orderflow-test")


def approval(
    callback_id: str, order_id: str = "o-1", **changes: Any
) -> ApprovalRequest:
    """A pending approval with sensible defaults."""
    fields: dict[str, Any] = {
        "approver": "approver@example.com",
        "created_at": T0,
        "expires_at": T2,
    }
    return ApprovalRequest(callback_id, order_id, **(fields | changes))


def message(message_id: str, order_id: str = "o-1", **changes: Any) -> OutboxMessage:
    """An outbox message with sensible defaults."""
    fields: dict[str, Any] = {
        "recipient": "approver@example.com",
        "subject": "Approve?",
        "body": "Please decide.",
        "created_at": T0,
    }
    return OutboxMessage(message_id, order_id, **(fields | changes))


def effect(key: str, order_id: str = "o-1", **changes: Any) -> Effect:
    """A payment capture effect with sensible defaults."""
    fields: dict[str, Any] = {
        "provider": "payment",
        "action": "capture",
        "amount_cents": 1250,
        "reference": f"ref-{key}",
        "created_at": T0,
    }
    return Effect(key, order_id, **(fields | changes))


# subjects of any kind

RETURN_TERMINAL = frozenset({"REFUNDED", "DENIED", "CANCELLED", "FAILED"})


def test_a_subject_keeps_its_kind_and_any_status_its_process_declares(
    store: Store,
) -> None:
    assert store.create_subject("return", "RET-1", {"order_id": "o-1"}, at=T0)
    store.set_status("RET-1", "AWAITING_PARCEL", at=T1)

    assert store.end_subject("RET-1", "REFUNDED", terminal=RETURN_TERMINAL, at=T2)
    assert not store.end_subject("RET-1", "FAILED", terminal=RETURN_TERMINAL, at=T2)
    record = store.get_subject("RET-1")
    assert record is not None
    assert (record.kind, record.status) == ("return", "REFUNDED")
    assert [h.status for h in record.history] == [
        "RECEIVED",
        "AWAITING_PARCEL",
        "REFUNDED",
    ]


def test_one_id_names_one_subject_across_kinds(store: Store) -> None:
    assert store.create_subject("order", "X-1", {"a": 1}, at=T0)

    assert store.create_subject("return", "X-1", {"b": 2}, at=T1) is False

    record = store.get_subject("X-1")
    assert record is not None and (record.kind, record.body) == ("order", {"a": 1})


def test_end_subject_refuses_a_status_its_process_does_not_call_terminal(
    store: Store,
) -> None:
    store.create_subject("return", "RET-2", {}, at=T0)

    with pytest.raises(ValueError, match="terminal"):
        store.end_subject("RET-2", "COMPLETED", terminal=RETURN_TERMINAL, at=T1)


# orders


def test_create_order_stores_it_as_received_with_one_history_entry(
    store: Store,
) -> None:
    assert store.create_subject("order", "o-1", {"total": "12.50"}, at=T0) is True

    record = store.get_subject("o-1")

    assert record is not None
    assert record.status == OrderStatus.RECEIVED
    assert record.body == {"total": "12.50"}
    assert (record.created_at, record.updated_at) == (T0, T0)
    assert record.execution_arn is None
    assert record.detail == {}
    assert [(h.status, h.at, h.detail) for h in record.history] == [
        (OrderStatus.RECEIVED, T0, {})
    ]


def test_create_order_twice_returns_false_and_keeps_the_first_body(
    store: Store,
) -> None:
    assert store.create_subject("order", "o-1", {"v": 1}, at=T0) is True

    assert store.create_subject("order", "o-1", {"v": 2}, at=T1) is False

    record = store.get_subject("o-1")
    assert record is not None
    assert record.body == {"v": 1}
    assert record.created_at == T0
    assert len(record.history) == 1


def test_order_body_round_trips_nested_json_values(store: Store) -> None:
    body = {
        "lines": [{"sku": "A-1", "qty": 3, "price": 9.99}, {"sku": "B", "qty": 0}],
        "flags": {"gift": True, "note": None, "empty": "", "tags": []},
        "score": 0.5,
        "big": 12345678901234,
        "negative": -7,
        "unicode": "café ✓",
    }
    store.create_subject("order", "o-1", body, at=T0)

    record = store.get_subject("o-1")

    assert record is not None
    assert record.body == body
    assert type(record.body["lines"][0]["qty"]) is int
    assert type(record.body["score"]) is float


def test_get_order_unknown_returns_none(store: Store) -> None:
    store.create_subject("order", "o-1", {}, at=T0)

    assert store.get_subject("nope") is None


def test_set_status_appends_history_once_and_a_repeat_is_a_no_op(
    store: Store,
) -> None:
    store.create_subject("order", "o-1", {}, at=T0)

    store.set_status("o-1", OrderStatus.APPROVED, at=T1, detail={"by": "policy"})
    store.set_status("o-1", OrderStatus.APPROVED, at=T2, detail={"by": "again"})

    record = store.get_subject("o-1")
    assert record is not None
    assert record.status == OrderStatus.APPROVED
    assert record.updated_at == T1
    assert record.detail == {"by": "policy"}
    assert [(h.status, h.at, h.detail) for h in record.history] == [
        (OrderStatus.RECEIVED, T0, {}),
        (OrderStatus.APPROVED, T1, {"by": "policy"}),
    ]


def test_set_status_merges_detail_over_earlier_detail(store: Store) -> None:
    store.create_subject("order", "o-1", {}, at=T0)
    store.set_status(
        "o-1", OrderStatus.AWAITING_APPROVAL, at=T1, detail={"a": 1, "b": {"x": 1}}
    )

    store.set_status("o-1", OrderStatus.APPROVED, at=T2, detail={"b": 2, "c": 0.25})
    store.set_status("o-1", OrderStatus.FULFILLING, at=T2)

    record = store.get_subject("o-1")
    assert record is not None
    assert record.detail == {"a": 1, "b": 2, "c": 0.25}
    assert [h.detail for h in record.history] == [
        {},
        {"a": 1, "b": {"x": 1}},
        {"b": 2, "c": 0.25},
        {},
    ]


def test_set_status_on_an_unknown_order_creates_nothing(store: Store) -> None:
    store.set_status("ghost", OrderStatus.APPROVED, at=T1)

    assert store.get_subject("ghost") is None


def test_set_execution_arn_is_shown_on_the_order(store: Store) -> None:
    store.create_subject("order", "o-1", {}, at=T0)
    arn = "arn:aws:lambda:us-east-1:123456789012:function:wf:live/durable-execution/x"

    store.set_execution_arn("o-1", arn)

    record = store.get_subject("o-1")
    assert record is not None
    assert record.execution_arn == arn
    assert record.status == OrderStatus.RECEIVED


def test_set_execution_arn_on_an_unknown_order_creates_nothing(store: Store) -> None:
    store.set_execution_arn("ghost", "arn:x")

    assert store.get_subject("ghost") is None


def test_end_order_moves_a_running_order_to_the_terminal_status(
    store: Store,
) -> None:
    store.create_subject("order", "o-1", {}, at=T0)
    store.set_status("o-1", OrderStatus.FULFILLING, at=T1, detail={"route": "x"})

    moved = store.end_subject(
        "o-1",
        OrderStatus.FAILED,
        terminal=TERMINAL_STATUSES,
        at=T2,
        detail={"execution_status": "TIMED_OUT"},
    )

    assert moved is True
    record = store.get_subject("o-1")
    assert record is not None
    assert record.status == OrderStatus.FAILED
    assert record.updated_at == T2
    assert record.detail == {"route": "x", "execution_status": "TIMED_OUT"}
    assert [h.status for h in record.history] == [
        OrderStatus.RECEIVED,
        OrderStatus.FULFILLING,
        OrderStatus.FAILED,
    ]


@pytest.mark.parametrize(
    "ended",
    [
        OrderStatus.COMPLETED,
        OrderStatus.REJECTED,
        OrderStatus.CANCELLED,
        OrderStatus.FAILED,
    ],
)
def test_end_order_leaves_an_order_that_already_ended_as_it_was(
    store: Store, ended: OrderStatus
) -> None:
    store.create_subject("order", "o-1", {}, at=T0)
    store.set_status("o-1", ended, at=T1, detail={"by": "workflow"})

    moved = store.end_subject(
        "o-1",
        OrderStatus.FAILED,
        terminal=TERMINAL_STATUSES,
        at=T2,
        detail={"by": "monitor"},
    )

    assert moved is False
    record = store.get_subject("o-1")
    assert record is not None
    assert (record.status, record.updated_at, record.detail) == (
        ended,
        T1,
        {"by": "workflow"},
    )
    assert len(record.history) == 2


def test_end_order_on_an_unknown_order_creates_nothing(store: Store) -> None:
    assert (
        store.end_subject(
            "ghost", OrderStatus.FAILED, terminal=TERMINAL_STATUSES, at=T1
        )
        is False
    )

    assert store.get_subject("ghost") is None


def test_end_order_refuses_a_status_that_is_not_terminal(store: Store) -> None:
    store.create_subject("order", "o-1", {}, at=T0)

    with pytest.raises(ValueError, match="terminal"):
        store.end_subject(
            "o-1", OrderStatus.APPROVED, terminal=TERMINAL_STATUSES, at=T1
        )

    record = store.get_subject("o-1")
    assert record is not None
    assert record.status == OrderStatus.RECEIVED


# approvals


def test_put_approval_twice_returns_false_and_keeps_the_first(store: Store) -> None:
    first = approval("cb-1", approver="first@example.com")

    assert store.put_approval(first) is True
    assert store.put_approval(approval("cb-1", approver="second@example.com")) is False

    assert store.get_approval("cb-1") == first
    assert store.list_approvals() == [first]


def test_get_approval_unknown_returns_none(store: Store) -> None:
    store.put_approval(approval("cb-1"))

    assert store.get_approval("cb-2") is None


def test_list_approvals_filters_by_order_and_status_oldest_first(
    store: Store,
) -> None:
    # Ids sort the other way round from insertion, so only a real ordering
    # field can put them oldest first.
    z = approval("cb-z", "o-1")
    m = approval("cb-m", "o-2")
    a = approval("cb-a", "o-1")
    for item in (z, m, a):
        assert store.put_approval(item) is True
    assert store.decide_approval("cb-m", status="APPROVED", decided_by="x", at=T1)
    m = store.get_approval("cb-m") or m

    assert store.list_approvals() == [z, m, a]
    assert store.list_approvals(subject_id="o-1") == [z, a]
    assert store.list_approvals(status="PENDING") == [z, a]
    assert store.list_approvals(status="APPROVED") == [m]
    assert store.list_approvals(subject_id="o-2", status="PENDING") == []
    assert store.list_approvals(subject_id="o-2", status="APPROVED") == [m]
    assert store.list_approvals(subject_id="o-3") == []


def test_list_approvals_created_after_keeps_the_recent_ones(store: Store) -> None:
    now = datetime.now(UTC)
    old = approval("cb-old", created_at=(now - timedelta(hours=2)).isoformat())
    new = approval("cb-new", created_at=(now - timedelta(minutes=5)).isoformat())
    for item in (old, new, approval("cb-pending", created_at=now.isoformat())):
        store.put_approval(item)
    for decided in ("cb-old", "cb-new"):
        store.decide_approval(decided, status="APPROVED", decided_by="x", at=T1)

    since = now - timedelta(hours=1)
    recent = store.list_approvals(status="APPROVED", created_after=since)

    assert [a.callback_id for a in recent] == ["cb-new"]
    assert store.list_approvals(status="APPROVED", created_after=now) == []


def test_decide_approval_moves_pending_to_the_decision(store: Store) -> None:
    store.put_approval(approval("cb-1"))

    decided = store.decide_approval(
        "cb-1", status="REJECTED", decided_by="ana", at=T1, comment="too risky"
    )

    assert decided is True
    stored = store.get_approval("cb-1")
    assert stored is not None
    assert (stored.status, stored.decided_by, stored.decided_at, stored.comment) == (
        "REJECTED",
        "ana",
        T1,
        "too risky",
    )


def test_decide_approval_a_second_time_returns_false_and_keeps_the_first(
    store: Store,
) -> None:
    store.put_approval(approval("cb-1"))
    assert store.decide_approval("cb-1", status="APPROVED", decided_by="ana", at=T1)

    again = store.decide_approval(
        "cb-1", status="REJECTED", decided_by="bob", at=T2, comment="late"
    )

    assert again is False
    stored = store.get_approval("cb-1")
    assert stored is not None
    assert (stored.status, stored.decided_by, stored.decided_at, stored.comment) == (
        "APPROVED",
        "ana",
        T1,
        None,
    )


def test_decide_approval_unknown_returns_false_and_creates_nothing(
    store: Store,
) -> None:
    assert (
        store.decide_approval("ghost", status="APPROVED", decided_by="a", at=T1)
        is False
    )

    assert store.get_approval("ghost") is None


def test_racing_decisions_on_one_approval_let_exactly_one_win(
    tmp_path: Path,
) -> None:
    # SQLite only: moto does not make conditional writes atomic across threads.
    store = SqliteStore(tmp_path / "race.db")
    store.put_approval(approval("cb-1"))
    barrier = threading.Barrier(2)
    results: dict[str, bool] = {}

    def decide(who: str) -> None:
        barrier.wait()
        results[who] = store.decide_approval(
            "cb-1", status="APPROVED", decided_by=who, at=T1
        )

    threads = [threading.Thread(target=decide, args=(w,)) for w in ("ana", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    winners = [who for who, won in results.items() if won]
    assert len(results) == 2
    assert len(winners) == 1
    stored = store.get_approval("cb-1")
    assert stored is not None
    assert stored.decided_by == winners[0]


# outbox


def test_add_outbox_twice_returns_false_and_keeps_the_first(store: Store) -> None:
    first = message("m-1", subject="first")

    assert store.add_outbox(first) is True
    assert store.add_outbox(message("m-1", subject="second")) is False

    assert store.list_outbox() == [first]


def test_list_outbox_is_oldest_first_and_filters_by_order(store: Store) -> None:
    z, m, a = message("m-z", "o-1"), message("m-m", "o-2"), message("m-a", "o-1")
    for item in (z, m, a):
        store.add_outbox(item)

    assert store.list_outbox() == [z, m, a]
    assert store.list_outbox(subject_id="o-1") == [z, a]
    assert store.list_outbox(subject_id="o-3") == []


# effects ledger


def test_record_effect_is_new_the_first_time(store: Store) -> None:
    first = effect("o-1:capture")

    assert store.record_effect(first) == (first, True)
    assert store.list_effects("o-1") == [first]


def test_record_effect_repeated_key_returns_the_first_effect(store: Store) -> None:
    first = effect("o-1:capture", amount_cents=1250, reference="ref-first")
    store.record_effect(first)

    stored, new = store.record_effect(
        effect("o-1:capture", amount_cents=9999, reference="ref-second", created_at=T2)
    )

    assert new is False
    assert stored == first
    assert store.list_effects("o-1") == [first]


def test_record_effect_key_is_unique_across_orders(store: Store) -> None:
    first = effect("shared-key", "o-1")
    store.record_effect(first)

    stored, new = store.record_effect(effect("shared-key", "o-2", amount_cents=1))

    assert (stored, new) == (first, False)
    assert store.list_effects("o-2") == []


def test_list_effects_in_recording_order_and_scoped_to_the_order(
    store: Store,
) -> None:
    recorded = [
        effect("o-1:reserve", provider="inventory", action="reserve", quantity=3),
        effect("o-2:capture", "o-2"),
        effect("o-1:capture"),
        effect("o-1:ship", provider="shipping", action="ship", quantity=1),
        effect("o-1:capture"),  # a retry: not a new entry
    ]
    for item in recorded:
        store.record_effect(item)

    assert store.list_effects("o-1") == [recorded[0], recorded[2], recorded[3]]
    assert store.list_effects("o-2") == [recorded[1]]
    assert store.list_effects("o-3") == []


# alerts


def alert(alert_id: str, order_id: str = "o-1", **changes: Any) -> Alert:
    """A warning about an order with sensible defaults."""
    fields: dict[str, Any] = {
        "kind": "books-repaired",
        "severity": "warning",
        "message": "refunded 12.50 taken twice",
        "created_at": T0,
        "detail": {"problems": ["captured twice"], "z": 4.25, "adjustments": []},
    }
    return Alert(alert_id, order_id, **(fields | changes))


def test_add_alert_twice_returns_false_and_keeps_the_first(store: Store) -> None:
    first = alert("o-1:books-repaired")

    assert store.add_alert(first) is True
    assert store.add_alert(alert("o-1:books-repaired", message="again")) is False

    assert store.list_alerts() == [first]


def test_alert_detail_round_trips_nested_json(store: Store) -> None:
    detail = {"adjustments": [{"op": "repair", "amount_cents": 1250}], "z": 3.5}
    stored = alert("o-1:slow-delivery", detail=detail)
    store.add_alert(stored)

    [back] = store.list_alerts(subject_id="o-1")

    assert back == stored
    assert type(back.detail["z"]) is float
    assert type(back.detail["adjustments"][0]["amount_cents"]) is int


def test_list_alerts_is_oldest_first_and_filters_by_order(store: Store) -> None:
    z, m, a = alert("z", "o-1"), alert("m", "o-2"), alert("a", "o-1")
    for item in (z, m, a):
        store.add_alert(item)

    assert store.list_alerts() == [z, m, a]
    assert store.list_alerts(subject_id="o-1") == [z, a]
    assert store.list_alerts(subject_id="o-3") == []
