"""What the store keeps: plain frozen records, JSON-friendly, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StatusChange:
    """One entry of a subject's status history."""

    status: str
    at: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SubjectRecord:
    """The read model of one subject (an order, a return...) of any kind.

    ``status`` is one of the statuses its process declares (orderflow.registry);
    ``body`` is the subject as its process accepted it.
    """

    subject_id: str
    kind: str
    status: str
    body: dict[str, Any]
    created_at: str
    updated_at: str
    execution_arn: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    history: tuple[StatusChange, ...] = ()


@dataclass(frozen=True)
class ApprovalRequest:
    """A pending (or decided) human approval, keyed by its callback id.

    The callback id is a secret: whoever holds it can complete the callback.
    It is stored for the approval function only and is never logged or shown.
    """

    callback_id: str
    subject_id: str
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
    subject_id: str
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
    """Something a person should look at about one subject; keyed, raised once."""

    alert_id: str  # "<subject_id>:<kind>": a retried step raises the same alert
    subject_id: str
    kind: str  # books-mismatch | slow-delivery | refund-ratio | compensation-failed
    severity: str  # "warning" (handled, worth a look) | "critical" (act now)
    message: str
    created_at: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ApprovalLink:
    """What the store keeps for one emailed approval link: its token's hash.

    The token itself is only ever in the email. The record binds the link to
    one callback, one subject and one approver, with the decisions it may make
    (``scope``) and when it stops working. ``callback_id`` is a secret.
    """

    token_hash: str
    callback_id: str
    subject_id: str
    approver: str
    created_at: str
    expires_at: str
    scope: tuple[str, ...] = ("approve", "reject")
    round: int = 1  # which ask of the subject this is (wait-for-approval-<round>)
    needed: int = 1  # how many approvals the subject needs in all
    risk_score: int = 0
    reasons: tuple[str, ...] = ()

    @property
    def link_id(self) -> str:
        """A short public name for the link (from its hash): safe to log and show."""
        return self.token_hash[:16]


@dataclass(frozen=True)
class AuditEntry:
    """One line of a subject's approval audit trail: who did what, when, how.

    ``link_id`` names the link a decision came through; ``entry_id`` makes a
    repeated write (a retried step) a no-op.
    """

    entry_id: str
    subject_id: str
    at: str
    actor: str
    action: str
    link_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
