"""The read model of any subject, as its workflow moves it along.

Each process declares its statuses (a closed ``StrEnum``) and which of them are
terminal; the store keeps subjects of every kind and checks only what it is
told. Every subject starts RECEIVED, when its front door accepts it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict
from typing import Any

from orderflow.domain.records import ApprovalRequest, SubjectRecord
from orderflow.parts.deps import StepDeps
from orderflow.ports import Store

RECEIVED = "RECEIVED"  # accepted at the front door; the execution is starting


def status_op(status: str) -> str:
    """The name of the step that records ``status``, e.g. ``record-approved``."""
    return "record-" + str(status).lower().replace("_", "-")


def require_terminal(status: str, terminal: Collection[str]) -> None:
    """Raise ValueError unless ``status`` is terminal: what ``end_subject`` takes."""
    if status not in terminal:
        raise ValueError(f"end_subject needs a terminal status, got {status}")


def record_status(
    deps: StepDeps,
    subject_id: str,
    status: str,
    detail: dict[str, Any] | None,
    *,
    terminal: Collection[str],
) -> str:
    """Move the read model to ``status``; a final status closes open approvals."""
    at = deps.stamp()
    if status in terminal:
        for approval in deps.store.list_approvals(
            subject_id=subject_id, status="PENDING"
        ):
            deps.store.decide_approval(
                approval.callback_id, status="EXPIRED", decided_by="orderflow", at=at
            )
    deps.store.set_status(subject_id, status, at=at, detail=detail)
    return str(status)


def subject_answer(store: Store, record: SubjectRecord) -> dict[str, Any]:
    """A subject's read model as its process's HTTP API answers it.

    The id and the body take the kind's names (``order_id`` and ``order`` for
    an order: its contract from before subjects had kinds); approvals come
    without their callback ids, which are secrets.
    """
    id_field = f"{record.kind}_id"
    body = asdict(record)
    body.pop("kind")
    body[id_field] = body.pop("subject_id")
    body[record.kind] = body.pop("body")

    def renamed(approval: ApprovalRequest) -> dict[str, Any]:
        data = {k: v for k, v in asdict(approval).items() if k != "callback_id"}
        data[id_field] = data.pop("subject_id")
        return data

    body["approvals"] = [
        renamed(a) for a in store.list_approvals(subject_id=record.subject_id)
    ]
    return body
