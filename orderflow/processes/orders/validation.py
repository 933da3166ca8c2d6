"""Order intake inside the workflow: schema, risk score and route."""

from __future__ import annotations

from typing import Any

from orderflow.processes.orders.deps import Deps
from orderflow.processes.orders.operations import WORKFLOW_VERSION


def validate_order(deps: Deps, event: Any) -> dict[str, Any]:
    """Schema, risk and route for the order; records it in the read model.

    The risk is the policy rules blended with the risk model's opinion. The
    models (pydantic) and the scorer are imported here, not at the top: they are
    the largest part of the orchestrator's cold start, and a replay (which
    returns this step's checkpointed result) never runs this step.

    Raises:
        InvalidOrderError: the order fails the schema.
        ModelArtifactError: the model artifact is missing or corrupt.
    """
    from orderflow.processes.orders.order import parse_order
    from orderflow.processes.orders.risk import assess, blend
    from orderflow.processes.orders.scoring.opinion import opinion

    order = parse_order(event)

    model = deps.settings.model
    risk = blend(assess(order), opinion(order, path=model.path, sha256=model.sha256))
    route = deps.settings.routing.route(order, risk)
    body = order.model_dump(mode="json")
    deps.store.create_subject("order", order.order_id, body, at=deps.stamp())
    return {
        "order_id": order.order_id,
        "total_cents": order.total_cents,
        "currency": order.currency.value,
        "units": sum(item.quantity for item in order.items),
        "risk": risk.as_dict(),
        "route": route.value,
        "workflow_version": WORKFLOW_VERSION,
    }
