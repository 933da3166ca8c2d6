"""Fulfilment and its undo: one provider call per step, keyed for idempotency.

The order of the steps: reserve the stock, authorise the payment (a hold on the
card), book the shipment, capture the payment. Capturing last means a failure
before it voids a hold instead of refunding money, and the customer is charged
only for an order that ships.

Step semantics: every step here runs AT_LEAST_ONCE_PER_RETRY (set in
orderflow/parts/saga.py). A crash between the provider's answer and the step's
checkpoint runs the call again; the idempotency key, made here from the order id
and the operation's stable name (the same on every attempt, every replay and
after a crash), makes the provider return the first effect instead of acting
twice. AT_MOST_ONCE_PER_RETRY would instead leave the step interrupted and the
effect unknown, for a person to sort out: with providers that deduplicate on a
key, running again is the safe choice. (It would fit a provider that cannot
deduplicate; none here.)

Undo calls are safe to make blindly: a provider answers "nothing to undo" (None)
for a refund of money never taken or a release of stock never held, which is
what lets the saga undo a step whose outcome a time-out left unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orderflow.domain.records import Effect
from orderflow.processes.orders.deps import Deps
from orderflow.processes.orders.operations import Op

# Each fulfilment operation and the operation that undoes it, in the order they run.
FULFILMENT: tuple[tuple[Op, Op], ...] = (
    (Op.RESERVE_INVENTORY, Op.RELEASE_INVENTORY),
    (Op.AUTHORIZE_PAYMENT, Op.VOID_PAYMENT),
    (Op.CREATE_SHIPMENT, Op.CANCEL_SHIPMENT),
    (Op.CAPTURE_PAYMENT, Op.REFUND_PAYMENT),
)
DEFAULT_SERVICE = "standard"


def idempotency_key(order_id: str, operation: str) -> str:
    """The provider-side key of one effect: stable across retries and replays."""
    return f"{order_id}:{operation}"


def shipment_key(order_id: str) -> str:
    """The key the order's (first) shipment was booked under."""
    return idempotency_key(order_id, Op.CREATE_SHIPMENT)


def effect_summary(effect: Effect | None) -> dict[str, Any]:
    """The JSON-native part of an effect worth checkpointing; None: nothing done."""
    if effect is None:
        return {"done": False}
    return {
        "done": True,
        "idempotency_key": effect.idempotency_key,
        "reference": effect.reference,
        "amount_cents": effect.amount_cents,
        "quantity": effect.quantity,
    }


def service_of(deps: Deps, order_id: str) -> str:
    """The shipping speed the customer chose, from the order as recorded."""
    record = deps.store.get_subject(order_id)
    speed = record.body.get("shipping_speed") if record else None
    return str(speed or DEFAULT_SERVICE)


def call_provider(deps: Deps, op: Op, order: dict[str, Any]) -> dict[str, Any]:
    """Run one fulfilment or compensation call against its provider."""
    p, order_id = deps.provider, order["order_id"]
    key = idempotency_key(order_id, op)
    units, total = order["units"], order["total_cents"]
    calls: dict[Op, Callable[[], Effect | None]] = {
        Op.RESERVE_INVENTORY: lambda: p.inventory.reserve(order_id, units, key=key),
        Op.AUTHORIZE_PAYMENT: lambda: p.payment.authorize(order_id, total, key=key),
        Op.CREATE_SHIPMENT: lambda: p.shipping.create(
            order_id, units=units, service=service_of(deps, order_id), key=key
        ),
        Op.CAPTURE_PAYMENT: lambda: p.payment.capture(order_id, total, key=key),
        Op.RELEASE_INVENTORY: lambda: p.inventory.release(order_id, units, key=key),
        Op.VOID_PAYMENT: lambda: p.payment.void(order_id, key=key),
        Op.CANCEL_SHIPMENT: lambda: p.shipping.cancel(
            order_id, shipment_key(order_id), key=key
        ),
        Op.REFUND_PAYMENT: lambda: p.payment.refund(order_id, total, key=key),
    }
    return effect_summary(calls[op]())
