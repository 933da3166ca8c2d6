"""A subject whose execution ended outside its workflow: close it, void its links.

A workflow records its subject's end itself, in a step (``record-<status>``),
and that step closes the subject's open approvals. An execution that is
stopped, runs past its time-out or fails with an error no step caught records
nothing: its subject would keep the status it last reached (AWAITING_APPROVAL)
and its links would still offer a decision that nobody can deliver any more.

``close_subject`` ends such a subject instead: its pending approvals are voided
(EXPIRED, with why, so their links stop working and their page says so), then
the subject takes its process's failure status with the ending in its detail.
Both are conditional writes: an approval somebody decided stays decided, and a
terminal status the workflow wrote itself is never overwritten. Running it
twice changes nothing the second time.

Who calls it: the status-events function on Lambda's ``Durable Execution Status
Change`` event in AWS (orderflow/monitoring/service.py), and the same function
on the local stack, where the emulator reports its endings
(orderflow/local/status_events.py). The desk reads ``closed_because`` to tell an
approver that the subject was closed, not that time ran out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orderflow.domain.records import SubjectRecord
from orderflow.parts.process import Process
from orderflow.ports import Store

CLOSER = "orderflow-monitor"  # decided_by on the approvals a closure voids
ENDED = "execution_status"  # the subject's detail key naming the ending
# Each ending outside the workflow, in the words an approver reads.
ENDINGS = {
    "STOPPED": "an operator stopped its processing",
    "TIMED_OUT": "its processing ran past its time limit",
    "FAILED": "its processing failed",
}


@dataclass(frozen=True)
class Closure:
    """What one ``close_subject`` did."""

    ended: bool  # the subject moved to its process's failure status
    voided: int  # pending approvals closed


def close_subject(
    store: Store,
    subject_id: str,
    *,
    process: Process,
    ending: str,
    reason: str,
    at: str,
) -> Closure:
    """Void the subject's pending approvals, then end it unless it has ended.

    Args:
        store: the subjects' store.
        subject_id: the subject whose execution ended.
        process: the subject's process: its failure and terminal statuses.
        ending: how the execution ended: STOPPED, TIMED_OUT or FAILED.
        reason: why, for the operators: kept in the subject's detail.
        at: when, ISO 8601.

    Returns:
        Whether the subject moved, and how many approvals were voided.

    Raises:
        ValueError: ``ending`` is not an ending outside the workflow.
    """
    if ending not in ENDINGS:
        raise ValueError(f"not an ending outside the workflow: {ending!r}")
    comment = f"closed: {ENDINGS[ending]}"
    voided = sum(
        store.decide_approval(
            a.callback_id, status="EXPIRED", decided_by=CLOSER, at=at, comment=comment
        )
        for a in store.list_approvals(subject_id=subject_id, status="PENDING")
    )
    detail: dict[str, Any] = {ENDED: ending, "reason": reason}
    ended = store.end_subject(
        subject_id, process.failed, terminal=process.terminal, at=at, detail=detail
    )
    return Closure(ended=ended, voided=voided)


def closed_because(record: SubjectRecord | None) -> str | None:
    """Why ``record`` was closed outside its workflow, in an approver's words."""
    if record is None:
        return None
    return ENDINGS.get(str(record.detail.get(ENDED)))
