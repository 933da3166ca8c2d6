"""The front door: accept an order once, start its execution once.

The execution is named after the order id, so Lambda itself refuses a second
execution for the same order. The payload is the normalised order (the model's
own JSON), so the same order sent twice with other whitespace or key order is
still the same payload, and Lambda returns the existing execution.
"""

from __future__ import annotations

from dataclasses import dataclass

from orderflow.domain.errors import InvalidOrderError, OrderConflictError
from orderflow.parts.validation import read_json
from orderflow.ports import Store, WorkflowStarter
from orderflow.processes.orders.order import Order, parse_order
from orderflow.processes.orders.status import OrderStatus


@dataclass(frozen=True)
class Accepted:
    """What POST /orders answers."""

    order_id: str
    status: str
    duplicate: bool


def read_order(body: str | bytes | None, *, max_bytes: int) -> Order:
    """Parse and validate a request body into an Order.

    Raises:
        PayloadTooLargeError: the body is over ``max_bytes``.
        InvalidOrderError: the body is not JSON, or not a valid order.
    """
    return parse_order(read_json(body, max_bytes=max_bytes, error=InvalidOrderError))


def submit(
    order: Order, *, store: Store, starter: WorkflowStarter, at: str
) -> Accepted:
    """Record the order as RECEIVED and start its execution, both idempotently."""
    body = order.model_dump(mode="json")
    created = store.create_subject("order", order.order_id, body, at=at)
    existing = store.get_subject(order.order_id)
    if not created and existing is not None and existing.body != body:
        raise OrderConflictError(
            f"order_id {order.order_id} is already taken by a different order"
        )
    arn = starter.start(order.order_id, order.model_dump_json())
    if arn and (existing is None or existing.execution_arn != arn):
        store.set_execution_arn(order.order_id, arn)
    status = existing.status if existing else OrderStatus.RECEIVED
    return Accepted(order.order_id, status, duplicate=not created)
