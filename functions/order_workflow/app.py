"""The order workflow: one durable execution per order, named after the order id.

Flow (docs/design.md draws it):
1. ``validate-order``: schema, policy risk score and route; records the order.
2. Route: REJECT ends the order REJECTED; AUTO_APPROVE goes straight on;
   ONE_APPROVER / TWO_APPROVERS suspend on ``wait-for-approval-N`` callbacks
   (no compute while waiting); each submitter stores the pending approval, queues
   the approver's message and marks the order AWAITING_APPROVAL, in that order,
   so a reader who sees the status also finds the approval. A rejection ends
   it REJECTED; a time-out ends it CANCELLED.
3. Fulfil: ``reserve-inventory``, ``capture-payment``, ``create-shipment``, each
   retried on transient provider errors. A step that fails for good triggers the
   ``compensate-*`` steps for whatever was done, in reverse; the order ends
   CANCELLED.
4. ``reconcile-order``: the books must match the order; COMPLETED, or FAILED
   with the problems.

Every other status change of the read model is a ``record-<status>`` step. Nothing here
touches the outside world except through a step or a callback submitter, so a
replay after a wait or a callback repeats no effect.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from aws_durable_execution_sdk_python import (
    CallbackError,
    CallbackTimeoutError,
    DurableContext,
    StepError,
    durable_execution,
)
from aws_durable_execution_sdk_python.config import (
    Duration,
    StepConfig,
    StepSemantics,
    WaitForCallbackConfig,
)
from aws_durable_execution_sdk_python.serdes import JsonSerDes
from aws_durable_execution_sdk_python.types import WaitForCallbackContext

from orderflow.adapters.sandbox import SandboxProvider
from orderflow.adapters.stores import store_from_url
from orderflow.config import Settings
from orderflow.domain.routing import Route
from orderflow.domain.status import OrderStatus
from orderflow.durable import (
    compensation_retry,
    no_retry,
    provider_retry,
    store_retry,
)
from orderflow.operations import Op, status_op
from orderflow.steps import approval, readmodel, reconciliation, validation
from orderflow.steps.deps import Deps
from orderflow.steps.fulfilment import FULFILMENT, call_provider

Result = dict[str, Any]


def make_workflow(deps: Callable[[], Deps]) -> Callable[[Any, DurableContext], Result]:
    """The workflow function, bound to a factory of its dependencies."""

    def order_workflow(event: Any, ctx: DurableContext) -> Result:
        try:
            order = ctx.step(
                lambda _: validation.validate_order(deps(), event),
                name=Op.VALIDATE_ORDER,
                config=StepConfig(retry_strategy=no_retry()),
            )
        except StepError as e:
            return {"status": OrderStatus.FAILED, "reason": e.message}

        order_id: str = order["order_id"]
        record = functools.partial(_record, ctx, deps, order_id)
        route = Route(order["route"])
        if route is Route.REJECT:
            return record(OrderStatus.REJECTED, {"reasons": order["risk"]["reasons"]})

        if route.approvals_needed:
            outcome = _collect_approvals(ctx, deps, order, route.approvals_needed)
            if outcome is not None:
                return record(*outcome)
        record(OrderStatus.APPROVED, {"route": route.value})

        record(OrderStatus.FULFILLING, None)
        failure = _fulfil(ctx, deps, order)
        if failure is not None:
            return record(OrderStatus.CANCELLED, failure)

        record(OrderStatus.RECONCILING, None)
        books = ctx.step(
            lambda _: reconciliation.reconcile(
                deps(), order_id, total_cents=order["total_cents"], units=order["units"]
            ),
            name=Op.RECONCILE_ORDER,
            config=StepConfig(retry_strategy=store_retry()),
        )
        if not books["ok"]:
            return record(OrderStatus.FAILED, {"problems": books["problems"]})
        return record(
            OrderStatus.COMPLETED, {"captured_cents": books["captured_cents"]}
        )

    return order_workflow


def _record(
    ctx: DurableContext,
    deps: Callable[[], Deps],
    order_id: str,
    status: OrderStatus,
    detail: dict[str, Any] | None,
) -> Result:
    """Record ``status`` in the read model (a step) and return the workflow result."""
    ctx.step(
        lambda _: readmodel.record_status(deps(), order_id, status, detail),
        name=status_op(status),
        config=StepConfig(retry_strategy=store_retry()),
    )
    return {"order_id": order_id, "status": status.value, **(detail or {})}


def _collect_approvals(
    ctx: DurableContext, deps: Callable[[], Deps], order: Result, needed: int
) -> tuple[OrderStatus, dict[str, Any]] | None:
    """Ask ``needed`` distinct approvers in turn; None when all approved."""
    settings = deps().settings
    approvers = settings.approvers
    for n in range(needed):
        approver = approvers[n % len(approvers)]

        def submit(
            callback_id: str, _: WaitForCallbackContext, who: str = approver
        ) -> None:
            approval.request_approval(
                deps(),
                callback_id,
                order_id=order["order_id"],
                approver=who,
                risk=order["risk"],
            )

        try:
            decision = ctx.wait_for_callback(
                submit,
                name=f"{Op.WAIT_FOR_APPROVAL}-{n + 1}",
                config=WaitForCallbackConfig(
                    timeout=Duration.from_seconds(settings.approval_timeout_seconds),
                    retry_strategy=store_retry(),
                    serdes=JsonSerDes(),
                ),
            )
        except CallbackTimeoutError:
            return OrderStatus.CANCELLED, {
                "reason": f"{approver} did not decide in time"
            }
        except CallbackError as e:
            return OrderStatus.FAILED, {"reason": f"approval failed: {e}"}
        if not isinstance(decision, dict):
            return OrderStatus.FAILED, {
                "reason": "approval result is not a JSON object"
            }
        if decision.get("approved") is not True:
            return OrderStatus.REJECTED, {
                "reason": f"rejected by {decision.get('approver', approver)}",
                "comment": decision.get("comment"),
            }
    return None


def _fulfil(
    ctx: DurableContext, deps: Callable[[], Deps], order: Result
) -> dict[str, Any] | None:
    """Reserve, capture, ship; on a final failure undo what was done, in reverse."""
    done: list[Op] = []
    for op, undo in FULFILMENT:
        try:
            # AT_LEAST_ONCE_PER_RETRY: a crash between the provider call and its
            # checkpoint re-runs the call, and the idempotency key makes the repeat
            # a no-op. AT_MOST_ONCE would leave the effect unknown instead.
            ctx.step(
                lambda _, op=op: call_provider(deps(), op, order),  # type: ignore[misc]
                name=op,
                config=StepConfig(
                    retry_strategy=provider_retry(),
                    step_semantics=StepSemantics.AT_LEAST_ONCE_PER_RETRY,
                ),
            )
        except StepError as e:
            for undo_op in reversed(done):
                ctx.step(
                    lambda _, u=undo_op: call_provider(deps(), u, order),  # type: ignore[misc]
                    name=undo_op,
                    config=StepConfig(retry_strategy=compensation_retry()),
                )
            return {
                "reason": f"{op} failed: {e.message}",
                "compensated": list(map(str, reversed(done))),
            }
        done.append(undo)
    return None


@functools.cache
def default_deps() -> Deps:
    """Dependencies from the environment, built once per process."""
    settings = Settings.from_env()
    store = store_from_url(settings.store_url)
    return Deps(
        store=store, provider=SandboxProvider(store, settings.faults), settings=settings
    )


lambda_handler = durable_execution(make_workflow(default_deps))
