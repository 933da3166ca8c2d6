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

from orderflow import activities
from orderflow.activities import Deps, effect_summary, idempotency_key
from orderflow.adapters.sandbox import SandboxProvider
from orderflow.adapters.stores import store_from_url
from orderflow.config import Settings
from orderflow.domain.routing import Route
from orderflow.domain.status import OrderStatus
from orderflow.durable import (
    Op,
    compensation_retry,
    no_retry,
    provider_retry,
    status_op,
    store_retry,
)

Result = dict[str, Any]


def make_workflow(deps: Callable[[], Deps]) -> Callable[[Any, DurableContext], Result]:
    """The workflow function, bound to a factory of its dependencies."""

    def order_workflow(event: Any, ctx: DurableContext) -> Result:
        try:
            order = ctx.step(
                lambda _: activities.validate_order(deps(), event),
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
            lambda _: activities.reconcile(
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
        lambda _: activities.record_status(deps(), order_id, status, detail),
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
            activities.request_approval(
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


# Fulfilment runs its provider calls AT_LEAST_ONCE_PER_RETRY: a crash between
# the call and its checkpoint re-runs the call, and the provider's idempotency
# key turns the second call into a no-op. AT_MOST_ONCE would instead fail the
# attempt and leave the effect unknown, which only a human could then resolve.
_FULFILMENT: tuple[tuple[Op, Op, str], ...] = (
    (Op.RESERVE_INVENTORY, Op.RELEASE_INVENTORY, "units"),
    (Op.CAPTURE_PAYMENT, Op.REFUND_PAYMENT, "total_cents"),
    (Op.CREATE_SHIPMENT, Op.CANCEL_SHIPMENT, ""),
)


def _do(deps: Deps, op: Op, order: Result) -> dict[str, Any]:
    """Run one fulfilment or compensation call against the provider."""
    provider, order_id = deps.provider, order["order_id"]
    key = idempotency_key(order_id, op)
    calls: dict[Op, Callable[[], Any]] = {
        Op.RESERVE_INVENTORY: lambda: provider.reserve_inventory(
            order_id, order["units"], key=key
        ),
        Op.CAPTURE_PAYMENT: lambda: provider.capture_payment(
            order_id, order["total_cents"], key=key
        ),
        Op.CREATE_SHIPMENT: lambda: provider.create_shipment(order_id, key=key),
        Op.RELEASE_INVENTORY: lambda: provider.release_inventory(
            order_id, order["units"], key=key
        ),
        Op.REFUND_PAYMENT: lambda: provider.refund_payment(
            order_id, order["total_cents"], key=key
        ),
        Op.CANCEL_SHIPMENT: lambda: provider.cancel_shipment(order_id, key=key),
    }
    return effect_summary(calls[op]())


def _fulfil(
    ctx: DurableContext, deps: Callable[[], Deps], order: Result
) -> dict[str, Any] | None:
    """Reserve, capture, ship; on a final failure undo what was done, in reverse."""
    done: list[Op] = []
    for op, undo, _ in _FULFILMENT:
        try:
            ctx.step(
                lambda _, op=op: _do(deps(), op, order),  # type: ignore[misc]
                name=op,
                config=StepConfig(
                    retry_strategy=provider_retry(),
                    step_semantics=StepSemantics.AT_LEAST_ONCE_PER_RETRY,
                ),
            )
        except StepError as e:
            for undo_op in reversed(done):
                ctx.step(
                    lambda _, u=undo_op: _do(deps(), u, order),  # type: ignore[misc]
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
