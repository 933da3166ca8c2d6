"""The read model of any subject, as its workflow moves it along.

Each process declares its statuses (a closed ``StrEnum``) and which of them are
terminal; the store keeps subjects of every kind and checks only what it is
told. Every subject starts RECEIVED, when its front door accepts it.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from orderflow.parts.deps import Deps

RECEIVED = "RECEIVED"  # accepted at the front door; the execution is starting


def require_terminal(status: str, terminal: Collection[str]) -> None:
    """Raise ValueError unless ``status`` is terminal: what ``end_subject`` takes."""
    if status not in terminal:
        raise ValueError(f"end_subject needs a terminal status, got {status}")


def record_status(
    deps: Deps,
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
