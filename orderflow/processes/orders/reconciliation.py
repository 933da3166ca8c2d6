"""After the shipment: wait for delivery, check the books, repair, alert.

Step semantics: AT_LEAST_ONCE_PER_RETRY throughout (set in orderflow/parts/saga.py).
The delivery check only reads tracking (the sandbox's stage events are keyed);
``reconcile`` only reads the ledger; repairs are keyed provider calls; alerts
are keyed on the order and their kind. Running any of them twice changes nothing.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from orderflow.config import Settings
from orderflow.domain.records import Alert
from orderflow.domain.shipping import Tracking
from orderflow.parts import parcels
from orderflow.parts.parcels import OVERDUE, ParcelWait
from orderflow.processes.orders.deps import Deps
from orderflow.processes.orders.fulfilment import idempotency_key, service_of
from orderflow.processes.orders.ledger import Books, Repair, RepairKind, check_books
from orderflow.processes.orders.operations import Op
from orderflow.processes.orders.outcomes import OutcomeModel

REPAIR_OPS: dict[RepairKind, Op] = {
    RepairKind.REFUND_DIFFERENCE: Op.REFUND_DIFFERENCE,
    RepairKind.RELEASE_EXCESS: Op.RELEASE_EXCESS,
    RepairKind.CANCEL_EXTRA_SHIPMENTS: Op.CANCEL_EXTRA_SHIPMENTS,
    RepairKind.RESHIP: Op.RESHIP_ORDER,
}
MODEL = OutcomeModel()


def delivery(settings: Settings) -> ParcelWait:
    """How an order waits for its parcel (orderflow/config.py's delivery settings)."""
    return ParcelWait(
        settings.delivery_poll_seconds,
        settings.delivery_poll_max_seconds,
        settings.delivery_window_seconds,
    )


def poll_delivery(deps: Deps, order_id: str, state: dict[str, Any]) -> dict[str, Any]:
    """One delivery check of the order's parcel (``parts.parcels.poll``)."""

    def track(shipment_key: str) -> Tracking:
        return deps.provider.shipping.track(order_id, shipment_key)

    return parcels.poll(track, state, now=deps.now(), wait=delivery(deps.settings))


def reconcile(
    deps: Deps, order: dict[str, Any], delivery: dict[str, Any], *, may_reship: bool
) -> dict[str, Any]:
    """The books against the order, the repairs they call for, and anomalies."""
    order_id = order["order_id"]
    books = Books.from_effects(deps.store.list_effects(order_id))
    check = check_books(
        books,
        total_cents=order["total_cents"],
        units=order["units"],
        tracked=delivery["shipment_key"],
        status=delivery.get("status", OVERDUE),
        may_reship=may_reship,
    )
    anomalies = MODEL.assess(
        service=delivery.get("service") or service_of(deps, order_id),
        transit_hours=delivery.get("transit_hours"),
        captured_cents=books.captured_cents,
        refunded_cents=books.refunded_cents,
    )
    return {
        "ok": check.ok,
        "captured_cents": books.captured_cents,
        "refunded_cents": books.refunded_cents,
        "units_moved": books.units_moved,
        "live_shipments": len(books.live_shipments),
        "problems": list(check.problems),
        "unrepairable": list(check.unrepairable),
        "repairs": [_repair_dict(r) for r in check.repairs],
        "anomalies": [asdict(a) for a in anomalies],
    }


def _repair_dict(repair: Repair) -> dict[str, Any]:
    return {
        "op": REPAIR_OPS[repair.kind].value,
        "kind": repair.kind.value,
        "amount_cents": repair.amount_cents,
        "units": repair.units,
        "shipment_keys": list(repair.shipment_keys),
    }


def repair(deps: Deps, order: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
    """Carry out one repair from ``reconcile``'s plan; what it did."""
    p, order_id = deps.provider, order["order_id"]
    op = Op(plan["op"])
    key = idempotency_key(order_id, op)
    done: list[Any] = []
    if op is Op.REFUND_DIFFERENCE:
        done.append(p.payment.refund(order_id, plan["amount_cents"], key=key))
    elif op is Op.RELEASE_EXCESS:
        done.append(p.inventory.release(order_id, plan["units"], key=key))
    elif op is Op.CANCEL_EXTRA_SHIPMENTS:
        for extra in plan["shipment_keys"]:
            done.append(p.shipping.cancel(order_id, extra, key=f"{key}:{extra}"))
    else:
        done.append(
            p.shipping.create(
                order_id,
                units=order["units"],
                service=service_of(deps, order_id),
                key=key,
            )
        )
    return {
        "op": op.value,
        "amount_cents": -sum(e.amount_cents for e in done if e),
        "units": -sum(e.quantity for e in done if e) if op is Op.RELEASE_EXCESS else 0,
        "effects": [e.idempotency_key for e in done if e],
    }


def raise_alerts(deps: Deps, order_id: str, alerts: list[dict[str, Any]]) -> int:
    """Record each alert once (keyed on the order and its kind); how many are new."""
    at = deps.stamp()
    return sum(
        deps.store.add_alert(Alert(subject_id=order_id, created_at=at, **alert))
        for alert in alerts
    )


def alert(
    order_id: str, kind: str, severity: str, message: str, **detail: Any
) -> dict[str, Any]:
    """An alert's JSON form, ready for ``raise_alerts``."""
    return {
        "alert_id": f"{order_id}:{kind}",
        "kind": kind,
        "severity": severity,
        "message": message,
        "detail": detail,
    }


def alerts_for(
    order_id: str,
    first: dict[str, Any],
    final: dict[str, Any],
    adjustments: list[dict[str, Any]],
    failure: str | None,
) -> list[dict[str, Any]]:
    """The alerts a reconciliation raises: a mismatch, repaired or not, and anomalies.

    Args:
        order_id: the order.
        first: the first check of the books.
        final: the check after repairs (``first`` when none were needed).
        adjustments: what the repairs did.
        failure: why a repair step failed, if one did.
    """
    alerts = []
    if failure or not final["ok"]:
        remaining = [failure] if failure else final["problems"]
        alerts.append(
            alert(
                order_id,
                "reconciliation-failed",
                "critical",
                "books do not match and could not be repaired: " + "; ".join(remaining),
                problems=first["problems"],
                remaining=remaining,
                adjustments=adjustments,
            )
        )
    elif first["problems"]:
        alerts.append(
            alert(
                order_id,
                "books-repaired",
                "warning",
                "books did not match (" + "; ".join(first["problems"]) + "); repaired"
                " by " + ", ".join(a["op"] for a in adjustments),
                problems=first["problems"],
                adjustments=adjustments,
            )
        )
    for anomaly in final["anomalies"]:
        alerts.append(
            alert(
                order_id,
                anomaly["kind"],
                "warning",
                anomaly["message"],
                value=anomaly["value"],
                z=anomaly["z"],
            )
        )
    return alerts
