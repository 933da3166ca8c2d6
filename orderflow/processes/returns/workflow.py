"""The return workflow: one durable execution per return, named after the return id.

Flow (docs/design.md, "Returns and refunds"):
1. ``validate-return``: re-check the return against its order, hold its units,
   score and route it. DENY ends it DENIED (its units given back).
2. ONE_APPROVER / TWO_APPROVERS: ``wait-for-approval-N`` through the approvals
   part, as orders do. A rejection ends it DENIED; approvers who all let their
   time run out end it CANCELLED (units given back either way).
3. ``create-return-label`` -> AWAITING_PARCEL; ``wait-for-parcel`` checks the
   carrier, backing off, until the parcel arrives (with the warehouse's
   inspection) or the deadline passes: then ``void-return-label``, CANCELLED.
4. REFUNDING: ``restock-inventory`` (intact units) then ``refund-payment`` (the
   inspected value, capped by what the order has left), as a saga: a refund
   that fails for good withdraws the restock, alerts, and ends FAILED.
5. ``check-order-books``: the order's books still add up (alert if not);
   REFUNDED with the amounts.

Every status change is a ``record-<status>`` step; nothing touches the outside
world except in a step or a callback submitter.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, StepError
from aws_durable_execution_sdk_python.config import StepConfig

from orderflow.parts import logs, recording
from orderflow.parts.approvals.flow import collect_approvals
from orderflow.parts.durable import (
    no_retry,
    provider_retry,
    store_retry,
    workflow_version,
)
from orderflow.parts.metrics import SUBJECTS_ROUTED, Metric
from orderflow.parts.saga import (
    Action,
    SagaStep,
    answered,
    compensated,
    run_saga,
    step_config,
)
from orderflow.processes.returns import durable_steps as durable
from orderflow.processes.returns import steps
from orderflow.processes.returns.approval import WORDING, return_stages, return_subject
from orderflow.processes.returns.deps import ReturnDeps
from orderflow.processes.returns.operations import ReturnOp
from orderflow.processes.returns.process import PROCESS
from orderflow.processes.returns.rules import ReturnRoute
from orderflow.processes.returns.status import ReturnStatus

Result = dict[str, Any]
DepsFactory = Callable[[], ReturnDeps]
Outcome = tuple[ReturnStatus, dict[str, Any]]


def make_workflow(deps: DepsFactory) -> Callable[[Any, DurableContext], Result]:
    """The workflow function, bound to a factory of its dependencies."""

    def return_workflow(event: Any, ctx: DurableContext) -> Result:
        logs.plug(ctx, PROCESS.kind)
        try:
            checked: Result = ctx.step(
                logs.logged(lambda: steps.validate_return(deps(), event), _routed),
                name=ReturnOp.VALIDATE_RETURN,
                config=StepConfig(retry_strategy=no_retry()),
            )
        except StepError as e:
            return {"status": ReturnStatus.FAILED, "reason": e.message}
        logs.plug(ctx, PROCESS.kind, checked["return_id"])
        record = functools.partial(
            recording.record, ctx, deps, PROCESS, checked["return_id"]
        )
        route = ReturnRoute(checked["route"])
        if route is ReturnRoute.DENY:
            return record(
                *_give_back(
                    ctx,
                    deps,
                    checked,
                    ReturnStatus.DENIED,
                    {"reasons": checked["reasons"]},
                )
            )
        if route.approvals_needed:
            refused = _approve(ctx, deps, checked, route.approvals_needed)
            if refused is not None:
                return record(*refused)
        try:
            label = ctx.step(
                logs.logged(lambda: steps.create_label(deps(), checked), answered),
                name=ReturnOp.CREATE_RETURN_LABEL,
                config=step_config(provider_retry()),
            )
        except StepError as e:
            return record(ReturnStatus.FAILED, {"reason": e.message})
        record(ReturnStatus.AWAITING_PARCEL, {"label": label["reference"]})

        parcel = durable.await_parcel(ctx, deps, checked, label["idempotency_key"])
        if parcel["status"] != "DELIVERED":
            return record(*_no_parcel(ctx, deps, checked, parcel))

        damaged = steps.damaged_by_sku(event, int(parcel.get("damaged_units") or 0))
        record(ReturnStatus.REFUNDING, {"damaged": damaged})
        failed = _refund_and_restock(ctx, deps, event, checked, damaged)
        if failed is not None:
            return record(*failed)
        return record(*durable.check_books(ctx, deps, checked, damaged))

    return return_workflow


def _routed(checked: Result) -> dict[str, object]:
    """What ``validate-return`` decided, for its log line: the route and why."""
    return {
        logs.SUBJECT: checked["return_id"],
        "route": checked["route"],
        "score": checked.get("risk", {}).get("score"),
        "refundCents": checked.get("refund_cents"),
        "workflowVersion": checked.get("workflow_version", 1),
        logs.METRICS: [Metric(SUBJECTS_ROUTED, {"route": checked["route"]})],
    }


def _released(released: dict[str, int]) -> dict[str, object]:
    """Units given back, for the step's log line."""
    return {"releasedUnits": sum(released.values())}


def _give_back(
    ctx: DurableContext,
    deps: DepsFactory,
    checked: Result,
    status: ReturnStatus,
    detail: dict[str, Any],
) -> Outcome:
    """Release the return's units (it ends without a refund), then end it."""
    ctx.step(
        logs.logged(lambda: steps.release(deps(), checked), _released),
        name=ReturnOp.RELEASE_UNITS,
        config=step_config(store_retry()),
    )
    return status, detail


def _approve(
    ctx: DurableContext, deps: DepsFactory, checked: Result, needed: int
) -> Outcome | None:
    """Ask ``needed`` approvers (the approvals part); None: approved."""
    d = deps()
    stages = return_stages(d.returns.approvers or d.settings.approvers, needed)
    outcome = collect_approvals(
        ctx,
        deps,
        return_subject(checked),
        stages,
        wording=WORDING,
        of_record=workflow_version(checked) >= 2,
    )
    if outcome.verdict == "approved":
        return None
    if outcome.verdict == "rejected":
        detail = {"reason": outcome.reason, "comment": outcome.comment}
        return _give_back(ctx, deps, checked, ReturnStatus.DENIED, detail)
    if outcome.verdict == "timed_out":
        detail = {"reason": outcome.reason}
        return _give_back(ctx, deps, checked, ReturnStatus.CANCELLED, detail)
    return ReturnStatus.FAILED, {"reason": outcome.reason}


def _no_parcel(
    ctx: DurableContext, deps: DepsFactory, checked: Result, parcel: Result
) -> Outcome:
    """No parcel by the deadline: void the label, give the units back, cancel."""
    voided = ctx.step(
        logs.logged(lambda: steps.void_label(deps(), checked), compensated),
        name=ReturnOp.VOID_RETURN_LABEL,
        config=step_config(provider_retry()),
    )
    reason = f"no parcel by the deadline (last seen {parcel.get('status')})"
    detail = {"reason": reason, "label_voided": voided["done"]}
    return _give_back(ctx, deps, checked, ReturnStatus.CANCELLED, detail)


def _refund_and_restock(
    ctx: DurableContext,
    deps: DepsFactory,
    event: Any,
    checked: Result,
    damaged: dict[str, int],
) -> Outcome | None:
    """Restock the intact units, then refund (a saga); None when both are done."""
    intact = checked["units"] - sum(damaged.values())
    saga = [
        SagaStep(
            Action(
                ReturnOp.RESTOCK_INVENTORY,
                lambda: steps.restock(deps(), checked, intact),
            ),
            Action(
                ReturnOp.WITHDRAW_RESTOCK,
                lambda: steps.withdraw(deps(), checked, intact),
            ),
        ),
        SagaStep(
            Action(
                ReturnOp.REFUND_PAYMENT,
                lambda: steps.refund(deps(), event, damaged),
                refunds=True,
            ),
            Action(ReturnOp.CHECK_REFUND, lambda: steps.check_refund(deps(), checked)),
        ),
    ]
    outcome = run_saga(ctx, saga)
    if outcome.failed is None:
        return None
    alert = {
        "kind": "refund-failed",
        "severity": "critical",
        "message": f"return {checked['return_id']}: {outcome.reason}; refund by hand",
        "detail": {"compensated": outcome.compensated, "stranded": outcome.stranded},
    }
    durable.raise_alerts(ctx, deps, checked["return_id"], [alert])
    return ReturnStatus.FAILED, {
        "reason": outcome.reason,
        "compensated": outcome.compensated,
    }
