"""Return requests and order facts for the returns tests, valid unless changed."""

from __future__ import annotations

from typing import Any

from orderflow.processes.returns.model import ReturnRequest, parse_return


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
