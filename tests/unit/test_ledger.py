"""The books of an order and the repairs they call for (pure: no store, no SDK)."""

from __future__ import annotations

import pytest

from orderflow.domain.records import Effect
from orderflow.domain.shipping import ShipmentStatus as S
from orderflow.processes.orders.ledger import (
    Books,
    Repair,
    RepairKind,
    Shipment,
    check_books,
)

TOTAL, UNITS = 6499, 3


def fx(key: str, name: str, amount: int = 0, qty: int = 0, ref: str = "") -> Effect:
    """One ledger line: ``name`` is provider.action."""
    provider, action = name.split(".")
    return Effect(key, "O-1", provider, action, amount, qty, ref or key)


def fulfilled(*extra: Effect) -> list[Effect]:
    """A clean fulfilment and delivery, then ``extra``."""
    return [
        fx("res", "inventory.reserve", qty=UNITS),
        fx("auth", "payment.authorize", TOTAL),
        fx("ship", "shipping.create", qty=1, ref="SBX-A"),
        fx("cap", "payment.capture", TOTAL),
        fx("ship:in_transit", "shipping.in_transit", ref="SBX-A"),
        fx("ship:delivered", "shipping.delivered", ref="SBX-A"),
        *extra,
    ]


def check(
    effects: list[Effect], status: S = S.DELIVERED, *, reship: bool = True
) -> tuple[tuple[str, ...], tuple[Repair, ...], tuple[str, ...]]:
    result = check_books(
        Books.from_effects(effects),
        total_cents=TOTAL,
        units=UNITS,
        tracked="ship",
        status=status,
        may_reship=reship,
    )
    assert result.ok == (not result.problems)
    return result.problems, result.repairs, result.unrepairable


def test_books_sum_signed_effects_by_action() -> None:
    books = Books.from_effects(
        fulfilled(
            fx("ref", "payment.refund", -500),
            fx("rel", "inventory.release", qty=-1),
        )
    )

    assert (books.captured_cents, books.refunded_cents, books.net_cents) == (
        TOTAL,
        500,
        TOTAL - 500,
    )
    assert (books.held_cents, books.units_moved) == (0, UNITS - 1)
    assert books.live_shipments == ("ship",)
    assert books.shipments[0].delivered


def test_an_uncaptured_authorisation_is_held_until_voided() -> None:
    held = Books.from_effects([fx("auth", "payment.authorize", TOTAL)])
    voided = Books.from_effects(
        [fx("auth", "payment.authorize", TOTAL), fx("v", "payment.void", -TOTAL)]
    )

    assert (held.held_cents, voided.held_cents) == (TOTAL, 0)
    assert held.net_cents == 0


def test_clean_books_have_no_problems() -> None:
    assert check(fulfilled()) == ((), (), ())


def test_money_taken_twice_is_refunded_by_the_difference() -> None:
    problems, repairs, unrepairable = check(
        fulfilled(fx("cap#dup", "payment.capture", TOTAL))
    )

    assert problems == (
        f"captured {2 * TOTAL} cents net of refunds, order owes {TOTAL}",
    )
    assert repairs == (Repair(RepairKind.REFUND_DIFFERENCE, amount_cents=TOTAL),)
    assert unrepairable == ()


def test_money_missing_is_never_charged_again() -> None:
    problems, repairs, unrepairable = check(fulfilled(fx("r", "payment.refund", -99)))

    assert repairs == ()
    assert (
        unrepairable
        == problems
        == (f"captured {TOTAL - 99} cents net of refunds, order owes {TOTAL}",)
    )


def test_stock_reserved_twice_is_released_and_stock_missing_is_not_taken() -> None:
    _, over, _ = check(fulfilled(fx("res#dup", "inventory.reserve", qty=UNITS)))
    _, under, lost = check(fulfilled(fx("rel", "inventory.release", qty=-1)))

    assert over == (Repair(RepairKind.RELEASE_EXCESS, units=UNITS),)
    assert (under, lost) == ((), (f"{UNITS - 1} units moved, order has {UNITS}",))


def test_a_second_live_parcel_is_cancelled_and_the_delivered_one_kept() -> None:
    _, repairs, _ = check(fulfilled(fx("ship#dup", "shipping.create", qty=1)))

    assert repairs == (
        Repair(RepairKind.CANCEL_EXTRA_SHIPMENTS, shipment_keys=("ship#dup",)),
    )


def test_a_returned_parcel_is_reshipped_once_then_given_up() -> None:
    returned = [
        *fulfilled()[:-1],
        fx("ship:returned", "shipping.returned", qty=-1, ref="SBX-A"),
    ]

    _, first, _ = check(returned, S.RETURNED)
    _, second, unrepairable = check(returned, S.RETURNED, reship=False)

    assert first == (Repair(RepairKind.RESHIP),)
    assert second == ()
    assert unrepairable == ("shipment ship was returned",)


@pytest.mark.parametrize("status", [S.IN_TRANSIT, S.HELD, "OVERDUE", "TRACKING_FAILED"])
def test_a_parcel_not_delivered_is_unrepairable(status: str) -> None:
    problems, repairs, unrepairable = check(fulfilled()[:-1], status)

    assert repairs == ()
    assert unrepairable == problems == (f"shipment ship not delivered ({status})",)


def test_cancelled_and_returned_parcels_are_not_live_only_a_delivery_delivers() -> None:
    books = Books.from_effects(
        fulfilled(
            fx("ship#2", "shipping.create", qty=1, ref="SBX-B"),
            fx("ship#2:cancel", "shipping.cancel", qty=-1, ref="SBX-B"),
            fx("ship#3", "shipping.create", qty=1, ref="SBX-C"),
            fx("ship#3:in_transit", "shipping.in_transit", ref="SBX-C"),
            fx("ship#3:returned", "shipping.returned", qty=-1, ref="SBX-C"),
        )
    )

    assert books.shipments == (
        Shipment("ship", "SBX-A", live=True, delivered=True),
        Shipment("ship#2", "SBX-B", live=False, delivered=False),
        Shipment("ship#3", "SBX-C", live=False, delivered=False),
    )
    assert books.live_shipments == ("ship",)


def test_a_second_live_parcel_is_named_in_the_problem() -> None:
    problems, _, unrepairable = check(
        fulfilled(fx("ship#dup", "shipping.create", qty=1, ref="SBX-B"))
    )

    assert problems == ("2 live shipments, expected 1",)
    assert unrepairable == ()


def test_a_delivered_parcel_missing_from_the_shipping_ledger_is_unrepairable() -> None:
    # The carrier says "delivered", but the ledger has no live parcel of that
    # key (its creation was never recorded, or it was cancelled since).
    missing = [e for e in fulfilled() if e.idempotency_key != "ship"]
    cancelled = fulfilled(fx("ship:cancel", "shipping.cancel", qty=-1, ref="SBX-A"))

    for effects in (missing, cancelled):
        problems, repairs, unrepairable = check(effects, S.DELIVERED)

        text = "delivered shipment ship is not in the shipping ledger"
        assert (problems, repairs, unrepairable) == ((text,), (), (text,))
