"""What the store keeps: plain frozen records, JSON-friendly, no I/O."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from orderflow.processes.orders.status import OrderStatus


@dataclass(frozen=True)
class StatusChange:
    """One entry of an order's status history."""

    status: OrderStatus
    at: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderRecord:
    """The read model of one order, answered by GET /orders/{id}."""

    order_id: str
    status: OrderStatus
    order: dict[str, Any]
    created_at: str
    updated_at: str
    execution_arn: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    history: tuple[StatusChange, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        data = asdict(self)
        data["history"] = [asdict(h) for h in self.history]
        return data


@dataclass(frozen=True)
class ApprovalRequest:
    """A pending (or decided) human approval, keyed by its callback id.

    The callback id is a secret: whoever holds it can complete the callback.
    It is stored for the approval function only and is never logged or shown.
    """

    callback_id: str
    order_id: str
    approver: str
    created_at: str
    expires_at: str
    status: str = "PENDING"  # PENDING | APPROVED | REJECTED | EXPIRED
    decided_by: str | None = None
    decided_at: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class OutboxMessage:
    """A message to send (an approval request email, an alert)."""

    message_id: str
    order_id: str
    recipient: str
    subject: str
    body: str
    created_at: str


@dataclass(frozen=True)
class Effect:
    """One effect a provider applied, deduplicated on its idempotency key."""

    idempotency_key: str
    order_id: str
    provider: str
    action: str
    amount_cents: int = 0
    quantity: int = 0
    reference: str = ""
    created_at: str = ""


@dataclass(frozen=True)
class Alert:
    """Something a person should look at about one order; keyed, raised once."""

    alert_id: str  # "<order_id>:<kind>": a retried step raises the same alert
    order_id: str
    kind: str  # books-mismatch | slow-delivery | refund-ratio | compensation-failed
    severity: str  # "warning" (handled, worth a look) | "critical" (act now)
    message: str
    created_at: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ApprovalLink:
    """What the store keeps for one emailed approval link: its token's hash.

    The token itself is only ever in the email. The record binds the link to
    one callback, one order and one approver, with the decisions it may make
    (``scope``) and when it stops working. ``callback_id`` is a secret.
    """

    token_hash: str
    callback_id: str
    order_id: str
    approver: str
    created_at: str
    expires_at: str
    scope: tuple[str, ...] = ("approve", "reject")
    round: int = 1  # which ask of the order this is (wait-for-approval-<round>)
    needed: int = 1  # how many approvals the order needs in all
    risk_score: int = 0
    reasons: tuple[str, ...] = ()

    @property
    def link_id(self) -> str:
        """A short public name for the link (from its hash): safe to log and show."""
        return self.token_hash[:16]


@dataclass(frozen=True)
class AuditEntry:
    """One line of an order's approval audit trail: who did what, when, how.

    ``link_id`` names the link a decision came through; ``entry_id`` makes a
    repeated write (a retried step) a no-op.
    """

    entry_id: str
    order_id: str
    at: str
    actor: str
    action: str
    link_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
