"""Closing a subject whose execution ended outside its workflow, on every store.

Runs on SQLite and on DynamoDB (moto) through the contract suite's ``store``
fixture, for every registered process: the part knows no orders.
"""

from __future__ import annotations

import pytest

from orderflow.domain.records import SubjectRecord
from orderflow.parts.ending import (
    CLOSER,
    ENDED,
    Closure,
    close_subject,
    closed_because,
)
from orderflow.parts.process import Process
from orderflow.ports import Store
from orderflow.registry import PROCESSES
from tests.contract.test_store_contract import T0, T1, T2, approval, store

__all__ = ["store"]  # the fixture, imported for its use here
AT = T1


def waiting(store: Store, process: Process, subject_id: str = "S-1") -> None:
    """A subject of ``process`` suspended on two approvals."""
    store.create_subject(process.kind, subject_id, {"id": subject_id}, at=T0)
    store.set_status(subject_id, "AWAITING_APPROVAL", at=T0)
    store.put_approval(approval("cb-1", subject_id))
    store.put_approval(approval("cb-2", subject_id))


def close(store: Store, process: Process, ending: str = "STOPPED") -> Closure:
    return close_subject(
        store,
        "S-1",
        process=process,
        ending=ending,
        reason=f"the durable execution ended {ending}",
        at=AT,
    )


def record(store: Store) -> SubjectRecord:
    found = store.get_subject("S-1")
    assert found is not None
    return found


@pytest.mark.parametrize("process", PROCESSES, ids=lambda p: p.kind)
@pytest.mark.parametrize("ending", ["STOPPED", "TIMED_OUT", "FAILED"])
def test_an_ending_voids_pending_approvals_and_fails_the_subject(
    store: Store, process: Process, ending: str
) -> None:
    waiting(store, process)

    closure = close_subject(
        store, "S-1", process=process, ending=ending, reason="why", at=AT
    )

    assert (closure.ended, closure.voided) == (True, 2)
    closed = record(store)
    assert closed.status == process.failed and process.is_terminal(closed.status)
    assert closed.detail[ENDED] == ending and closed.detail["reason"] == "why"
    for a in store.list_approvals(subject_id="S-1"):
        assert (a.status, a.decided_by, a.decided_at) == ("EXPIRED", CLOSER, AT)
        assert a.comment is not None and a.comment.startswith("closed: ")
    assert closed_because(closed) is not None


@pytest.mark.parametrize("process", PROCESSES, ids=lambda p: p.kind)
def test_a_terminal_status_the_workflow_wrote_is_never_overwritten(
    store: Store, process: Process
) -> None:
    (done,) = sorted(process.terminal - {process.failed})[:1]
    store.create_subject(process.kind, "S-1", {}, at=T0)
    store.set_status("S-1", done, at=T0, detail={"by": "the workflow"})

    closure = close(store, process)

    assert (closure.ended, closure.voided) == (False, 0)
    kept = record(store)
    assert kept.status == done and kept.detail == {"by": "the workflow"}
    assert ENDED not in kept.detail and closed_because(kept) is None


@pytest.mark.parametrize("process", PROCESSES, ids=lambda p: p.kind)
def test_a_decided_approval_stays_decided(store: Store, process: Process) -> None:
    waiting(store, process)
    assert store.decide_approval(
        "cb-1", status="APPROVED", decided_by="approver@example.com", at=T0
    )

    closure = close(store, process)

    assert closure.voided == 1
    by_id = {a.callback_id: a for a in store.list_approvals(subject_id="S-1")}
    assert by_id["cb-1"].status == "APPROVED"
    assert by_id["cb-1"].decided_by == "approver@example.com"
    assert by_id["cb-2"].status == "EXPIRED"


def test_closing_twice_changes_nothing_the_second_time(store: Store) -> None:
    (orders, *_) = PROCESSES
    waiting(store, orders)
    close(store, orders)
    before = record(store)

    again = close_subject(
        store, "S-1", process=orders, ending="FAILED", reason="later", at=T2
    )

    assert (again.ended, again.voided) == (False, 0)
    after = record(store)
    assert after.detail == before.detail and len(after.history) == len(before.history)


def test_an_unknown_subject_is_left_alone(store: Store) -> None:
    (orders, *_) = PROCESSES

    closure = close(store, orders)

    assert (closure.ended, closure.voided) == (False, 0)
    assert store.get_subject("S-1") is None


@pytest.mark.parametrize("ending", ["SUCCEEDED", "RUNNING", ""])
def test_only_an_ending_outside_the_workflow_closes(store: Store, ending: str) -> None:
    (orders, *_) = PROCESSES
    waiting(store, orders)

    with pytest.raises(ValueError, match="not an ending outside the workflow"):
        close(store, orders, ending)

    assert record(store).status == "AWAITING_APPROVAL"
    assert {a.status for a in store.list_approvals(subject_id="S-1")} == {"PENDING"}


@pytest.mark.parametrize(
    ("ending", "words"),
    [
        ("STOPPED", "an operator stopped its processing"),
        ("TIMED_OUT", "its processing ran past its time limit"),
        ("FAILED", "its processing failed"),
    ],
)
def test_the_page_reads_why_the_subject_was_closed(
    store: Store, ending: str, words: str
) -> None:
    (orders, *_) = PROCESSES
    waiting(store, orders)
    assert closed_because(record(store)) is None

    close(store, orders, ending)

    assert closed_because(record(store)) == words
    assert {a.comment for a in store.list_approvals(subject_id="S-1")} == {
        f"closed: {words}"
    }
