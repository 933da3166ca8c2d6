"""The Store contract for approval links, decisions with audit, and the trail.

Same adapters as test_store_contract.py (its ``store`` fixture, shared through
conftest.py): SQLite on a temporary file and DynamoDB under moto.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.domain.records import ApprovalLink, AuditEntry
from orderflow.ports import Store
from tests.contract.test_store_contract import T0, T1, T2, approval, message


def link(token_hash: str, callback_id: str = "cb-1", **changes: Any) -> ApprovalLink:
    """A link record with sensible defaults."""
    fields: dict[str, Any] = {
        "subject_id": "o-1",
        "approver": "approver@example.com",
        "created_at": T0,
        "expires_at": T2,
        "scope": ("approve", "reject"),
        "round": 2,
        "needed": 2,
        "risk_score": 62,
        "reasons": ("overnight shipping", "new account"),
    }
    return ApprovalLink(token_hash, callback_id, **(fields | changes))


def entry(entry_id: str, order_id: str = "o-1", **changes: Any) -> AuditEntry:
    """An audit entry with sensible defaults."""
    fields: dict[str, Any] = {
        "at": T1,
        "actor": "approver@example.com",
        "action": "approved",
        "link_id": "0123456789abcdef",
        "detail": {"comment": "fine", "round": 1},
    }
    return AuditEntry(entry_id, order_id, **(fields | changes))


# links


def test_put_link_round_trips_every_field(store: Store) -> None:
    stored = link("h" * 64)

    assert store.put_link(stored) is True

    assert store.get_link("h" * 64) == stored
    assert stored.link_id == "h" * 16


def test_put_link_twice_returns_false_and_keeps_the_first(store: Store) -> None:
    store.put_link(link("h1", approver="first@example.com"))

    assert store.put_link(link("h1", approver="second@example.com")) is False

    got = store.get_link("h1")
    assert got is not None and got.approver == "first@example.com"


def test_get_link_unknown_returns_none(store: Store) -> None:
    store.put_link(link("h1"))

    assert store.get_link("h2") is None


# re-issued links: a new hash for the same link, the old one expired


def test_replace_link_moves_the_live_link_to_a_new_hash_with_its_audit(
    store: Store,
) -> None:
    store.put_approval(approval("cb-1"))
    old = link("h-old")
    store.put_link(old)
    note = entry("e-reissued", action="reissued", link_id="h-new")

    fresh = store.replace_link("cb-1", "h-new", at=T1, audit=note)

    assert fresh == replace(old, token_hash="h-new", created_at=T1)
    assert store.get_link("h-new") == fresh
    assert store.get_link("h-old") == replace(old, expires_at=T1)
    assert store.list_audit("o-1") == [note]


def test_replace_link_expires_every_live_link_and_copies_the_newest(
    store: Store,
) -> None:
    store.put_approval(approval("cb-1"))
    store.put_link(link("h-first", round=1))
    store.put_link(link("h-second", created_at=T1, round=2))
    store.put_link(link("h-other", callback_id="cb-2"))
    later = "2025-01-01T00:01:30+00:00"

    fresh = store.replace_link("cb-1", "h-new", at=later)

    assert fresh is not None and fresh.round == 2
    for gone in ("h-first", "h-second"):
        got = store.get_link(gone)
        assert got is not None and got.expires_at == later
    other = store.get_link("h-other")
    assert other is not None and other.expires_at == T2


@pytest.mark.parametrize("case", ["expired", "no link", "hash taken"])
def test_replace_link_without_a_live_link_or_with_a_taken_hash_changes_nothing(
    store: Store, case: str
) -> None:
    store.put_approval(approval("cb-1"))
    if case != "no link":
        store.put_link(link("h-old", expires_at=T1 if case == "expired" else T2))
    if case == "hash taken":
        store.put_link(link("h-new", callback_id="cb-2"))
    before = [store.get_link(h) for h in ("h-old", "h-new")]

    assert store.replace_link("cb-1", "h-new", at=T1, audit=entry("e-1")) is None

    assert [store.get_link(h) for h in ("h-old", "h-new")] == before
    assert store.list_audit("o-1") == []


def test_racing_replacements_leave_one_live_link(tmp_path: Path) -> None:
    # SQLite only: moto does not make conditional writes atomic across threads
    # (DynamoDB's TransactWriteItems is serializable; the one-thread cases above
    # show the DynamoDB adapter's conditions).
    store = SqliteStore(tmp_path / "race.db")
    store.put_approval(approval("cb-1"))
    store.put_link(link("h-old"))
    barrier = threading.Barrier(4)
    issued: list[ApprovalLink] = []

    def reissue(token: str) -> None:
        barrier.wait()
        if fresh := store.replace_link("cb-1", token, at=T1):
            issued.append(fresh)

    threads = [threading.Thread(target=reissue, args=(f"h-{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    hashes = ["h-old", *(f"h-{i}" for i in range(4))]
    live = [h for h in hashes if (got := store.get_link(h)) and got.expires_at != T1]
    assert len(live) == 1 and live[0] in [f.token_hash for f in issued]


# decisions with their audit entry


def test_decide_approval_with_audit_writes_both(store: Store) -> None:
    store.put_approval(approval("cb-1"))

    assert store.decide_approval(
        "cb-1", status="APPROVED", decided_by="ana", at=T1, audit=entry("e-1")
    )

    assert store.list_audit("o-1") == [entry("e-1")]
    got = store.get_approval("cb-1")
    assert got is not None and got.status == "APPROVED"


def test_a_refused_decision_writes_no_audit_entry(store: Store) -> None:
    store.put_approval(approval("cb-1"))
    store.decide_approval("cb-1", status="APPROVED", decided_by="ana", at=T1)

    again = store.decide_approval(
        "cb-1", status="REJECTED", decided_by="bob", at=T2, audit=entry("e-2")
    )

    assert again is False
    assert store.list_audit("o-1") == []


def test_racing_decisions_with_audit_leave_one_decision_and_one_entry(
    tmp_path: Path,
) -> None:
    # SQLite only: moto does not make conditional writes atomic across threads.
    store = SqliteStore(tmp_path / "race.db")
    store.put_approval(approval("cb-1"))
    barrier = threading.Barrier(4)
    won: list[str] = []

    def decide(who: str) -> None:
        barrier.wait()
        if store.decide_approval(
            "cb-1", status="APPROVED", decided_by=who, at=T1, audit=entry(f"e-{who}")
        ):
            won.append(who)

    threads = [threading.Thread(target=decide, args=(f"p{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert len(won) == 1
    assert [e.entry_id for e in store.list_audit("o-1")] == [f"e-{won[0]}"]


def test_reopen_approval_puts_a_claimed_decision_back_to_pending(
    store: Store,
) -> None:
    store.put_approval(approval("cb-1"))
    store.decide_approval("cb-1", status="APPROVED", decided_by="ana", at=T1)

    reopened = store.reopen_approval(
        "cb-1", claimed_at=T1, status="PENDING", at=T2, audit=entry("e-undo")
    )

    assert reopened is True
    assert store.get_approval("cb-1") == approval("cb-1")
    assert [e.entry_id for e in store.list_audit("o-1")] == ["e-undo"]
    assert [a.callback_id for a in store.list_approvals(status="PENDING")] == ["cb-1"]


def test_reopen_approval_to_expired_records_orderflow_and_the_reason(
    store: Store,
) -> None:
    store.put_approval(approval("cb-1"))
    store.decide_approval("cb-1", status="REJECTED", decided_by="ana", at=T1)

    assert store.reopen_approval(
        "cb-1", claimed_at=T1, status="EXPIRED", at=T2, comment="timed out"
    )

    got = store.get_approval("cb-1")
    assert got is not None
    assert (got.status, got.decided_by, got.decided_at, got.comment) == (
        "EXPIRED",
        "orderflow",
        T2,
        "timed out",
    )
    assert store.list_approvals(status="REJECTED") == []


def test_reopen_approval_leaves_someone_elses_decision_alone(store: Store) -> None:
    store.put_approval(approval("cb-1"))
    store.decide_approval("cb-1", status="APPROVED", decided_by="ana", at=T1)

    moved = store.reopen_approval(
        "cb-1", claimed_at=T2, status="PENDING", at=T2, audit=entry("e-undo")
    )

    assert moved is False
    got = store.get_approval("cb-1")
    assert got is not None and (got.status, got.decided_by) == ("APPROVED", "ana")
    assert store.list_audit("o-1") == []


def test_reopen_approval_of_a_pending_one_is_refused(store: Store) -> None:
    store.put_approval(approval("cb-1"))

    assert (
        store.reopen_approval("cb-1", claimed_at=T1, status="EXPIRED", at=T2) is False
    )
    got = store.get_approval("cb-1")
    assert got is not None and got.status == "PENDING"


# the audit trail


def test_add_audit_twice_returns_false_and_keeps_the_first(store: Store) -> None:
    assert store.add_audit(entry("e-1", actor="first")) is True

    assert store.add_audit(entry("e-1", actor="second")) is False

    assert [e.actor for e in store.list_audit("o-1")] == ["first"]


def test_list_audit_is_oldest_first_and_scoped_to_the_order(store: Store) -> None:
    late = entry("e-a", at=T2, link_id=None, detail={})
    early = entry("e-z", at=T0)
    other = entry("e-m", "o-2")
    for item in (late, other, early):
        store.add_audit(item)

    assert store.list_audit("o-1") == [early, late]
    assert store.list_audit("o-2") == [other]
    assert store.list_audit("o-3") == []


# the outbox, by id


def test_get_outbox_returns_the_message_or_none(store: Store) -> None:
    first = message("m-1", body="Open https://x/approvals/abc")
    store.add_outbox(first)

    assert store.get_outbox("m-1") == first
    assert store.get_outbox("m-2") is None
