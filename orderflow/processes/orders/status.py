"""Order statuses: a closed set, each with its one-line meaning."""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    """Where an order is in its life. The same table is in docs/design.md."""

    RECEIVED = "RECEIVED"  # accepted at the front door; the execution is starting
    AWAITING_APPROVAL = "AWAITING_APPROVAL"  # suspended on a human's decision
    APPROVED = "APPROVED"  # auto-approved or approved by a human
    FULFILLING = "FULFILLING"  # reserving stock, taking payment, shipping
    RECONCILING = "RECONCILING"  # checking the books after the shipment
    COMPLETED = "COMPLETED"  # delivered and reconciled (terminal)
    REJECTED = "REJECTED"  # refused by policy or by an approver (terminal)
    CANCELLED = "CANCELLED"  # stopped after approval time-out or a fulfilment
    #                          failure, with every effect undone (terminal)
    FAILED = "FAILED"  # could not be processed or repaired (terminal)

    @property
    def is_terminal(self) -> bool:
        """True when nothing more will happen to the order."""
        return self in TERMINAL_STATUSES

    def require_terminal(self) -> None:
        """Raise ValueError unless terminal: what ``Store.end_order`` accepts."""
        if not self.is_terminal:
            raise ValueError(f"end_order needs a terminal status, got {self}")


TERMINAL_STATUSES = frozenset(
    {
        OrderStatus.COMPLETED,
        OrderStatus.REJECTED,
        OrderStatus.CANCELLED,
        OrderStatus.FAILED,
    }
)
