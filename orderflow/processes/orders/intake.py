"""The front door: accept an order once, start its execution once.

The execution is named after the order id, so Lambda itself refuses a second
execution for the same order. The payload is the normalised order (the model's
own JSON), so the same order sent twice with other whitespace or key order is
still the same payload, and Lambda returns the existing execution.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Protocol

from orderflow.domain.errors import FieldProblem, InvalidOrderError, OrderConflictError
from orderflow.ports import Store
from orderflow.processes.orders.order import Order, parse_order
from orderflow.processes.orders.status import OrderStatus


class PayloadTooLargeError(Exception):
    """The request body is over the configured limit."""


class WorkflowStarter(Protocol):
    """Starts the durable execution for an order (port)."""

    def start(self, name: str, payload: str) -> str | None:
        """Start (or find) the execution called ``name``; its ARN if known.

        Raises:
            OrderConflictError: an execution of that name has another payload.
        """
        ...


@dataclass(frozen=True)
class Accepted:
    """What POST /orders answers."""

    order_id: str
    status: str
    duplicate: bool


def request_body(body: str | None, *, base64_encoded: bool) -> bytes:
    """The request's raw bytes, as API Gateway passed them (maybe base64).

    Read as bytes, not text: a body that is not UTF-8 is a bad order (400), where
    decoding it to text first would fail inside the handler (500).

    Raises:
        InvalidOrderError: the gateway's base64 does not decode.
    """
    if not body:
        return b""
    if not base64_encoded:
        return body.encode("utf-8", "surrogatepass")
    try:
        return base64.b64decode(body, validate=True)
    except ValueError as e:
        raise InvalidOrderError([FieldProblem("body", "is not valid base64")]) from e


def read_order(body: str | bytes | None, *, max_bytes: int) -> Order:
    """Parse and validate a request body into an Order.

    Raises:
        PayloadTooLargeError: the body is over ``max_bytes``.
        InvalidOrderError: the body is not JSON, or not a valid order.
    """
    try:
        raw = body.encode() if isinstance(body, str) else (body or b"")
    except UnicodeEncodeError as e:
        raise InvalidOrderError([FieldProblem("body", "is not valid UTF-8")]) from e
    if len(raw) > max_bytes:
        raise PayloadTooLargeError(
            f"body is {len(raw)} bytes; the limit is {max_bytes} bytes"
        )
    if not raw.strip():
        raise InvalidOrderError([FieldProblem("body", "is empty; send a JSON order")])
    try:
        data: Any = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise InvalidOrderError(
            [FieldProblem("body", f"is not valid JSON: {e}")]
        ) from e
    return parse_order(data)


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
