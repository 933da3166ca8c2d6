"""Durable building blocks of fulfilment and reconciliation, for the orchestrator.

Each helper wraps the step bodies of orderflow.steps in named durable operations
with their retry strategies and step semantics, so the orchestrator
(functions/order_workflow/app.py) reads as the business process. Every step
here runs AT_LEAST_ONCE_PER_RETRY: its body is a keyed provider call, a keyed
write or a read, so running it again after a crash changes nothing (see
orderflow/processes/orders/fulfilment.py for why not AT_MOST_ONCE).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from aws_durable_execution_sdk_python import StepError, WaitForConditionError
from aws_durable_execution_sdk_python.config import StepConfig, StepSemantics
from aws_durable_execution_sdk_python.serdes import JsonSerDes
from aws_durable_execution_sdk_python.waits import WaitForConditionConfig

from orderflow.domain.errors import TerminalProviderError
from orderflow.parts.deps import Deps
from orderflow.parts.durable import (
    RetryStrategy,
    compensation_retry,
    delivery_wait,
    provider_retry,
    store_retry,
)
from orderflow.processes.orders import reconciliation
from orderflow.processes.orders.fulfilment import call_provider
from orderflow.processes.orders.operations import Op
from orderflow.processes.orders.status import OrderStatus

if TYPE_CHECKING:
    from aws_durable_execution_sdk_python import DurableContext

DepsFactory = Callable[[], Deps]
Outcome = tuple[OrderStatus, dict[str, Any]]
TRACKING_FAILED = "TRACKING_FAILED"


def _config(retry: RetryStrategy) -> StepConfig:
    return StepConfig(
        retry_strategy=retry, step_semantics=StepSemantics.AT_LEAST_ONCE_PER_RETRY
    )


def provider_step(
    ctx: DurableContext, deps: DepsFactory, op: Op, order: dict[str, Any]
) -> dict[str, Any]:
    """One fulfilment call as a step, retried on the named transient errors."""
    result: dict[str, Any] = ctx.step(
        lambda _: call_provider(deps(), op, order),
        name=op,
        config=_config(provider_retry()),
    )
    return result


def refused(error: StepError) -> bool:
    """True when a provider refused (a TerminalProviderError): nothing happened."""
    return error.error_type in _names(TerminalProviderError)


def _names(base: type) -> set[str]:
    found, todo = set(), [base]
    while todo:
        cls = todo.pop()
        found.add(f"{cls.__module__}.{cls.__qualname__}")
        todo.extend(cls.__subclasses__())
    return found


def undo_in_reverse(
    ctx: DurableContext,
    deps: DepsFactory,
    order: dict[str, Any],
    undos: Iterable[Op],
    *,
    reason: str,
) -> Outcome:
    """Run each undo as its own step, in the order given; CANCELLED, or FAILED.

    An undo that exhausts its (patient) retries leaves money or stock stranded:
    the order ends FAILED with a critical alert instead of CANCELLED.
    """
    undone: list[str] = []
    for undo in undos:
        try:
            result = ctx.step(
                lambda _, u=undo: call_provider(deps(), u, order),  # type: ignore[misc]
                name=undo,
                config=_config(compensation_retry()),
            )
        except StepError as e:
            why = f"{reason}; then {undo} failed: {e.message}"
            raise_alerts(
                ctx,
                deps,
                order["order_id"],
                [
                    reconciliation.alert(
                        order["order_id"],
                        "compensation-failed",
                        "critical",
                        why,
                        undone=undone,
                        failed=str(undo),
                    )
                ],
            )
            return OrderStatus.FAILED, {"reason": why, "compensated": undone}
        if result["done"]:
            undone.append(str(undo))
    return OrderStatus.CANCELLED, {"reason": reason, "compensated": undone}


def await_delivery(
    ctx: DurableContext,
    deps: DepsFactory,
    order: dict[str, Any],
    op: Op,
    shipment_key: str,
) -> dict[str, Any]:
    """Poll the carrier, backing off, until the parcel's journey ends (or time does)."""
    settings = deps().settings
    budget = reconciliation.max_polls(
        first=settings.delivery_poll_seconds,
        longest=settings.delivery_poll_max_seconds,
        window=settings.delivery_window_seconds,
    )
    start = reconciliation.first_poll_state(shipment_key)
    try:
        state: dict[str, Any] = ctx.wait_for_condition(
            lambda state, _: reconciliation.poll_delivery(
                deps(), order["order_id"], state
            ),
            config=WaitForConditionConfig(
                wait_strategy=delivery_wait(
                    first_seconds=settings.delivery_poll_seconds,
                    max_seconds=settings.delivery_poll_max_seconds,
                    max_polls=budget,
                ),
                initial_state=start,
                serdes=JsonSerDes(),  # plain JSON: readable in the history
            ),
            name=op,
        )
    except WaitForConditionError as e:
        # A terminal tracking error (an unknown shipment): there is nothing to
        # wait for, and the books check turns this into a failed order.
        return start | {
            "done": True,
            "status": TRACKING_FAILED,
            "last_error": e.message,
        }
    return state


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
        lambda _: reconciliation.reconcile(
            deps(), order, delivery, may_reship=may_reship
        ),
        name=op,
        config=_config(store_retry()),
    )
    return result


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
                    lambda _, p=plan: reconciliation.repair(deps(), order, p),  # type: ignore[misc]
                    name=plan["op"],
                    config=_config(compensation_retry()),
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
            lambda _: reconciliation.raise_alerts(deps(), order_id, alerts),
            name=Op.RAISE_ALERTS,
            config=_config(store_retry()),
        )
