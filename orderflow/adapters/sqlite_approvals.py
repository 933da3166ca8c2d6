"""SQLite: approval links, the audit trail, and reading one outbox message.

A mixin of ``SqliteStore``, kept apart so each module stays short. Atomic
writes run in ``BEGIN IMMEDIATE`` transactions; conditions are checked through
``rowcount``.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import AbstractContextManager
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

from orderflow.domain.records import ApprovalLink, AuditEntry, OutboxMessage

APPROVALS_SCHEMA = """
CREATE TABLE IF NOT EXISTS links (
    token_hash TEXT PRIMARY KEY,
    callback_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    approver TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    scope TEXT NOT NULL,
    round INTEGER NOT NULL,
    needed INTEGER NOT NULL,
    risk_score INTEGER NOT NULL,
    reasons TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS links_by_callback ON links (callback_id);
CREATE TABLE IF NOT EXISTS audit (
    entry_id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    link_id TEXT,
    detail TEXT NOT NULL,
    seq INTEGER
);
CREATE INDEX IF NOT EXISTS audit_by_order ON audit (order_id);
"""


def to_row(record: Any) -> dict[str, Any]:
    """A record's columns: ``subject_id`` is stored as ``order_id`` (compatible)."""
    row: dict[str, Any] = asdict(record)
    if "subject_id" in row:
        row["order_id"] = row.pop("subject_id")
    return row


def from_row(row: sqlite3.Row) -> dict[str, Any]:
    """A row's fields by record name: ``order_id`` comes back as ``subject_id``."""
    data = dict(row)
    if "order_id" in data:
        data["subject_id"] = data.pop("order_id")
    return data


def insert_new(db: sqlite3.Connection, table: str, row: dict[str, Any]) -> bool:
    """Insert ``row`` into ``table`` unless its key exists, numbering it with the
    table's next ``seq``, on an open connection; True if it was written."""
    columns = ", ".join(row)
    cur = db.execute(
        f"INSERT OR IGNORE INTO {table} ({columns}, seq) VALUES "  # noqa: S608
        f"({', '.join('?' for _ in row)},"
        f" (SELECT COALESCE(MAX(seq), 0) + 1 FROM {table}))",
        tuple(row.values()),
    )
    return cur.rowcount == 1


def insert_audit(db: sqlite3.Connection, entry: AuditEntry) -> bool:
    """Insert ``entry`` unless its id exists, on an open connection."""
    return insert_new(db, "audit", to_row(entry) | {"detail": json.dumps(entry.detail)})


def _insert_link(db: sqlite3.Connection, link: ApprovalLink) -> bool:
    """Insert ``link`` unless its hash exists, on an open connection."""
    row = to_row(link)
    row["scope"], row["reasons"] = json.dumps(link.scope), json.dumps(link.reasons)
    cur = db.execute(
        f"INSERT OR IGNORE INTO links ({', '.join(row)}) VALUES "  # noqa: S608
        f"({', '.join('?' for _ in row)})",
        tuple(row.values()),
    )
    return cur.rowcount == 1


def _link(row: sqlite3.Row) -> ApprovalLink:
    data = from_row(row)
    data["scope"] = tuple(json.loads(data["scope"]))
    data["reasons"] = tuple(json.loads(data["reasons"]))
    return ApprovalLink(**data)


class SqliteApprovalRecords:
    """Links, audit and outbox reads for ``SqliteStore``."""

    def _db(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError  # SqliteStore provides it

    def put_link(self, link: ApprovalLink) -> bool:
        """Store an approval link's record; False (and no change) if it exists."""
        with self._db() as db:
            return _insert_link(db, link)

    def get_link(self, token_hash: str) -> ApprovalLink | None:
        """One link by its token's hash."""
        with self._db() as db:
            row = db.execute(
                "SELECT * FROM links WHERE token_hash = ?", (token_hash,)
            ).fetchone()
        return None if row is None else _link(row)

    def replace_link(
        self,
        callback_id: str,
        token_hash: str,
        *,
        at: str,
        audit: AuditEntry | None = None,
    ) -> ApprovalLink | None:
        """Store the callback's live link under ``token_hash``; the old ones expire."""
        now = datetime.fromisoformat(at)
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            rows = db.execute(
                "SELECT * FROM links WHERE callback_id = ? ORDER BY created_at",
                (callback_id,),
            ).fetchall()
            live = [r for r in rows if datetime.fromisoformat(r["expires_at"]) > now]
            fresh = (
                replace(_link(live[-1]), token_hash=token_hash, created_at=at)
                if live
                else None
            )
            if fresh is None or not _insert_link(db, fresh):
                db.execute("ROLLBACK")
                return None
            db.executemany(
                "UPDATE links SET expires_at = ? WHERE token_hash = ?",
                [(at, r["token_hash"]) for r in live],
            )
            if audit is not None:
                insert_audit(db, audit)
            db.execute("COMMIT")
            return fresh

    def reopen_approval(
        self,
        callback_id: str,
        *,
        claimed_at: str,
        status: str,
        at: str,
        comment: str | None = None,
        audit: AuditEntry | None = None,
    ) -> bool:
        """Undo the decision made at ``claimed_at``: to PENDING or EXPIRED."""
        expired = status == "EXPIRED"
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            cur = db.execute(
                "UPDATE approvals SET status = ?, decided_by = ?, decided_at = ?,"
                " comment = ? WHERE callback_id = ? AND decided_at = ?"
                " AND status IN ('APPROVED', 'REJECTED')",
                (
                    status,
                    "orderflow" if expired else None,
                    at if expired else None,
                    comment if expired else None,
                    callback_id,
                    claimed_at,
                ),
            )
            if cur.rowcount == 1 and audit is not None:
                insert_audit(db, audit)
            db.execute("COMMIT")
            return cur.rowcount == 1

    def add_audit(self, entry: AuditEntry) -> bool:
        """Append to the subject's audit trail; False (no change) if the id exists."""
        with self._db() as db:
            return insert_audit(db, entry)

    def list_audit(self, subject_id: str) -> list[AuditEntry]:
        """The subject's audit trail, oldest first."""
        with self._db() as db:
            rows = db.execute(
                "SELECT * FROM audit WHERE order_id = ? ORDER BY at, seq", (subject_id,)
            ).fetchall()
        entries = []
        for row in rows:
            data = from_row(row)
            data.pop("seq")
            data["detail"] = json.loads(data["detail"])
            entries.append(AuditEntry(**data))
        return entries

    def get_outbox(self, message_id: str) -> OutboxMessage | None:
        """One message by id."""
        with self._db() as db:
            row = db.execute(
                "SELECT message_id, order_id, recipient, subject, body, created_at"
                " FROM outbox WHERE message_id = ?",
                (message_id,),
            ).fetchone()
        return OutboxMessage(**from_row(row)) if row else None
