"""Order intake inside the workflow: schema, risk score and route."""

from __future__ import annotations

from typing import Any

from orderflow.steps.deps import Deps


def validate_order(deps: Deps, event: Any) -> dict[str, Any]:
    """Schema, risk and route for the order; records it in the read model."""
    # Imported here, not at the top: the models (pydantic) are the largest part
    # of the orchestrator's cold start, and a replay never runs this step.
    from orderflow.domain.order import parse_order
    from orderflow.domain.risk import assess

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
