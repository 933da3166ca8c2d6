"""Who is asked, in which order, and what their answers add up to.

The directory (``ORDERFLOW_APPROVERS``) lists approvers in escalation order. An
order needing ``n`` approvals asks them one at a time: each answer or time-out
moves down the list. A time-out escalates to the next approver with a fresh
link; when too few approvers are left to reach ``n``, the order is cancelled.
Either approver of a two-approver order can reject it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class AuditAction(StrEnum):
    """What an audit entry records."""

    REQUESTED = "requested"  # a link was sent to an approver
    APPROVED = "approved"
    REJECTED = "rejected"
    REFUSED = "refused"  # a POST on a real link was turned away (CSRF, decided...)
    TIMED_OUT = "timed-out"  # the approver did not decide in time
    ESCALATED = "escalated"  # the request moved to the next approver
    CANCELLED = "cancelled"  # the chain ran out; the order is cancelled
    COMPLETION_FAILED = "completion-failed"  # decided, but the callback refused it
    SYSTEM_ERROR = "system-error"  # the callback was failed for a system error
    # the callback was completed with a result no claimed decision backs
    UNVERIFIED = "unverified-completion"
    REISSUED = "reissued"  # an operator replaced the link with a fresh one


def approval_chain(directory: Sequence[str]) -> tuple[str, ...]:
    """The directory without blanks and repeats (case-insensitive), in order."""
    seen: set[str] = set()
    chain = []
    for approver in (a.strip() for a in directory):
        if approver and approver.lower() not in seen:
            seen.add(approver.lower())
            chain.append(approver)
    return tuple(chain)


def next_approver(
    chain: Sequence[str], *, asked: int, approved: int, needed: int
) -> str | None:
    """Who to ask next, after ``asked`` were asked and ``approved`` approved.

    None when the order has its approvals, or when the approvers left in the
    chain can no longer make up the approvals it still needs.
    """
    left = chain[asked:]
    if approved >= needed or approved + len(left) < needed:
        return None
    return left[0]


@dataclass(frozen=True)
class Verdict:
    """One callback result, read defensively: only ``approved is True`` approves."""

    approved: bool
    approver: str | None
    comment: str | None


def read_verdict(result: Any) -> Verdict | None:
    """The verdict in a callback result; None when it is not a JSON object."""
    if not isinstance(result, dict):
        return None
    approver, comment = result.get("approver"), result.get("comment")
    return Verdict(
        approved=result.get("approved") is True,
        approver=approver if isinstance(approver, str) else None,
        comment=comment if isinstance(comment, str) else None,
    )
