"""Refunds: less for damaged units, and never more than captured less refunded."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderflow.processes.returns.rules import (
    inspected_refund_cents,
    refund_cents,
    refundable_cents,
)
from tests.unit.processes.returns.factories import order_facts, return_request

BOTH_MUGS_AND_THE_BOOK = (("MUG-BLUE", 2), ("BOOK-DDIA", 1))


class OrderLedger:
    """One order's refunded total behind a conditional write, as a store keeps it."""

    def __init__(self, captured_cents: int, refunded_cents: int = 0) -> None:
        self.captured_cents = captured_cents
        self.refunded_cents = refunded_cents

    def write_if(self, expected: int, new: int) -> bool:
        """Set the refunded total to ``new`` only if it is still ``expected``."""
        if self.refunded_cents != expected:
            return False
        self.refunded_cents = new
        return True


def refund(ledger: OrderLedger, wanted: int, seen: int) -> int:
    """Refund up to ``wanted`` from a read of ``seen``, re-reading on a conflict."""
    while True:
        amount = refundable_cents(ledger.captured_cents, seen, wanted)
        if ledger.write_if(seen, seen + amount):
            return amount
        seen = ledger.refunded_cents


def test_an_inspection_without_damage_refunds_the_full_value() -> None:
    request, order = return_request(*BOTH_MUGS_AND_THE_BOOK), order_facts()

    assert inspected_refund_cents(request, order, {}) == refund_cents(request, order)


def test_a_damaged_unit_refunds_nothing_by_default() -> None:
    request = return_request(*BOTH_MUGS_AND_THE_BOOK)

    refund = inspected_refund_cents(request, order_facts(), {"MUG-BLUE": 1})

    assert refund == 12_50 + 39_99


def test_a_damaged_unit_may_refund_a_configured_share_rounded_down() -> None:
    request = return_request(*BOTH_MUGS_AND_THE_BOOK)
    damaged = {"MUG-BLUE": 1, "BOOK-DDIA": 1}

    refund = inspected_refund_cents(
        request, order_facts(), damaged, damaged_refund_percent=50
    )

    assert refund == 12_50 + 6_25 + 19_99


def test_everything_damaged_refunds_zero_not_less() -> None:
    request = return_request(*BOTH_MUGS_AND_THE_BOOK)

    refund = inspected_refund_cents(
        request, order_facts(), {"MUG-BLUE": 2, "BOOK-DDIA": 1}
    )

    assert refund == 0


@pytest.mark.parametrize(
    "damaged",
    [{"SKU-9": 1}, {"BOOK-DDIA": 1}, {"MUG-BLUE": 2}, {"MUG-BLUE": -1}],
)
def test_damage_the_return_does_not_hold_is_refused(damaged: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="damaged"):
        inspected_refund_cents(return_request(("MUG-BLUE", 1)), order_facts(), damaged)


@pytest.mark.parametrize("percent", [-1, 101])
def test_a_damaged_share_outside_0_to_100_is_refused(percent: int) -> None:
    with pytest.raises(ValueError, match="0-100"):
        inspected_refund_cents(
            return_request(), order_facts(), {}, damaged_refund_percent=percent
        )


@pytest.mark.parametrize(
    ("captured", "refunded", "wanted", "expected"),
    [
        (64_99, 0, 12_50, 12_50),
        (64_99, 60_00, 12_50, 4_99),
        (64_99, 64_99, 12_50, 0),
        (64_99, 70_00, 12_50, 0),
        (64_99, 0, -5, 0),
    ],
)
def test_the_refund_is_capped_by_what_was_captured_less_earlier_refunds(
    captured: int, refunded: int, wanted: int, expected: int
) -> None:
    assert refundable_cents(captured, refunded, wanted) == expected


def test_two_concurrent_returns_of_one_unit_refund_it_once_in_total() -> None:
    ledger = OrderLedger(captured_cents=12_50)
    # Both returns read the ledger before either writes.
    first_seen = second_seen = ledger.refunded_cents

    first = refund(ledger, 12_50, first_seen)
    second = refund(ledger, 12_50, second_seen)

    assert (first, second) == (12_50, 0)
    assert ledger.refunded_cents == 12_50


@given(
    captured=st.integers(0, 10**9),
    refunded=st.integers(0, 10**9),
    wanted=st.integers(-(10**9), 10**9),
)
def test_refundable_never_exceeds_captured_less_refunded_nor_goes_negative(
    captured: int, refunded: int, wanted: int
) -> None:
    amount = refundable_cents(captured, refunded, wanted)

    assert 0 <= amount <= max(0, captured - refunded)
    assert amount <= max(0, wanted)
    if 0 <= wanted <= captured - refunded:
        assert amount == wanted


@given(
    captured=st.integers(0, 10**7),
    refunded=st.integers(0, 10**7),
    wants=st.lists(st.integers(0, 10**7), min_size=1, max_size=6),
)
def test_concurrent_refunds_of_one_order_never_pay_back_more_than_is_left(
    captured: int, refunded: int, wants: list[int]
) -> None:
    ledger = OrderLedger(captured, refunded)
    stale = ledger.refunded_cents  # every return read before any wrote

    paid = sum(refund(ledger, wanted, stale) for wanted in wants)

    left = max(0, captured - refunded)
    assert paid == min(sum(wants), left)
    assert ledger.refunded_cents == refunded + paid
