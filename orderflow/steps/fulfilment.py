"""Fulfilment and its undo: provider calls keyed for idempotency."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orderflow.operations import Op
from orderflow.steps.deps import Deps


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


# Each fulfilment operation and the operation that undoes it, in the order they run.
FULFILMENT: tuple[tuple[Op, Op], ...] = (
    (Op.RESERVE_INVENTORY, Op.RELEASE_INVENTORY),
    (Op.CAPTURE_PAYMENT, Op.REFUND_PAYMENT),
    (Op.CREATE_SHIPMENT, Op.CANCEL_SHIPMENT),
)


def call_provider(deps: Deps, op: Op, order: dict[str, Any]) -> dict[str, Any]:
    """Run one fulfilment or compensation call against the provider."""
    provider, order_id = deps.provider, order["order_id"]
    key = idempotency_key(order_id, op)
    calls: dict[Op, Callable[[], Any]] = {
        Op.RESERVE_INVENTORY: lambda: provider.reserve_inventory(
            order_id, order["units"], key=key
        ),
        Op.CAPTURE_PAYMENT: lambda: provider.capture_payment(
            order_id, order["total_cents"], key=key
        ),
        Op.CREATE_SHIPMENT: lambda: provider.create_shipment(order_id, key=key),
        Op.RELEASE_INVENTORY: lambda: provider.release_inventory(
            order_id, order["units"], key=key
        ),
        Op.REFUND_PAYMENT: lambda: provider.refund_payment(
            order_id, order["total_cents"], key=key
        ),
        Op.CANCEL_SHIPMENT: lambda: provider.cancel_shipment(order_id, key=key),
    }
    return effect_summary(calls[op]())
