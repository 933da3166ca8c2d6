"""After the shipment: do the books match the order?"""

from __future__ import annotations

from typing import Any

from orderflow.steps.deps import Deps


def reconcile(
    deps: Deps, order_id: str, *, total_cents: int, units: int
) -> dict[str, Any]:
    """Check the books: money, stock and shipments against what the order owes."""
    effects = deps.store.list_effects(order_id)
    captured = sum(e.amount_cents for e in effects if e.provider == "payment")
    stock = sum(e.quantity for e in effects if e.provider == "inventory")
    shipments = sum(e.quantity for e in effects if e.provider == "shipping")
    problems = []
    if captured != total_cents:
        problems.append(f"captured {captured} cents, order owes {total_cents}")
    if stock != units:
        problems.append(f"{stock} units moved, order has {units}")
    if shipments != 1:
        problems.append(f"{shipments} live shipments, expected 1")
    return {
        "ok": not problems,
        "captured_cents": captured,
        "units_moved": stock,
        "live_shipments": shipments,
        "problems": problems,
    }
