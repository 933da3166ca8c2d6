"""Return requests and order facts for the returns tests, valid unless changed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from orderflow.processes.orders.order import Currency
from orderflow.processes.returns.model import ReturnRequest, parse_return
from orderflow.processes.returns.rules import OrderFacts

DELIVERED_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def return_body(**changes: Any) -> dict[str, Any]:
    """A valid ``POST /returns`` body: one mug back from ORD-1001."""
    body: dict[str, Any] = {
        "return_id": "RET-1001",
        "order_id": "ORD-1001",
        "items": [{"sku": "MUG-BLUE", "quantity": 1}],
        "reason": "changed_mind",
    }
    body.update(changes)
    return body


def return_request(*lines: tuple[str, int], **changes: Any) -> ReturnRequest:
    """A parsed request for ``lines`` (sku, quantity); one mug by default."""
    if lines:
        changes["items"] = [{"sku": s, "quantity": q} for s, q in lines]
    return parse_return(return_body(**changes))


def order_facts(**changes: Any) -> OrderFacts:
    """ORD-1001, completed and delivered: 2 mugs at 12.50 and a book at 39.99."""
    fields: dict[str, Any] = {
        "order_id": "ORD-1001",
        "status": "COMPLETED",
        "currency": Currency.USD,
        "lines": {"MUG-BLUE": (2, 12_50), "BOOK-DDIA": (1, 39_99)},
        "captured_cents": 64_99,
        "refunded_cents": 0,
        "delivered_at": DELIVERED_AT,
        "risk_score": 0,
        "customer_id": "CUST-42",
    }
    fields.update(changes)
    return OrderFacts(**fields)
