"""The store on SQLite: the local stack's database, one file under .local/.

Connections are pooled: a call takes an idle connection (or opens one), uses it
alone, and hands it back, so the local stack's threads never share one at a time
and no call pays to open a connection and re-read the schema. Opening and
closing per call cost ~1.2 ms of CPU a call, mostly the WAL checkpoint SQLite
runs when the last connection closes (bench/bench_orchestration.py,
docs/benchmarks.md).
WAL mode lets readers run beside the writer; ``synchronous=NORMAL`` is SQLite's
advice for WAL: a killed process loses nothing, a power cut may lose the last
commits. Conditional writes are INSERT OR IGNORE and UPDATE ... WHERE status =
'PENDING', checked through ``rowcount``.
"""

from __future__ import annotations

import json
import queue
import sqlite3
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from orderflow.adapters.sqlite_approvals import (
    APPROVALS_SCHEMA,
    SqliteApprovalRecords,
    from_row,
    insert_audit,
    insert_new,
    to_row,
)
from orderflow.domain.records import (
    Alert,
    ApprovalRequest,
    AuditEntry,
    Effect,
    OutboxMessage,
    StatusChange,
    SubjectRecord,
)
from orderflow.parts.readmodel import RECEIVED, require_terminal

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL DEFAULT 'order',
    status TEXT NOT NULL,
    body TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}',
    history TEXT NOT NULL DEFAULT '[]',
    execution_arn TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS approvals (
    callback_id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL,
    approver TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT,
    comment TEXT,
    seq INTEGER
);
CREATE INDEX IF NOT EXISTS approvals_by_order ON approvals (order_id);
CREATE TABLE IF NOT EXISTS outbox (
    message_id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    seq INTEGER
);
CREATE TABLE IF NOT EXISTS effects (
    idempotency_key TEXT PRIMARY KEY,
    order_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    action TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    reference TEXT NOT NULL,
    created_at TEXT NOT NULL,
    seq INTEGER
);
CREATE INDEX IF NOT EXISTS effects_by_order ON effects (order_id);
CREATE TABLE IF NOT EXISTS alerts (
    alert_id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at TEXT NOT NULL,
    detail TEXT NOT NULL,
    seq INTEGER
);
CREATE INDEX IF NOT EXISTS alerts_by_order ON alerts (order_id);
-- Each insert numbers its row with MAX(seq) + 1: without these indexes that is a
-- scan of the whole table, so every insert got slower as the ledger grew.
CREATE INDEX IF NOT EXISTS approvals_by_seq ON approvals (seq);
CREATE INDEX IF NOT EXISTS outbox_by_seq ON outbox (seq);
CREATE INDEX IF NOT EXISTS effects_by_seq ON effects (seq);
CREATE INDEX IF NOT EXISTS alerts_by_seq ON alerts (seq);
"""


class SqliteStore(SqliteApprovalRecords):
    """``orderflow.ports.Store`` on one SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._idle: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA + APPROVALS_SCHEMA)
            columns = {r["name"] for r in db.execute("PRAGMA table_info(orders)")}
            if "kind" not in columns:  # a file from before subjects had kinds
                db.execute(
                    "ALTER TABLE orders ADD COLUMN kind TEXT NOT NULL DEFAULT 'order'"
                )

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(
            self.path, timeout=30, isolation_level=None, check_same_thread=False
        )
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """An idle pooled connection, for this call alone."""
        try:
            db = self._idle.get_nowait()
        except queue.Empty:
            db = self._connect()
        try:
            yield db
        except BaseException:
            db.close()  # rolls back whatever the failed call left open
            raise
        if db.in_transaction:
            db.rollback()
        self._idle.put(db)

    def close(self) -> None:
        """Close the idle connections (the store stays usable: it reopens)."""
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return

    # subjects (the table and its key column keep the names they had when
    # orders were the only kind: docs/design.md#the-store)

    def create_subject(
        self, kind: str, subject_id: str, body: dict[str, Any], *, at: str
    ) -> bool:
        """Insert the subject as RECEIVED; False (and no change) if its id exists."""
        history = [asdict(StatusChange(RECEIVED, at))]
        with self._db() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO orders (order_id, kind, status, body, history,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    subject_id,
                    kind,
                    RECEIVED,
                    json.dumps(body),
                    json.dumps(history),
                    at,
                    at,
                ),
            )
            return cur.rowcount == 1

    def get_subject(self, subject_id: str) -> SubjectRecord | None:
        """The subject's read model, or None."""
        with self._db() as db:
            row = db.execute(
                "SELECT * FROM orders WHERE order_id = ?", (subject_id,)
            ).fetchone()
        if row is None:
            return None
        return SubjectRecord(
            subject_id=row["order_id"],
            kind=row["kind"],
            status=row["status"],
            body=json.loads(row["body"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            execution_arn=row["execution_arn"],
            detail=json.loads(row["detail"]),
            history=tuple(
                StatusChange(h["status"], h["at"], h["detail"])
                for h in json.loads(row["history"])
            ),
        )

    def set_status(
        self,
        subject_id: str,
        status: str,
        *,
        at: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Move the subject to ``status``; a repeat of the current one is a no-op."""
        self._move(subject_id, status, at, detail, refuse=lambda now: now == status)

    def end_subject(
        self,
        subject_id: str,
        status: str,
        *,
        terminal: Collection[str],
        at: str,
        detail: dict[str, Any] | None = None,
    ) -> bool:
        """Move the subject to ``status`` (in ``terminal``) unless it has ended."""
        require_terminal(status, terminal)
        return self._move(
            subject_id, status, at, detail, refuse=lambda now: now in terminal
        )

    def _move(
        self,
        subject_id: str,
        status: str,
        at: str,
        detail: dict[str, Any] | None,
        *,
        refuse: Callable[[str], bool],
    ) -> bool:
        """Change the status in one transaction unless ``refuse(current)``."""
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute(
                "SELECT status, detail, history FROM orders WHERE order_id = ?",
                (subject_id,),
            ).fetchone()
            if row is None or refuse(row["status"]):
                db.execute("COMMIT")
                return False
            merged = {**json.loads(row["detail"]), **(detail or {})}
            history = json.loads(row["history"])
            history.append(asdict(StatusChange(status, at, detail or {})))
            db.execute(
                "UPDATE orders SET status = ?, detail = ?, history = ?, updated_at = ?"
                " WHERE order_id = ?",
                (status, json.dumps(merged), json.dumps(history), at, subject_id),
            )
            db.execute("COMMIT")
            return True

    def set_execution_arn(self, subject_id: str, execution_arn: str) -> None:
        """Remember which durable execution runs the subject."""
        with self._db() as db:
            db.execute(
                "UPDATE orders SET execution_arn = ? WHERE order_id = ?",
                (execution_arn, subject_id),
            )

    # approvals

    def put_approval(self, approval: ApprovalRequest) -> bool:
        """Store a pending approval; False (and no change) if its id exists."""
        with self._db() as db:
            return insert_new(db, "approvals", to_row(approval))

    def get_approval(self, callback_id: str) -> ApprovalRequest | None:
        """One approval by callback id."""
        with self._db() as db:
            row = db.execute(
                "SELECT * FROM approvals WHERE callback_id = ?", (callback_id,)
            ).fetchone()
        return _approval(row) if row else None

    def list_approvals(
        self,
        *,
        subject_id: str | None = None,
        status: str | None = None,
        created_after: datetime | None = None,
    ) -> list[ApprovalRequest]:
        """Approvals, oldest first, filtered by subject and/or status."""
        with self._db() as db:
            rows = db.execute(
                "SELECT * FROM approvals WHERE (?1 IS NULL OR order_id = ?1)"
                " AND (?2 IS NULL OR status = ?2) ORDER BY seq",
                (subject_id, status),
            ).fetchall()
        approvals = [_approval(r) for r in rows]
        if created_after is None:
            return approvals
        return [
            a for a in approvals if datetime.fromisoformat(a.created_at) > created_after
        ]

    def decide_approval(
        self,
        callback_id: str,
        *,
        status: str,
        decided_by: str,
        at: str,
        comment: str | None = None,
        audit: AuditEntry | None = None,
    ) -> bool:
        """PENDING -> ``status`` with a conditional write; False if not PENDING."""
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            cur = db.execute(
                "UPDATE approvals SET status = ?, decided_by = ?, decided_at = ?,"
                " comment = ? WHERE callback_id = ? AND status = 'PENDING'",
                (status, decided_by, at, comment, callback_id),
            )
            if cur.rowcount == 1 and audit is not None:
                insert_audit(db, audit)
            db.execute("COMMIT")
            return cur.rowcount == 1

    # outbox

    def add_outbox(self, message: OutboxMessage) -> bool:
        """Queue a message; False (and no change) if its id exists."""
        with self._db() as db:
            return insert_new(db, "outbox", to_row(message))

    def list_outbox(self, *, subject_id: str | None = None) -> list[OutboxMessage]:
        """Messages, oldest first."""
        with self._db() as db:
            rows = db.execute(
                "SELECT message_id, order_id, recipient, subject, body, created_at"
                " FROM outbox WHERE (?1 IS NULL OR order_id = ?1) ORDER BY seq",
                (subject_id,),
            ).fetchall()
        return [OutboxMessage(**from_row(r)) for r in rows]

    # effects ledger

    def record_effect(self, effect: Effect) -> tuple[Effect, bool]:
        """Record ``effect`` unless its key exists; the stored one, and if new."""
        row = asdict(effect)
        with self._db() as db:
            if insert_new(db, "effects", row):
                return effect, True
            stored = db.execute(
                "SELECT * FROM effects WHERE idempotency_key = ?",
                (effect.idempotency_key,),
            ).fetchone()
        return _effect(stored), False

    def list_effects(self, order_id: str) -> list[Effect]:
        """The order's effects in the order they happened."""
        with self._db() as db:
            rows = db.execute(
                "SELECT * FROM effects WHERE order_id = ? ORDER BY seq", (order_id,)
            ).fetchall()
        return [_effect(r) for r in rows]

    # alerts

    def add_alert(self, alert: Alert) -> bool:
        """Record an alert; False (and no change) if its id exists."""
        row = to_row(alert) | {"detail": json.dumps(alert.detail)}
        with self._db() as db:
            return insert_new(db, "alerts", row)

    def list_alerts(self, *, subject_id: str | None = None) -> list[Alert]:
        """Alerts, oldest first, optionally for one subject."""
        with self._db() as db:
            rows = db.execute(
                "SELECT * FROM alerts WHERE (?1 IS NULL OR order_id = ?1) ORDER BY seq",
                (subject_id,),
            ).fetchall()
        return [_alert(r) for r in rows]


def _approval(row: sqlite3.Row) -> ApprovalRequest:
    data = from_row(row)
    data.pop("seq")
    return ApprovalRequest(**data)


def _effect(row: sqlite3.Row) -> Effect:
    data = dict(row)
    data.pop("seq")
    return Effect(**data)


def _alert(row: sqlite3.Row) -> Alert:
    data = from_row(row)
    data.pop("seq")
    return Alert(**data | {"detail": json.loads(data["detail"])})
