"""What a return reads of its order, and the units it claims in the order's ledger.

``order_facts`` builds the rules' ``OrderFacts`` from the order's read model
(its status and body) and its ledger (what was captured and refunded, which
parcel was delivered and when). The order's own risk is its policy score
(``orders.risk.assess``), recomputed from the body: the read model keeps no
score, and the risk model stays out of the returns' front door.

Units are claimed atomically: each SKU of an order has a claim sequence in the
order's ledger (provider ``returns``, keys ``<order_id>:returned:<sku>:<n>``,
``orderflow.parts.claims``). A claim (+units, reference the return id) is
decided on the sequence as it stands, so two returns racing for the last unit
cannot both get it; a release (-units) is the same sequence's next entry. The
order's books ignore these entries (they move no money, stock or parcel).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from orderflow.domain.errors import OrderflowError
from orderflow.domain.records import Effect
from orderflow.parts.claims import append_next
from orderflow.ports import Store
from orderflow.processes.orders.ledger import Books
from orderflow.processes.returns.model import ReturnRequest
from orderflow.processes.returns.rules import OrderFacts

PROVIDER = "returns"


class UnitsTakenError(OrderflowError):
    """Other returns hold the units asked for: the SKU and what is left are named."""

    def __init__(self, sku: str, left: int, wanted: int) -> None:
        self.sku = sku
        super().__init__(
            f"{sku}: only {left} unit(s) left to return, not {wanted}; another"
            " return holds the rest"
        )


def order_facts(store: Store, order_id: str) -> OrderFacts | None:
    """The facts of ``order_id`` the rules need; None unless it is an order."""
    from orderflow.processes.orders.order import parse_order
    from orderflow.processes.orders.risk import assess

    record = store.get_subject(order_id)
    if record is None or record.kind != "order":
        return None
    order = parse_order(record.body)
    effects = store.list_effects(order_id)
    books = Books.from_effects(effects)
    delivered = {s.reference for s in books.shipments if s.live and s.delivered}
    arrivals = [
        e.created_at
        for e in effects
        if (e.provider, e.action) == ("shipping", "delivered")
        and e.reference in delivered
    ]
    delivered_at = datetime.fromisoformat(min(arrivals)) if arrivals else None
    return OrderFacts(
        order_id=order_id,
        status=record.status,
        currency=order.currency,
        lines={
            i.sku: (i.quantity if delivered_at else 0, i.amount_cents // i.quantity)
            for i in order.items
        },
        captured_cents=books.captured_cents,
        refunded_cents=books.refunded_cents,
        delivered_at=delivered_at,
        risk_score=assess(order).score,
        customer_id=order.customer.customer_id,
    )


def _prefix(order_id: str, sku: str) -> str:
    return f"{order_id}:returned:{sku}"


def _claims(effects: list[Effect]) -> list[Effect]:
    return [e for e in effects if e.provider == PROVIDER]


def units_held(
    effects: list[Effect], *, by: str | None = None, besides: str | None = None
) -> dict[str, int]:
    """Units per SKU held by returns: all, ``by``'s only, or all but ``besides``'."""
    held: dict[str, int] = {}
    for e in _claims(effects):
        if (by is not None and e.reference != by) or e.reference == besides:
            continue
        sku = e.idempotency_key.split(":returned:", 1)[1].rsplit(":", 1)[0]
        held[sku] = held.get(sku, 0) + e.quantity
    return {sku: units for sku, units in held.items() if units}


def other_returns(effects: list[Effect], return_id: str) -> int:
    """How many other returns have claimed units of the order."""
    return len({e.reference for e in _claims(effects)} - {return_id})


def claim_units(
    store: Store,
    request: ReturnRequest,
    delivered: Mapping[str, int],
    *,
    at: str,
) -> None:
    """Claim every line's units for the return, or none of them.

    A repeat for the same return keeps what it holds. When a SKU has too few
    units left, what this call claimed is released again.

    Raises:
        UnitsTakenError: naming the SKU other returns hold.
    """
    order_id, return_id = request.order_id, request.return_id
    mine = units_held(store.list_effects(order_id), by=return_id)
    claimed: list[str] = []
    for line in request.items:
        if mine.get(line.sku):
            continue
        limit, theirs = delivered.get(line.sku, 0), [False]

        def decide(
            held: list[Effect],
            key: str,
            units: int = line.quantity,
            limit: int = limit,
            theirs: list[bool] = theirs,
        ) -> Effect | None:
            if sum(e.quantity for e in held if e.reference == return_id) > 0:
                theirs[0] = True  # a concurrent submit of this return claimed it
                return None
            if sum(e.quantity for e in held) + units > limit:
                return None
            return Effect(key, order_id, PROVIDER, "claim", 0, units, return_id, at)

        prefix = _prefix(order_id, line.sku)
        made = append_next(store, partition=order_id, prefix=prefix, decide=decide)
        if made is None and not theirs[0]:
            taken = units_held(store.list_effects(order_id)).get(line.sku, 0)
            release_units(store, order_id, return_id, at=at, skus=claimed)
            raise UnitsTakenError(line.sku, max(0, limit - taken), line.quantity)
        claimed.append(line.sku)


def release_units(
    store: Store,
    order_id: str,
    return_id: str,
    *,
    at: str,
    skus: list[str] | None = None,
) -> dict[str, int]:
    """Give back the units the return holds (of ``skus``, or all); what it gave."""
    held = units_held(store.list_effects(order_id), by=return_id)
    given: dict[str, int] = {}
    for sku, units in held.items():
        if skus is not None and sku not in skus:
            continue

        def decide(_: list[Effect], key: str, units: int = units) -> Effect:
            return Effect(key, order_id, PROVIDER, "release", 0, -units, return_id, at)

        append_next(
            store, partition=order_id, prefix=_prefix(order_id, sku), decide=decide
        )
        given[sku] = units
    return given


def return_effects(effects: list[Effect], return_id: str) -> list[Effect]:
    """A return's effects in its order's ledger: under its keys, and its claims."""
    head = return_id + ":"
    return [
        e
        for e in effects
        if e.idempotency_key.startswith(head)
        or (e.provider == PROVIDER and e.reference == return_id)
    ]
