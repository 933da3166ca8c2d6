"""The books of one order, read from the providers' ledgers, and what repairs them.

Effects carry signed amounts (see ``orderflow.domain.records.Effect``): a capture
is +amount and a refund -amount, a reservation +units and a release -units, a
shipment +1 and its cancellation or return -1. Authorisations (+) and voids (-)
are holds, not money moved. Tracking events (in transit, held, delivered) carry
no amount; they tell which shipment reached the customer. A customer's return
adds its own actions, none of which the order's check reads: a restock (+units,
undone by a withdraw) is returned goods back on the shelf, not a release of the
reservation; a return label (and its void, its scans) is an inbound parcel, not
a live shipment.

``check_books`` compares the books with what the order owes and proposes
repairs for what can be put right without a human: money taken twice is
refunded, units reserved twice are released, a second parcel is cancelled, a
returned parcel is sent again (once). Anything else is unrepairable: we never
charge a customer again, or take stock we were not given, without a person.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from orderflow.domain.records import Effect
from orderflow.domain.shipping import ShipmentStatus


class RepairKind(StrEnum):
    """A compensating action reconciliation may take on its own."""

    REFUND_DIFFERENCE = "refund-difference"
    RELEASE_EXCESS = "release-excess"
    CANCEL_EXTRA_SHIPMENTS = "cancel-extra-shipments"
    RESHIP = "reship"


@dataclass(frozen=True)
class Shipment:
    """One parcel in the shipping ledger."""

    key: str  # the idempotency key it was created under
    reference: str
    live: bool  # created and neither cancelled nor returned
    delivered: bool


@dataclass(frozen=True)
class Books:
    """Sums over one order's effects."""

    authorized_cents: int = 0
    captured_cents: int = 0
    refunded_cents: int = 0
    voided_cents: int = 0
    reserved_units: int = 0
    released_units: int = 0
    restocked_units: int = 0  # returned units back on the shelf, net of withdraws
    shipments: tuple[Shipment, ...] = ()

    @property
    def net_cents(self) -> int:
        """Money kept: captured less refunded."""
        return self.captured_cents - self.refunded_cents

    @property
    def held_cents(self) -> int:
        """Authorised money neither captured nor voided."""
        return max(0, self.authorized_cents - self.captured_cents - self.voided_cents)

    @property
    def units_moved(self) -> int:
        """Stock taken for the order: reserved less released."""
        return self.reserved_units - self.released_units

    @property
    def units_out(self) -> int:
        """Units taken for the order and not (yet) restocked from a return."""
        return self.units_moved - self.restocked_units

    @property
    def live_shipments(self) -> tuple[str, ...]:
        """Keys of the parcels still out there."""
        return tuple(s.key for s in self.shipments if s.live)

    @classmethod
    def from_effects(cls, effects: Iterable[Effect]) -> Books:
        """Add up an order's ledger."""
        sums: dict[str, int] = {}
        created: dict[str, str] = {}  # reference -> key
        ended: set[str] = set()
        delivered: set[str] = set()
        for e in effects:
            name = f"{e.provider}.{e.action}"
            sums[name] = sums.get(name, 0) + (
                e.quantity if e.provider == "inventory" else e.amount_cents
            )
            if name == "shipping.create":
                created[e.reference] = e.idempotency_key
            elif name in ("shipping.cancel", "shipping.returned"):
                ended.add(e.reference)
            elif name == "shipping.delivered":
                delivered.add(e.reference)
        return cls(
            authorized_cents=sums.get("payment.authorize", 0),
            captured_cents=sums.get("payment.capture", 0),
            refunded_cents=-sums.get("payment.refund", 0),
            voided_cents=-sums.get("payment.void", 0),
            reserved_units=sums.get("inventory.reserve", 0),
            released_units=-sums.get("inventory.release", 0),
            restocked_units=sums.get("inventory.restock", 0)
            + sums.get("inventory.withdraw", 0),
            shipments=tuple(
                Shipment(key, ref, ref not in ended, ref in delivered)
                for ref, key in created.items()
            ),
        )


@dataclass(frozen=True)
class Repair:
    """One compensating action with what it needs."""

    kind: RepairKind
    amount_cents: int = 0
    units: int = 0
    shipment_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class BooksCheck:
    """What is wrong with the books, and what can be done about it."""

    problems: tuple[str, ...] = ()
    repairs: tuple[Repair, ...] = ()
    unrepairable: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when the books match the order."""
        return not self.problems


def check_books(
    books: Books,
    *,
    total_cents: int,
    units: int,
    tracked: str,
    status: ShipmentStatus | str,
    may_reship: bool,
) -> BooksCheck:
    """Compare ``books`` with the order; ``tracked`` is the shipment polled to its end.

    Args:
        books: the order's ledger, summed.
        total_cents: what the customer owes.
        units: how many units the order has.
        tracked: key of the shipment whose delivery was awaited.
        status: where that shipment ended (DELIVERED, RETURNED, or not final).
        may_reship: whether a returned parcel may be sent again.
    """
    problems: list[str] = []
    repairs: list[Repair] = []
    unrepairable: list[str] = []

    def problem(text: str, repair: Repair | None) -> None:
        problems.append(text)
        if repair is None:
            unrepairable.append(text)
        else:
            repairs.append(repair)

    net = books.net_cents
    if net != total_cents:
        text = f"captured {net} cents net of refunds, order owes {total_cents}"
        over = net > total_cents
        problem(
            text,
            Repair(RepairKind.REFUND_DIFFERENCE, net - total_cents) if over else None,
        )
    moved = books.units_moved
    if moved != units:
        text = f"{moved} units moved, order has {units}"
        over = moved > units
        problem(
            text,
            Repair(RepairKind.RELEASE_EXCESS, units=moved - units) if over else None,
        )
    extras = tuple(k for k in books.live_shipments if k != tracked)
    if extras:
        problem(
            f"{len(books.live_shipments)} live shipments, expected 1",
            Repair(RepairKind.CANCEL_EXTRA_SHIPMENTS, shipment_keys=extras),
        )
    if status == ShipmentStatus.RETURNED:
        problem(
            f"shipment {tracked} was returned",
            Repair(RepairKind.RESHIP) if may_reship else None,
        )
    elif status != ShipmentStatus.DELIVERED:
        problem(f"shipment {tracked} not delivered ({status})", None)
    elif tracked not in books.live_shipments:
        problem(f"delivered shipment {tracked} is not in the shipping ledger", None)
    return BooksCheck(tuple(problems), tuple(repairs), tuple(unrepairable))
