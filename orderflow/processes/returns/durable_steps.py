"""The return's durable building blocks: the parcel wait, the books check, alerts.

Each wraps step bodies (steps.py) in named durable operations with their retry
or wait strategies, so the workflow (workflow.py) reads as the business process.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from orderflow.parts import logs, parcels
from orderflow.parts.durable import store_retry
from orderflow.parts.saga import step_config
from orderflow.processes.returns import steps
from orderflow.processes.returns.deps import ReturnDeps
from orderflow.processes.returns.operations import ReturnOp
from orderflow.processes.returns.status import ReturnStatus

if TYPE_CHECKING:
    from aws_durable_execution_sdk_python import DurableContext

DepsFactory = Callable[[], ReturnDeps]


def await_parcel(
    ctx: DurableContext, deps: DepsFactory, checked: dict[str, Any], label_key: str
) -> dict[str, Any]:
    """Check the carrier, backing off, until the parcel arrives or the deadline ends."""
    return parcels.await_parcel(
        ctx,
        name=ReturnOp.WAIT_FOR_PARCEL,
        shipment_key=label_key,
        wait=steps.parcel_wait(deps()),
        check=lambda state: steps.poll_parcel(deps(), checked["order_id"], state),
    )


def check_books(
    ctx: DurableContext,
    deps: DepsFactory,
    checked: dict[str, Any],
    damaged: dict[str, int],
) -> tuple[ReturnStatus, dict[str, Any]]:
    """Check the order's books after the refund (a step); alert on a mismatch."""
    books: dict[str, Any] = ctx.step(
        logs.logged(
            lambda: steps.check_order_books(deps(), checked),
            lambda b: {"ok": b["ok"], "refundedCents": b["refunded_cents"]},
        ),
        name=ReturnOp.CHECK_ORDER_BOOKS,
        config=step_config(store_retry()),
    )
    detail: dict[str, Any] = {
        "refunded_cents": books["refunded_cents"],
        "restocked_units": books["restocked_units"],
        "damaged": damaged,
    }
    if not books["ok"]:
        alert = {
            "kind": "books-mismatch",
            "severity": "critical",
            "message": "order books after the return: " + "; ".join(books["problems"]),
            "detail": {"order_id": checked["order_id"], "problems": books["problems"]},
        }
        raise_alerts(ctx, deps, checked["return_id"], [alert])
        detail["problems"] = books["problems"]
    return ReturnStatus.REFUNDED, detail


def raise_alerts(
    ctx: DurableContext,
    deps: DepsFactory,
    return_id: str,
    alerts: list[dict[str, Any]],
) -> None:
    """Record the alerts (keyed, so a retry raises none twice), as one step."""
    ctx.step(
        logs.logged(
            lambda: steps.raise_alerts(deps(), return_id, alerts),
            lambda _: logs.alerted(alerts),
        ),
        name=ReturnOp.RAISE_ALERTS,
        config=step_config(store_retry()),
    )
