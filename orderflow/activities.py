"""The bodies of the workflow's steps: all the I/O, none of the orchestration.

Each function takes its dependencies explicitly and returns JSON-native data, so
the durable SDK can checkpoint it as it is. The orchestrator
(functions/order_workflow/app.py) decides what runs when; these decide nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from orderflow.adapters.sandbox import SandboxProvider
from orderflow.config import Settings
from orderflow.domain.order import parse_order
from orderflow.domain.records import ApprovalRequest, OutboxMessage
from orderflow.domain.risk import assess
from orderflow.domain.status import OrderStatus
from orderflow.ports import Store


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    """What the steps need: the store, the provider, settings and a clock."""

    store: Store
    provider: SandboxProvider
    settings: Settings = field(default_factory=Settings)
    now: Callable[[], datetime] = _utcnow

    def stamp(self) -> str:
        """The current time as ISO 8601, UTC."""
        return self.now().isoformat()


def validate_order(deps: Deps, event: Any) -> dict[str, Any]:
    """Schema, risk and route for the order; records it in the read model."""
    order = parse_order(event)
    risk = assess(order)
    route = deps.settings.routing.route(order, risk)
    body = order.model_dump(mode="json")
    deps.store.create_order(order.order_id, body, at=deps.stamp())
    return {
        "order_id": order.order_id,
        "total_cents": order.total_cents,
        "currency": order.currency.value,
        "units": sum(item.quantity for item in order.items),
        "risk": risk.as_dict(),
        "route": route.value,
    }


def record_status(
    deps: Deps, order_id: str, status: OrderStatus, detail: dict[str, Any] | None
) -> str:
    """Move the read model to ``status``; a final status closes open approvals."""
    at = deps.stamp()
    if status.is_terminal:
        for approval in deps.store.list_approvals(order_id=order_id, status="PENDING"):
            deps.store.decide_approval(
                approval.callback_id, status="EXPIRED", decided_by="orderflow", at=at
            )
    deps.store.set_status(order_id, status, at=at, detail=detail)
    return status.value


def approval_message_id(callback_id: str) -> str:
    """A message id derived from the callback id, without revealing it."""
    return "approval-" + hashlib.sha256(callback_id.encode()).hexdigest()[:32]


def request_approval(
    deps: Deps, callback_id: str, *, order_id: str, approver: str, risk: dict[str, Any]
) -> None:
    """Store the pending approval, queue its email, mark the order; idempotent.

    Every write is keyed on the callback id (or is a no-op when repeated), so a
    retried submitter leaves one approval, one message and one status change.
    """
    created = deps.now()
    expires = created + timedelta(seconds=deps.settings.approval_timeout_seconds)
    deps.store.put_approval(
        ApprovalRequest(
            callback_id=callback_id,
            order_id=order_id,
            approver=approver,
            created_at=created.isoformat(),
            expires_at=expires.isoformat(),
        )
    )
    reasons = "\n".join(f"- {r}" for r in risk.get("reasons", [])) or "- none"
    deps.store.add_outbox(
        OutboxMessage(
            message_id=approval_message_id(callback_id),
            order_id=order_id,
            recipient=approver,
            subject=f"Approval needed: order {order_id} (risk {risk.get('score')})",
            body=(
                f"Order {order_id} needs your decision before "
                f"{expires:%Y-%m-%d %H:%M} UTC.\nRisk {risk.get('score')}/100:\n"
                f"{reasons}\n\nDecide with: orderflow approve {order_id} "
                f"(or reject {order_id})\n"
            ),
            created_at=created.isoformat(),
        )
    )
    # Who must decide, and by when, is read from the approvals themselves (the
    # order's status answer lists them), so a second approver never shows stale.
    deps.store.set_status(
        order_id, OrderStatus.AWAITING_APPROVAL, at=created.isoformat()
    )


def idempotency_key(order_id: str, operation: str) -> str:
    """The provider-side key of one effect: stable across retries and replays."""
    return f"{order_id}:{operation}"


def effect_summary(effect: Any) -> dict[str, Any]:
    """The JSON-native part of an effect worth checkpointing."""
    return {
        "idempotency_key": effect.idempotency_key,
        "reference": effect.reference,
        "amount_cents": effect.amount_cents,
        "quantity": effect.quantity,
    }


def reconcile(
    deps: Deps, order_id: str, *, total_cents: int, units: int
) -> dict[str, Any]:
    """Check the books: money, stock and shipments against what the order owes."""
    effects = deps.store.list_effects(order_id)
    captured = sum(e.amount_cents for e in effects if e.provider == "payment")
    stock = sum(e.quantity for e in effects if e.provider == "inventory")
    shipments = sum(e.quantity for e in effects if e.provider == "shipping")
    problems = []
    if captured != total_cents:
        problems.append(f"captured {captured} cents, order owes {total_cents}")
    if stock != units:
        problems.append(f"{stock} units moved, order has {units}")
    if shipments != 1:
        problems.append(f"{shipments} live shipments, expected 1")
    return {
        "ok": not problems,
        "captured_cents": captured,
        "units_moved": stock,
        "live_shipments": shipments,
        "problems": problems,
    }
