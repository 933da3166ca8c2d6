"""The order's read model, as the workflow moves it along."""

from __future__ import annotations

from typing import Any

from orderflow.parts.deps import Deps
from orderflow.processes.orders.status import OrderStatus


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
