"""Eligibility: which returns may start, and how each refusal is named."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orderflow.processes.returns.rules import (
    ProblemCode,
    ReturnProblem,
    check_eligibility,
    refund_cents,
)
from tests.unit.processes.returns.factories import (
    DELIVERED_AT,
    order_facts,
    return_request,
)

IN_TIME = DELIVERED_AT + timedelta(days=3)


def check(
    *lines: tuple[str, int],
    taken: dict[str, int] | None = None,
    days: timedelta = timedelta(days=3),
    **order: object,
) -> list[ReturnProblem]:
    """The problems with returning ``lines`` of ORD-1001 ``days`` after delivery."""
    return check_eligibility(
        return_request(*lines),
        order_facts(**order),
        open_or_refunded=taken or {},
        now=DELIVERED_AT + days,
    )


def test_a_return_within_the_window_of_delivered_units_is_eligible() -> None:
    assert check(("MUG-BLUE", 2), ("BOOK-DDIA", 1)) == []


def test_an_unknown_order_is_a_404_on_order_id() -> None:
    [problem] = check_eligibility(
        return_request(), None, open_or_refunded={}, now=IN_TIME
    )

    assert (problem.code, problem.field, problem.http_status) == (
        ProblemCode.UNKNOWN_ORDER,
        "order_id",
        404,
    )
    assert "ORD-1001" in problem.message


@pytest.mark.parametrize("status", ["RECEIVED", "FULFILLING", "CANCELLED"])
def test_an_order_not_completed_is_a_409_and_the_only_problem(status: str) -> None:
    [problem] = check(("NOPE", 1), status=status, delivered_at=None)

    assert (problem.code, problem.field, problem.http_status) == (
        ProblemCode.ORDER_NOT_COMPLETED,
        "order_id",
        409,
    )
    assert str(problem) == f"order_id: order ORD-1001 is {status}, not COMPLETED"


def test_a_completed_order_without_a_delivery_is_not_delivered() -> None:
    [problem] = check(delivered_at=None)

    assert (problem.code, problem.field, problem.http_status) == (
        ProblemCode.NOT_DELIVERED,
        "order_id",
        422,
    )


def test_exactly_30_days_after_delivery_is_still_in_time() -> None:
    assert check(days=timedelta(days=30)) == []


def test_just_past_30_days_after_delivery_is_outside_the_window() -> None:
    [problem] = check(days=timedelta(days=30, microseconds=1))

    assert (problem.code, problem.field, problem.http_status) == (
        ProblemCode.OUTSIDE_WINDOW,
        "order_id",
        422,
    )
    assert "2026-03-31T12:00:00+00:00" in problem.message


def test_the_window_is_configurable() -> None:
    request, order = return_request(), order_facts()
    now = DELIVERED_AT + timedelta(days=8)

    short = check_eligibility(
        request, order, open_or_refunded={}, now=now, window=timedelta(days=7)
    )
    long = check_eligibility(
        request, order, open_or_refunded={}, now=now, window=timedelta(days=8)
    )

    assert [p.code for p in short] == [ProblemCode.OUTSIDE_WINDOW]
    assert long == []


def test_a_sku_not_on_the_order_is_named_by_its_line() -> None:
    [problem] = check(("MUG-BLUE", 1), ("SKU-9", 1))

    assert (problem.code, problem.field, problem.http_status) == (
        ProblemCode.SKU_NOT_ON_ORDER,
        "items.1.sku",
        422,
    )
    assert problem.message == "SKU-9 is not on order ORD-1001"


def test_more_units_than_delivered_is_too_many_units() -> None:
    [problem] = check(("BOOK-DDIA", 1), ("MUG-BLUE", 3))

    assert (problem.code, problem.field, problem.http_status) == (
        ProblemCode.TOO_MANY_UNITS,
        "items.1.quantity",
        422,
    )


def test_units_of_other_open_or_refunded_returns_count_against_the_delivery() -> None:
    [problem] = check(("BOOK-DDIA", 1), ("MUG-BLUE", 2), taken={"MUG-BLUE": 1})

    assert problem.field == "items.1.quantity"
    assert problem.message == (
        "MUG-BLUE: 2 delivered and 1 already returned or being returned,"
        " so at most 1 more, not 2"
    )
    assert check(("MUG-BLUE", 1), taken={"MUG-BLUE": 1}) == []


def test_a_fully_returned_sku_takes_no_more_units() -> None:
    [problem] = check(("MUG-BLUE", 1), taken={"MUG-BLUE": 2, "BOOK-DDIA": 1})

    assert problem.code is ProblemCode.TOO_MANY_UNITS
    assert "at most 0 more" in problem.message


def test_every_line_and_delivery_problem_is_reported_in_field_order() -> None:
    found = check(("SKU-9", 1), ("MUG-BLUE", 5), days=timedelta(days=31))

    assert [(p.code, p.field) for p in found] == [
        (ProblemCode.OUTSIDE_WINDOW, "order_id"),
        (ProblemCode.SKU_NOT_ON_ORDER, "items.0.sku"),
        (ProblemCode.TOO_MANY_UNITS, "items.1.quantity"),
    ]


def test_a_problem_has_a_json_form_with_its_code() -> None:
    [problem] = check(("SKU-9", 1))

    assert problem.as_dict() == {
        "code": "sku_not_on_order",
        "field": "items.0.sku",
        "message": "SKU-9 is not on order ORD-1001",
    }


def test_facts_of_another_order_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="ORD-2"):
        check_eligibility(
            return_request(),
            order_facts(order_id="ORD-2"),
            open_or_refunded={},
            now=IN_TIME,
        )


def test_the_refund_value_is_units_times_unit_price() -> None:
    request = return_request(("MUG-BLUE", 2), ("BOOK-DDIA", 1))

    assert refund_cents(request, order_facts()) == 2 * 12_50 + 39_99
    assert refund_cents(return_request(), order_facts()) == 12_50


def test_the_refund_value_of_a_sku_not_on_the_order_is_refused() -> None:
    with pytest.raises(ValueError, match="SKU-9"):
        refund_cents(return_request(("SKU-9", 1)), order_facts())
