"""The provider contract for returns: labels, restocks and refunds that race.

What the returns workflow relies on from any adapter, on top of
test_provider_contract.py's promises (the same ``providers`` fixture):

1. A return label, a restock and their undos are keyed like every other call.
2. A return label is an inbound parcel: ``track`` follows it, and it never
   reads as a live outbound shipment in the order's books.
3. A restock is not a release: the order's reserved-less-released units stay
   as they were, and a restock never puts back more than the order took out.
4. Refunds never exceed what was captured less earlier refunds, also when two
   returns of one order refund at the same moment.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.domain.records import Effect
from orderflow.domain.shipping import ShipmentStatus
from orderflow.ports import Providers
from orderflow.processes.orders.ledger import Books
from tests.contract.test_provider_contract import ledger_of, providers

__all__ = ["ledger_of", "providers"]


def _delivered_order(providers: Providers, units: int = 2, cents: int = 5_000) -> None:
    """O-1 reserved, captured, shipped and delivered."""
    providers.inventory.reserve("O-1", units, key="O-1:reserve")
    providers.payment.authorize("O-1", cents, key="O-1:authorize")
    providers.payment.capture("O-1", cents, key="O-1:capture")
    providers.shipping.create("O-1", units=units, service="standard", key="O-1:ship")
    while not providers.shipping.track("O-1", "O-1:ship").status.is_final:
        pass


@pytest.mark.parametrize("method", ["label", "restock", "withdraw", "void"])
def test_every_return_call_is_idempotent(
    providers: Providers, ledger_of: SqliteStore, method: str
) -> None:
    _delivered_order(providers)
    providers.shipping.create_return_label("O-1", units=1, key="R-1:label")
    providers.inventory.restock("O-1", 1, key="R-1:restock")
    calls: dict[str, Callable[[], Effect | None]] = {
        "label": lambda: providers.shipping.create_return_label(
            "O-1", units=1, key="R-1:label"
        ),
        "restock": lambda: providers.inventory.restock("O-1", 2, key="R-1:restock"),
        "withdraw": lambda: providers.inventory.withdraw("O-1", 1, key="R-1:w"),
        "void": lambda: providers.shipping.void_return_label(
            "O-1", "R-1:label", key="R-1:void"
        ),
    }
    first = calls[method]()
    after_first = ledger_of.list_effects("O-1")

    second = calls[method]()

    assert first == second and first is not None
    assert ledger_of.list_effects("O-1") == after_first


def test_a_return_label_is_tracked_and_never_a_live_shipment(
    providers: Providers, ledger_of: SqliteStore
) -> None:
    _delivered_order(providers)

    providers.shipping.create_return_label("O-1", units=1, key="R-1:label")
    statuses = [providers.shipping.track("O-1", "R-1:label") for _ in range(3)]

    assert [t.status for t in statuses] == [
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.DELIVERED,
        ShipmentStatus.DELIVERED,
    ]
    assert statuses[-1].damaged_units == 0
    books = Books.from_effects(ledger_of.list_effects("O-1"))
    assert books.live_shipments == ("O-1:ship",)
    assert [s.delivered for s in books.shipments] == [True]


def test_a_label_is_voidable_until_its_parcel_moves(providers: Providers) -> None:
    _delivered_order(providers)
    providers.shipping.create_return_label("O-1", units=1, key="R-1:label")
    providers.shipping.create_return_label("O-1", units=1, key="R-2:label")
    providers.shipping.track("O-1", "R-2:label")  # R-2's parcel is on its way

    voided = providers.shipping.void_return_label("O-1", "R-1:label", key="R-1:v")
    moving = providers.shipping.void_return_label("O-1", "R-2:label", key="R-2:v")

    assert voided is not None
    assert moving is None
    assert providers.shipping.void_return_label("O-1", "nope", key="x") is None
    tracked = providers.shipping.track("O-1", "R-1:label")
    assert tracked.status is ShipmentStatus.CANCELLED


def test_a_restock_is_not_a_release_and_puts_back_at_most_what_went_out(
    providers: Providers, ledger_of: SqliteStore
) -> None:
    _delivered_order(providers, units=2)

    first = providers.inventory.restock("O-1", 1, key="R-1:restock")
    capped = providers.inventory.restock("O-1", 5, key="R-2:restock")
    nothing_left = providers.inventory.restock("O-1", 1, key="R-3:restock")

    assert first is not None and first.quantity == 1
    assert capped is not None and capped.quantity == 1
    assert nothing_left is None
    books = Books.from_effects(ledger_of.list_effects("O-1"))
    assert (books.units_moved, books.restocked_units, books.units_out) == (2, 2, 0)
    assert providers.inventory.release("O-1", 9, key="rel") is not None  # as before


def test_withdrawing_takes_back_only_what_was_restocked(
    providers: Providers, ledger_of: SqliteStore
) -> None:
    _delivered_order(providers, units=2)
    assert providers.inventory.withdraw("O-1", 1, key="w-0") is None
    providers.inventory.restock("O-1", 1, key="R-1:restock")

    taken = providers.inventory.withdraw("O-1", 3, key="w-1")

    assert taken is not None and taken.quantity == -1
    assert Books.from_effects(ledger_of.list_effects("O-1")).restocked_units == 0


def test_refunds_of_one_order_made_at_once_never_exceed_the_capture(
    providers: Providers, ledger_of: SqliteStore
) -> None:
    _delivered_order(providers, cents=10_000)
    threads, start = 8, threading.Barrier(8)
    given: list[Effect | None] = [None] * threads

    def refund(i: int) -> None:
        start.wait()
        given[i] = providers.payment.refund("O-1", 6_000, key=f"R-{i}:refund")

    workers = [threading.Thread(target=refund, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()

    amounts = sorted(-e.amount_cents for e in given if e is not None)
    assert amounts == [4_000, 6_000]
    books = Books.from_effects(ledger_of.list_effects("O-1"))
    assert (books.captured_cents, books.refunded_cents) == (10_000, 10_000)
    again = [providers.payment.refund("O-1", 1, key=f"R-{i}:refund") for i in range(8)]
    assert again == given  # each key keeps its first answer
