"""The return's step bodies: each a keyed provider call, a keyed write or a read.

Every body runs AT_LEAST_ONCE_PER_RETRY (``saga.step_config``): its provider
calls carry keys made from the return id and the operation's stable name
(``operations.return_key``), so running one again after a crash changes
nothing. Each answers plain JSON.
"""

from __future__ import annotations

from typing import Any

from orderflow.domain.records import Alert, Effect
from orderflow.domain.shipping import Tracking
from orderflow.parts import parcels
from orderflow.parts.parcels import ParcelWait
from orderflow.processes.orders.fulfilment import effect_summary
from orderflow.processes.orders.ledger import Books
from orderflow.processes.returns.approval import KIND
from orderflow.processes.returns.books import (
    UnitsTakenError,
    claim_units,
    release_units,
    return_effects,
)
from orderflow.processes.returns.checks import check_return
from orderflow.processes.returns.deps import ReturnDeps
from orderflow.processes.returns.model import parse_return
from orderflow.processes.returns.operations import (
    WORKFLOW_VERSION,
    ReturnOp,
    return_key,
)
from orderflow.processes.returns.rules import (
    ReturnRoute,
    inspected_refund_cents,
    refundable_cents,
)


def validate_return(deps: ReturnDeps, event: Any) -> dict[str, Any]:
    """Re-check the return against its order, hold its units, and route it.

    Raises:
        InvalidReturnError: the event is not a return (the execution fails).
    """
    request = parse_return(event)
    checked = check_return(deps.store, deps.returns, request, now=deps.now())
    at = deps.stamp()
    base = {
        "return_id": request.return_id,
        "order_id": request.order_id,
        "workflow_version": WORKFLOW_VERSION,
    }
    if checked.problems:
        deps.store.create_subject(KIND, request.return_id, request.model_dump(), at=at)
        reasons = [str(p) for p in checked.problems]
        return base | {"route": ReturnRoute.DENY.value, "reasons": reasons}
    deps.store.create_subject(KIND, request.return_id, checked.body(), at=at)
    try:
        claim_units(deps.store, request, checked.delivered(), at=at)
    except UnitsTakenError as e:
        return base | {"route": ReturnRoute.DENY.value, "reasons": [str(e)]}
    risk = checked.route(deps.returns)
    return base | {
        "route": risk.route.value,
        "reasons": list(risk.reasons),
        "risk": {"score": risk.score, "reasons": list(risk.reasons)},
        "currency": checked.order.currency.value,
        "refund_cents": checked.refund_cents(),
        "units": sum(line.quantity for line in request.items),
    }


def create_label(deps: ReturnDeps, checked: dict[str, Any]) -> dict[str, Any]:
    """Issue the return label for every unit coming back."""
    key = return_key(checked["return_id"], ReturnOp.CREATE_RETURN_LABEL)
    label = deps.provider.shipping.create_return_label(
        checked["order_id"], units=checked["units"], key=key
    )
    return effect_summary(label)


def void_label(deps: ReturnDeps, checked: dict[str, Any]) -> dict[str, Any]:
    """Void the label (its parcel never came); done False if it is on its way."""
    rid = checked["return_id"]
    voided = deps.provider.shipping.void_return_label(
        checked["order_id"],
        return_key(rid, ReturnOp.CREATE_RETURN_LABEL),
        key=return_key(rid, ReturnOp.VOID_RETURN_LABEL),
    )
    return effect_summary(voided)


def release(deps: ReturnDeps, checked: dict[str, Any]) -> dict[str, int]:
    """Give back the units the return holds, so another return may take them."""
    return release_units(
        deps.store, checked["order_id"], checked["return_id"], at=deps.stamp()
    )


def parcel_wait(deps: ReturnDeps) -> ParcelWait:
    """How a return waits for its parcel (the return's settings)."""
    r = deps.returns
    return ParcelWait(
        r.parcel_poll_seconds, r.parcel_poll_max_seconds, r.parcel_deadline_seconds
    )


def poll_parcel(
    deps: ReturnDeps, order_id: str, state: dict[str, Any]
) -> dict[str, Any]:
    """One check of the return parcel (``parts.parcels.poll``): arrived, or late."""

    def track(label_key: str) -> Tracking:
        return deps.provider.shipping.track(order_id, label_key)

    return parcels.poll(track, state, now=deps.now(), wait=parcel_wait(deps))


def damaged_by_sku(event: Any, damaged_units: int) -> dict[str, int]:
    """The warehouse's damaged count, laid over the return's lines in order."""
    left, found = damaged_units, {}
    for line in parse_return(event).items:
        if left <= 0:
            break
        found[line.sku] = min(left, line.quantity)
        left -= found[line.sku]
    return found


def restock(deps: ReturnDeps, checked: dict[str, Any], units: int) -> dict[str, Any]:
    """Put the intact units back on the shelf; done False when none are intact."""
    if units <= 0:
        return effect_summary(None)
    key = return_key(checked["return_id"], ReturnOp.RESTOCK_INVENTORY)
    return effect_summary(
        deps.provider.inventory.restock(checked["order_id"], units, key=key)
    )


def withdraw(deps: ReturnDeps, checked: dict[str, Any], units: int) -> dict[str, Any]:
    """Undo the restock (the refund failed): take the units off the shelf again."""
    if units <= 0:
        return effect_summary(None)
    key = return_key(checked["return_id"], ReturnOp.WITHDRAW_RESTOCK)
    return effect_summary(
        deps.provider.inventory.withdraw(checked["order_id"], units, key=key)
    )


def _own(effects: list[Effect], key: str) -> Effect | None:
    return next((e for e in effects if e.idempotency_key == key), None)


def refund(deps: ReturnDeps, event: Any, damaged: dict[str, int]) -> dict[str, Any]:
    """Refund the inspected value, capped by what the order has left to refund."""
    from orderflow.processes.returns.books import order_facts

    request = parse_return(event)
    order_id = request.order_id
    key = return_key(request.return_id, ReturnOp.REFUND_PAYMENT)
    effects = deps.store.list_effects(order_id)
    if (done := _own(effects, key)) is not None:
        return effect_summary(done)
    facts = order_facts(deps.store, order_id)
    assert facts is not None, f"order {order_id} was checked in validate-return"
    wanted = inspected_refund_cents(
        request,
        facts,
        damaged,
        damaged_refund_percent=deps.returns.damaged_refund_percent,
    )
    amount = refundable_cents(facts.captured_cents, facts.refunded_cents, wanted)
    if amount <= 0:
        return effect_summary(None)
    # The provider caps again, atomically: two returns refunding at once.
    return effect_summary(deps.provider.payment.refund(order_id, amount, key=key))


def check_refund(deps: ReturnDeps, checked: dict[str, Any]) -> dict[str, Any]:
    """The refund's undo: money is never taken back, so it only reads what was paid."""
    key = return_key(checked["return_id"], ReturnOp.REFUND_PAYMENT)
    paid = _own(deps.store.list_effects(checked["order_id"]), key)
    return {"done": False, "refunded_cents": -paid.amount_cents if paid else 0}


def check_order_books(deps: ReturnDeps, checked: dict[str, Any]) -> dict[str, Any]:
    """The order's books after the return: they still add up, and hold its refund."""
    order_id, rid = checked["order_id"], checked["return_id"]
    effects = deps.store.list_effects(order_id)
    books = Books.from_effects(effects)
    mine = return_effects(effects, rid)
    refunded = -sum(e.amount_cents for e in mine if e.provider == "payment")
    restocked = sum(e.quantity for e in mine if e.provider == "inventory")
    problems = []
    # Net captured is captured less every refund of the order, this one's too:
    # it must never go below nothing.
    if books.refunded_cents > books.captured_cents:
        problems.append(
            f"refunded {books.refunded_cents} cents of {books.captured_cents} captured"
        )
    if books.restocked_units > books.units_moved:
        problems.append(
            f"{books.restocked_units} units restocked of {books.units_moved} sold"
        )
    return {
        "ok": not problems,
        "problems": problems,
        "refunded_cents": refunded,
        "restocked_units": restocked,
        "order_captured_cents": books.captured_cents,
        "order_refunded_cents": books.refunded_cents,
        "order_net_cents": books.net_cents,
    }


def raise_alerts(deps: ReturnDeps, return_id: str, alerts: list[dict[str, Any]]) -> int:
    """Record each alert once (keyed on the return and its kind); how many are new."""
    at = deps.stamp()
    return sum(
        deps.store.add_alert(
            Alert(
                alert_id=f"{return_id}:{a['kind']}",
                subject_id=return_id,
                created_at=at,
                **a,
            )
        )
        for a in alerts
    )
