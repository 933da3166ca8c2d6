"""Return statuses: a closed set, each with its one-line meaning."""

from __future__ import annotations

from enum import StrEnum


class ReturnStatus(StrEnum):
    """Where a return is in its life."""

    # Accepted at POST /returns; the execution is starting. RECEIVED, as every
    # subject starts (the store creates it so; orderflow/parts/readmodel.py).
    RECEIVED = "RECEIVED"
    AWAITING_APPROVAL = "AWAITING_APPROVAL"  # suspended on a human's decision
    AWAITING_PARCEL = "AWAITING_PARCEL"  # label issued; waiting for the parcel
    REFUNDING = "REFUNDING"  # parcel inspected; refunding and restocking
    REFUNDED = "REFUNDED"  # refunded in full or in part, and restocked (terminal)
    DENIED = "DENIED"  # refused by the rules or by an approver (terminal)
    CANCELLED = "CANCELLED"  # approval timed out or no parcel by the deadline
    #                          (terminal)
    FAILED = "FAILED"  # could not be processed or repaired (terminal)

    @property
    def is_terminal(self) -> bool:
        """True when nothing more will happen to the return."""
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset(
    {
        ReturnStatus.REFUNDED,
        ReturnStatus.DENIED,
        ReturnStatus.CANCELLED,
        ReturnStatus.FAILED,
    }
)
