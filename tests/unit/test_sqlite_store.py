"""What only the SQLite adapter promises, beyond the Store contract (tests/contract/).

Its connections are pooled (bench/bench_orchestration.py showed opening one per
call more than doubled the handler's CPU), and rows are numbered through an
index (MAX(seq) was a table scan, so inserts slowed as the ledger grew). These
tests guard both without timing anything.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from orderflow.adapters import sqlite_store
from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.domain.records import Effect
from orderflow.processes.orders.status import OrderStatus

AT = "2025-01-01T00:00:00+00:00"


def _effect(key: str, order_id: str = "o-1") -> Effect:
    return Effect(
        idempotency_key=key,
        order_id=order_id,
        provider="payment",
        action="capture",
        amount_cents=100,
    )


def test_calls_on_one_thread_reuse_one_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[sqlite3.Connection] = []
    connect = sqlite3.connect

    def counting_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        db = connect(*args, **kwargs)
        opened.append(db)
        return db

    monkeypatch.setattr(sqlite_store.sqlite3, "connect", counting_connect)
    store = SqliteStore(tmp_path / "o.db")
    for n in range(20):
        store.create_subject("order", f"o-{n}", {"n": n}, at=AT)
        store.set_status(f"o-{n}", OrderStatus.APPROVED, at=AT)
        store.record_effect(_effect(f"k-{n}", f"o-{n}"))
        assert store.get_subject(f"o-{n}") is not None

    assert len(opened) == 1


def test_a_call_failing_inside_its_transaction_leaves_no_transaction_open(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "o.db")
    store.create_subject("order", "o-1", {}, at=AT)

    with pytest.raises(TypeError):  # the detail cannot be serialised, mid-transaction
        store.set_status("o-1", OrderStatus.FAILED, at=AT, detail={"bad": object()})

    # The next call on this store, and a writer in another "process", both write:
    # a connection handed back with BEGIN IMMEDIATE open would refuse the first
    # and hold the write lock against the second.
    store.set_status("o-1", OrderStatus.APPROVED, at=AT)
    other = SqliteStore(tmp_path / "o.db")
    other.set_status("o-1", OrderStatus.FULFILLING, at=AT)
    record = store.get_subject("o-1")
    assert record is not None
    assert [h.status for h in record.history] == [
        OrderStatus.RECEIVED,
        OrderStatus.APPROVED,
        OrderStatus.FULFILLING,
    ]


def test_threads_writing_at_once_each_get_a_connection_of_their_own(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "o.db")
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def write(t: int) -> None:
        try:
            barrier.wait()
            for n in range(25):
                store.record_effect(_effect(f"t{t}-{n}", f"o-{t}"))
        except BaseException as e:  # reported below, not lost in the thread
            errors.append(e)

    threads = [threading.Thread(target=write, args=(t,)) for t in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(len(store.list_effects(f"o-{t}")) for t in range(6)) == 150


@pytest.mark.parametrize("table", ["approvals", "outbox", "effects", "alerts"])
def test_numbering_a_new_row_reads_an_index_not_the_whole_table(
    tmp_path: Path, table: str
) -> None:
    store = SqliteStore(tmp_path / "o.db")
    with sqlite3.connect(store.path) as db:
        plan = db.execute(
            f"EXPLAIN QUERY PLAN SELECT COALESCE(MAX(seq), 0) + 1 FROM {table}"
        ).fetchall()

    details = " ".join(str(row[-1]) for row in plan)
    assert "INDEX" in details, details
    assert f"SCAN {table}" not in details, details


def test_close_releases_idle_connections_and_the_store_still_works(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "o.db")
    store.create_subject("order", "o-1", {}, at=AT)

    store.close()

    assert store.get_subject("o-1") is not None


def test_a_file_from_before_subjects_had_kinds_opens_with_its_orders_as_orders(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE orders (order_id TEXT PRIMARY KEY, status TEXT NOT NULL,"
            " body TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '{}',"
            " history TEXT NOT NULL DEFAULT '[]', execution_arn TEXT,"
            " created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"
        )
        db.execute(
            "INSERT INTO orders (order_id, status, body, created_at, updated_at)"
            " VALUES ('ORD-OLD', 'AWAITING_APPROVAL', '{\"order_id\": \"ORD-OLD\"}',"
            " 't0', 't0')"
        )

    record = SqliteStore(path).get_subject("ORD-OLD")

    assert record is not None
    assert (record.kind, record.status) == ("order", OrderStatus.AWAITING_APPROVAL)
    assert record.body == {"order_id": "ORD-OLD"}
