"""The order's durable building blocks: fulfilment as a saga, and reconciliation.

Each helper wraps step bodies (fulfilment.py, reconciliation.py) in named durable
operations with their retry strategies, so the orchestrator
(functions/order_workflow/app.py) reads as the business process. Every step
here runs AT_LEAST_ONCE_PER_RETRY (``saga.step_config``): its body is a keyed
provider call, a keyed write or a read, so running it again after a crash
changes nothing (fulfilment.py says why not AT_MOST_ONCE).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_durable_execution_sdk_python import StepError

from orderflow.parts import logs, parcels
from orderflow.parts.durable import compensation_retry, store_retry
from orderflow.parts.metrics import REPAIRS, Metric
from orderflow.parts.saga import Action, SagaStep, refunded, run_saga, step_config
from orderflow.processes.orders import reconciliation
from orderflow.processes.orders.deps import Deps
from orderflow.processes.orders.fulfilment import FULFILMENT, call_provider
from orderflow.processes.orders.operations import Op
from orderflow.processes.orders.status import OrderStatus

if TYPE_CHECKING:
    from aws_durable_execution_sdk_python import DurableContext

DepsFactory = Callable[[], Deps]
Outcome = tuple[OrderStatus, dict[str, Any]]


def fulfil(
    ctx: DurableContext, deps: DepsFactory, order: dict[str, Any]
) -> Outcome | None:
    """Reserve, authorise, ship, capture (a saga); None when all four are done.

    A step that fails for good has the saga undo what was begun, in reverse:
    the order ends CANCELLED, or FAILED with a critical alert when an undo
    fails too (money or stock stranded).
    """

    def action(op: Op) -> Action:
        refund = op is Op.REFUND_PAYMENT
        return Action(op, lambda: call_provider(deps(), op, order), refunds=refund)

    steps = [SagaStep(action(do), action(undo)) for do, undo in FULFILMENT]
    outcome = run_saga(ctx, steps)
    if outcome.failed is None:
        return None
    if outcome.stranded is not None:
        order_id = order["order_id"]
        alert = reconciliation.alert(
            order_id,
            "compensation-failed",
            "critical",
            outcome.reason,
            undone=outcome.compensated,
            failed=outcome.stranded,
        )
        raise_alerts(ctx, deps, order_id, [alert])
        return OrderStatus.FAILED, {
            "reason": outcome.reason,
            "compensated": outcome.compensated,
        }
    return OrderStatus.CANCELLED, {
        "reason": outcome.reason,
        "compensated": outcome.compensated,
    }


def await_delivery(
    ctx: DurableContext,
    deps: DepsFactory,
    order: dict[str, Any],
    op: Op,
    shipment_key: str,
) -> dict[str, Any]:
    """Poll the carrier, backing off, until the parcel's journey ends (or time does)."""
    return parcels.await_parcel(
        ctx,
        name=op,
        shipment_key=shipment_key,
        wait=reconciliation.delivery(deps().settings),
        check=lambda state: reconciliation.poll_delivery(
            deps(), order["order_id"], state
        ),
    )


def check_books(
    ctx: DurableContext,
    deps: DepsFactory,
    order: dict[str, Any],
    delivery: dict[str, Any],
    op: Op,
    *,
    may_reship: bool,
) -> dict[str, Any]:
    """Read the ledger and compare it with the order, as a step."""
    result: dict[str, Any] = ctx.step(
        logs.logged(
            lambda: reconciliation.reconcile(
                deps(), order, delivery, may_reship=may_reship
            ),
            _reconciled,
        ),
        name=op,
        config=step_config(store_retry()),
    )
    return result


def _reconciled(books: dict[str, Any]) -> dict[str, object]:
    """The reconciliation's outcome, for its log line."""
    return {
        "ok": books["ok"],
        "problems": len(books["problems"]),
        "repairs": [r["op"] for r in books["repairs"]],
        "anomalies": [a["kind"] for a in books["anomalies"]],
        "capturedCents": books["captured_cents"],
        "refundedCents": books["refunded_cents"],
    }


def _repaired(done: dict[str, Any]) -> dict[str, object]:
    """What a repair did, for its log line, and its metrics."""
    measured = [Metric(REPAIRS)]
    if done["op"] == Op.REFUND_DIFFERENCE:
        measured += refunded(int(done["amount_cents"]))
    return {
        "repair": done["op"],
        "amountCents": done["amount_cents"],
        logs.METRICS: measured,
    }


def run_repairs(
    ctx: DurableContext,
    deps: DepsFactory,
    order: dict[str, Any],
    plans: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], str | None]:
    """Each repair as its own step; what they did, and why one failed (if one did)."""
    done: list[dict[str, Any]] = []
    for plan in plans:
        try:
            done.append(
                ctx.step(
                    logs.logged(
                        lambda p=plan: reconciliation.repair(deps(), order, p),  # type: ignore[misc]
                        _repaired,
                    ),
                    name=plan["op"],
                    config=step_config(compensation_retry()),
                )
            )
        except StepError as e:
            return done, f"{plan['op']} failed: {e.message}"
    return done, None


def raise_alerts(
    ctx: DurableContext,
    deps: DepsFactory,
    order_id: str,
    alerts: list[dict[str, Any]],
) -> None:
    """Record the alerts (keyed, so a retry raises none twice), as one step."""
    if alerts:
        ctx.step(
            logs.logged(
                lambda: reconciliation.raise_alerts(deps(), order_id, alerts),
                lambda _: logs.alerted(alerts),
            ),
            name=Op.RAISE_ALERTS,
            config=step_config(store_retry()),
        )
