"""The order workflow: one durable execution per order, named after the order id.

Flow (docs/design.md draws it):
1. ``validate-order``: schema, policy risk score and route; records the order.
2. Route: REJECT ends the order REJECTED; AUTO_APPROVE goes straight on;
   ONE_APPROVER / TWO_APPROVERS suspend on ``wait-for-approval-N`` callbacks
   (no compute while waiting); each submitter stores the pending approval, sends
   the approver a single-use link and marks the order AWAITING_APPROVAL, in that
   order, so a reader who sees the status also finds the approval. A rejection
   ends it REJECTED; a time-out (``expire-approval-N``) escalates to the next
   approver in the directory, and when none is left ends it CANCELLED.
3. Fulfil: ``reserve-inventory``, ``authorize-payment``, ``create-shipment``,
   ``capture-payment``, each retried on the named transient provider errors. A
   step that fails for good triggers the ``compensate-*`` steps for whatever was
   begun, in reverse; the order ends CANCELLED (FAILED if an undo fails too).
4. Reconcile: ``wait-for-delivery`` polls the carrier until the parcel arrives;
   ``reconcile-order`` checks the books (money, stock, one live shipment) and a
   model of normal outcomes; ``repair-*`` steps put right what they can (and a
   returned parcel is re-shipped and awaited once more); ``raise-alerts`` tells
   a person. COMPLETED, with any adjustment recorded, or FAILED with the reason.

Every other status change of the read model is a ``record-<status>`` step. Nothing here
touches the outside world except through a step or a callback submitter, so a
replay after a wait or a callback repeats no effect.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, StepError
from aws_durable_execution_sdk_python.config import StepConfig

from orderflow.adapters.sandbox import SandboxProvider
from orderflow.adapters.stores import store_from_url
from orderflow.config import Settings
from orderflow.parts import logs, recording
from orderflow.parts.approvals.flow import collect_approvals
from orderflow.parts.durable import durable_handler, no_retry, workflow_version
from orderflow.parts.metrics import SUBJECTS_ROUTED, Metric
from orderflow.processes.orders import durable_steps as steps
from orderflow.processes.orders import reconciliation, validation
from orderflow.processes.orders.approval import WORDING, order_stages, order_subject
from orderflow.processes.orders.deps import Deps
from orderflow.processes.orders.fulfilment import (
    idempotency_key,
    shipment_key,
)
from orderflow.processes.orders.operations import Op
from orderflow.processes.orders.process import PROCESS
from orderflow.processes.orders.routing import Route
from orderflow.processes.orders.status import OrderStatus

Result = dict[str, Any]


def make_workflow(deps: Callable[[], Deps]) -> Callable[[Any, DurableContext], Result]:
    """The workflow function, bound to a factory of its dependencies."""

    def order_workflow(event: Any, ctx: DurableContext) -> Result:
        logs.plug(ctx, PROCESS.kind)
        try:
            order = ctx.step(
                logs.logged(lambda: validation.validate_order(deps(), event), _routed),
                name=Op.VALIDATE_ORDER,
                config=StepConfig(retry_strategy=no_retry()),
            )
        except StepError as e:
            if (e.error_type or "").endswith(".ModelArtifactError"):
                # A broken deployment, not a verdict on the order: fail the
                # execution itself, so it shows as FAILED rather than judged.
                raise
            return {"status": OrderStatus.FAILED, "reason": e.message}

        order_id: str = order["order_id"]
        logs.plug(ctx, PROCESS.kind, order_id)
        record = functools.partial(recording.record, ctx, deps, PROCESS, order_id)
        route = Route(order["route"])
        if route is Route.REJECT:
            return record(OrderStatus.REJECTED, {"reasons": order["risk"]["reasons"]})

        if route.approvals_needed:
            outcome = _approve(ctx, deps, order, route.approvals_needed)
            if outcome is not None:
                return record(*outcome)
        record(OrderStatus.APPROVED, {"route": route.value})

        record(OrderStatus.FULFILLING, None)
        failure = steps.fulfil(ctx, deps, order)
        if failure is not None:
            return record(*failure)

        record(OrderStatus.RECONCILING, None)
        return record(*_reconcile(ctx, deps, order))

    return order_workflow


def _routed(order: Result) -> dict[str, Any]:
    """What ``validate-order`` decided, for its log line: the route and why."""
    risk = order["risk"]
    return {
        logs.SUBJECT: order["order_id"],
        "route": order["route"],
        "score": risk["score"],
        "rules": risk.get("rules", []),
        "workflowVersion": order["workflow_version"],
        logs.METRICS: [Metric(SUBJECTS_ROUTED, {"route": order["route"]})],
    }


def _approve(
    ctx: DurableContext, deps: Callable[[], Deps], order: Result, needed: int
) -> tuple[OrderStatus, dict[str, Any]] | None:
    """Ask ``needed`` approvers down the directory (the approvals part); None: approved.

    A rejection rejects the order; approvers who all let their time run out
    cancel it (each time-out escalated to the next one first).
    """
    stages = order_stages(deps().settings.approvers, needed)
    outcome = collect_approvals(
        ctx,
        deps,
        order_subject(order),
        stages,
        wording=WORDING,
        of_record=workflow_version(order) >= 2,
    )
    if outcome.verdict == "approved":
        return None
    if outcome.verdict == "rejected":
        return OrderStatus.REJECTED, {
            "reason": outcome.reason,
            "comment": outcome.comment,
        }
    if outcome.verdict == "timed_out":
        return OrderStatus.CANCELLED, {"reason": outcome.reason}
    return OrderStatus.FAILED, {"reason": outcome.reason}


def _reconcile(
    ctx: DurableContext, deps: Callable[[], Deps], order: Result
) -> tuple[OrderStatus, dict[str, Any]]:
    """Await delivery, check the books, repair what can be repaired, alert."""
    order_id = order["order_id"]
    delivery = steps.await_delivery(
        ctx, deps, order, Op.WAIT_FOR_DELIVERY, shipment_key(order_id)
    )
    first = books = steps.check_books(
        ctx, deps, order, delivery, Op.RECONCILE_ORDER, may_reship=True
    )
    adjustments: list[dict[str, Any]] = []
    failure: str | None = None
    if first["repairs"]:
        adjustments, failure = steps.run_repairs(ctx, deps, order, first["repairs"])
        if failure is None and any(a["op"] == Op.RESHIP_ORDER for a in adjustments):
            reshipped = idempotency_key(order_id, Op.RESHIP_ORDER)
            delivery = steps.await_delivery(
                ctx, deps, order, Op.WAIT_FOR_REDELIVERY, reshipped
            )
        books = steps.check_books(
            ctx, deps, order, delivery, Op.RECHECK_BOOKS, may_reship=False
        )
    alerts = reconciliation.alerts_for(order_id, first, books, adjustments, failure)
    steps.raise_alerts(ctx, deps, order_id, alerts)
    if failure is not None or not books["ok"]:
        return OrderStatus.FAILED, {
            "reason": failure or "; ".join(books["problems"]),
            "problems": books["problems"],
            "adjustments": adjustments,
        }
    detail: dict[str, Any] = {"captured_cents": books["captured_cents"]}
    if adjustments:
        detail |= {
            "refunded_cents": books["refunded_cents"],
            "adjustments": adjustments,
        }
    if books["anomalies"]:
        detail["anomalies"] = [a["kind"] for a in books["anomalies"]]
    return OrderStatus.COMPLETED, detail


@functools.cache
def default_deps() -> Deps:
    """Dependencies from the environment, built once per process."""
    settings = Settings.from_env()
    store = store_from_url(settings.store_url)
    return Deps(
        store=store, provider=SandboxProvider(store, settings.faults), settings=settings
    )


lambda_handler = durable_handler(make_workflow(default_deps))
