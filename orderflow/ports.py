"""The ports: what the workflow and the handlers need from the outside world.

Each port has an adapter for AWS and one for the local stack; one contract test
suite (tests/contract/) runs against every adapter.
"""

from __future__ import annotations

from typing import Any, Protocol

from orderflow.domain.records import (
    ApprovalRequest,
    Effect,
    OrderRecord,
    OutboxMessage,
)
from orderflow.domain.status import OrderStatus


class Store(Protocol):
    """Orders' read model, approvals, the outbox and the effects ledger."""

    def create_order(self, order_id: str, order: dict[str, Any], *, at: str) -> bool:
        """Insert the order as RECEIVED; False (and no change) if it exists."""
        ...

    def get_order(self, order_id: str) -> OrderRecord | None:
        """The order's read model, or None."""
        ...

    def set_status(
        self,
        order_id: str,
        status: OrderStatus,
        *,
        at: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Move the order to ``status``; a repeat of the current status is a no-op."""
        ...

    def set_execution_arn(self, order_id: str, execution_arn: str) -> None:
        """Remember which durable execution runs the order."""
        ...

    def put_approval(self, approval: ApprovalRequest) -> bool:
        """Store a pending approval; False (and no change) if its id exists."""
        ...

    def get_approval(self, callback_id: str) -> ApprovalRequest | None:
        """One approval by callback id."""
        ...

    def list_approvals(
        self, *, order_id: str | None = None, status: str | None = None
    ) -> list[ApprovalRequest]:
        """Approvals, oldest first, filtered by order and/or status."""
        ...

    def decide_approval(
        self,
        callback_id: str,
        *,
        status: str,
        decided_by: str,
        at: str,
        comment: str | None = None,
    ) -> bool:
        """PENDING -> ``status`` with a conditional write; False if not PENDING."""
        ...

    def add_outbox(self, message: OutboxMessage) -> bool:
        """Queue a message; False (and no change) if its id exists."""
        ...

    def list_outbox(self, *, order_id: str | None = None) -> list[OutboxMessage]:
        """Messages, oldest first."""
        ...

    def record_effect(self, effect: Effect) -> tuple[Effect, bool]:
        """Record ``effect`` unless its key exists; the stored one, and if new."""
        ...

    def list_effects(self, order_id: str) -> list[Effect]:
        """The order's effects in the order they happened."""
        ...
