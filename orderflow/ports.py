"""The ports: what the workflow and the handlers need from the outside world.

Each port has an adapter for AWS and one for the local stack; one contract test
suite (tests/contract/) runs against every adapter.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, Protocol

from orderflow.domain.records import (
    Alert,
    ApprovalLink,
    ApprovalRequest,
    AuditEntry,
    Effect,
    OutboxMessage,
    SubjectRecord,
)
from orderflow.domain.shipping import Tracking


class Alerts(Protocol):
    """Where alerts for the people on call go (SNS in AWS, the outbox locally)."""

    def send(self, alert: Alert) -> None:
        """Deliver one alert; raise if it could not be handed over."""
        ...


class Store(Protocol):
    """Subjects' read model, approvals, the outbox and the effects ledger."""

    def create_subject(
        self, kind: str, subject_id: str, body: dict[str, Any], *, at: str
    ) -> bool:
        """Insert the subject as RECEIVED; False (and no change) if its id exists.

        One id names one subject of one kind: a return may not reuse an
        order's id (the id is also its durable execution's name).
        """
        ...

    def get_subject(self, subject_id: str) -> SubjectRecord | None:
        """The subject's read model, or None."""
        ...

    def set_status(
        self,
        subject_id: str,
        status: str,
        *,
        at: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Move the subject to ``status``; a repeat of the current one is a no-op."""
        ...

    def set_execution_arn(self, subject_id: str, execution_arn: str) -> None:
        """Remember which durable execution runs the subject."""
        ...

    def end_subject(
        self,
        subject_id: str,
        status: str,
        *,
        terminal: Collection[str],
        at: str,
        detail: dict[str, Any] | None = None,
    ) -> bool:
        """Move the subject to ``status`` (one of ``terminal``) unless it has ended.

        True if it moved; False (and no change) if the subject is unknown or its
        status is in ``terminal`` already (its process's terminal statuses). One
        conditional write: a workflow that records its own ending at the same
        moment is never overwritten.
        """
        ...

    def put_approval(self, approval: ApprovalRequest) -> bool:
        """Store a pending approval; False (and no change) if its id exists."""
        ...

    def get_approval(self, callback_id: str) -> ApprovalRequest | None:
        """One approval by callback id."""
        ...

    def list_approvals(
        self,
        *,
        subject_id: str | None = None,
        status: str | None = None,
        created_after: datetime | None = None,
    ) -> list[ApprovalRequest]:
        """Approvals, oldest first, filtered by subject and/or status.

        ``created_after`` (with ``status``) keeps only approvals asked since
        then; DynamoDB reads only those, so a sweep costs what its window holds.
        """
        ...

    def decide_approval(
        self,
        callback_id: str,
        *,
        status: str,
        decided_by: str,
        at: str,
        comment: str | None = None,
        audit: AuditEntry | None = None,
    ) -> bool:
        """PENDING -> ``status`` with a conditional write; False if not PENDING.

        ``audit`` is written in the same atomic write: both happen, or neither.
        """
        ...

    def reopen_approval(
        self,
        callback_id: str,
        *,
        claimed_at: str,
        status: str,
        at: str,
        comment: str | None = None,
        audit: AuditEntry | None = None,
    ) -> bool:
        """Undo a decision whose callback could not be completed, atomically.

        Only the decision made at ``claimed_at`` moves: back to PENDING (decided
        fields cleared), or to EXPIRED (decided by orderflow at ``at``). False if
        the approval is not in that decided state.
        """
        ...

    def put_link(self, link: ApprovalLink) -> bool:
        """Store an approval link's record; False (and no change) if it exists."""
        ...

    def get_link(self, token_hash: str) -> ApprovalLink | None:
        """One link by its token's hash."""
        ...

    def replace_link(
        self,
        callback_id: str,
        token_hash: str,
        *,
        at: str,
        audit: AuditEntry | None = None,
    ) -> ApprovalLink | None:
        """Give the callback's live link a new token, atomically with ``audit``.

        The newest link of ``callback_id`` still live at ``at`` is stored again
        under ``token_hash`` (the same approver, round, scope and expiry,
        created at ``at``), and every live link of the callback expires at
        ``at``: the old links' pages say "expired". The new link, or None (and
        no change) if the callback has no live link or ``token_hash`` exists.
        """
        ...

    def add_audit(self, entry: AuditEntry) -> bool:
        """Append to the subject's audit trail; False (no change) if the id exists."""
        ...

    def list_audit(self, subject_id: str) -> list[AuditEntry]:
        """The subject's audit trail, oldest first."""
        ...

    def add_outbox(self, message: OutboxMessage) -> bool:
        """Queue a message; False (and no change) if its id exists."""
        ...

    def list_outbox(self, *, subject_id: str | None = None) -> list[OutboxMessage]:
        """Messages, oldest first."""
        ...

    def get_outbox(self, message_id: str) -> OutboxMessage | None:
        """One message by id, read consistently."""
        ...

    def record_effect(self, effect: Effect) -> tuple[Effect, bool]:
        """Record ``effect`` unless its key exists; the stored one, and if new."""
        ...

    def list_effects(self, order_id: str) -> list[Effect]:
        """The order's effects in the order they happened."""
        ...

    def add_alert(self, alert: Alert) -> bool:
        """Record an alert; False (and no change) if its id exists."""
        ...

    def list_alerts(self, *, subject_id: str | None = None) -> list[Alert]:
        """Alerts, oldest first, optionally for one subject."""
        ...


# Fulfilment providers. Every call that changes something carries an idempotency
# key made by the caller; a provider that sees a key again returns the first
# effect and does nothing else. Undo calls return None when there is nothing
# to undo (a refund of money never taken), so a saga may call them blindly.
# Errors are the named ones in orderflow.domain.errors: the three transient
# types are retried, every TerminalProviderError is final. See docs/providers.md.


class InventoryProvider(Protocol):
    """Holds stock for orders."""

    def reserve(self, order_id: str, units: int, *, key: str) -> Effect:
        """Hold ``units`` for the order."""
        ...

    def release(self, order_id: str, units: int, *, key: str) -> Effect | None:
        """Give back up to ``units`` the order holds; None if it holds none."""
        ...

    def restock(self, order_id: str, units: int, *, key: str) -> Effect | None:
        """Put up to ``units`` returned units back on the shelf (not a release).

        At most the units the order took out and has not had restocked; None
        when every one of them is back already.
        """
        ...

    def withdraw(self, order_id: str, units: int, *, key: str) -> Effect | None:
        """Undo a restock: take back up to ``units`` restocked; None if none."""
        ...


class PaymentProvider(Protocol):
    """Authorises, captures and gives back the customer's money."""

    def authorize(self, order_id: str, amount_cents: int, *, key: str) -> Effect:
        """Put a hold of ``amount_cents`` on the customer's card."""
        ...

    def capture(self, order_id: str, amount_cents: int, *, key: str) -> Effect:
        """Take ``amount_cents`` of the held money."""
        ...

    def void(self, order_id: str, *, key: str) -> Effect | None:
        """Drop the uncaptured part of the hold; None if nothing is held."""
        ...

    def refund(self, order_id: str, amount_cents: int, *, key: str) -> Effect | None:
        """Give back up to ``amount_cents`` of what was captured; None if none."""
        ...


class ShippingProvider(Protocol):
    """Books, cancels and tracks parcels."""

    def create(self, order_id: str, *, units: int, service: str, key: str) -> Effect:
        """Book a parcel of ``units`` at ``service`` speed."""
        ...

    def cancel(self, order_id: str, shipment_key: str, *, key: str) -> Effect | None:
        """Cancel the parcel booked under ``shipment_key``; None if not cancellable."""
        ...

    def create_return_label(self, order_id: str, *, units: int, key: str) -> Effect:
        """Issue a prepaid label for ``units`` the customer sends back (inbound)."""
        ...

    def void_return_label(
        self, order_id: str, label_key: str, *, key: str
    ) -> Effect | None:
        """Void the label made under ``label_key``; None once its parcel moved."""
        ...

    def track(self, order_id: str, shipment_key: str) -> Tracking:
        """Where the parcel booked under ``shipment_key`` is now.

        Also a return label's parcel; once it arrives, ``damaged_units`` is the
        warehouse's inspection.
        """
        ...


class Providers(Protocol):
    """The three fulfilment providers the workflow uses."""

    @property
    def inventory(self) -> InventoryProvider:
        """Stock."""
        ...

    @property
    def payment(self) -> PaymentProvider:
        """Money."""
        ...

    @property
    def shipping(self) -> ShippingProvider:
        """Parcels."""
        ...


class Notifier(Protocol):
    """Delivers a message to its recipient (an approval email)."""

    def deliver(self, message: OutboxMessage) -> None:
        """Send ``message`` and keep a copy in the outbox under its id."""
        ...


class CallbackCompleter(Protocol):
    """Completes durable callbacks (``LambdaCallbacks``, in AWS and locally)."""

    def succeed(self, callback_id: str, result: dict[str, Any]) -> None:
        """Complete with a JSON result; ``CallbackAlreadyClosedError`` if closed."""
        ...

    def fail(self, callback_id: str, *, error_type: str, message: str) -> None:
        """Fail the callback: for system errors only, never for a rejection."""
        ...


class WorkflowStarter(Protocol):
    """Starts the durable execution of a subject, named after its id."""

    def start(self, name: str, payload: str) -> str | None:
        """Start (or find) the execution called ``name``; its ARN if known.

        Raises:
            OrderConflictError: an execution of that name has another payload.
        """
        ...
