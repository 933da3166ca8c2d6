"""The order model: what parse_order accepts, and how it names what it refuses."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderflow.domain.errors import FieldProblem, InvalidOrderError
from orderflow.processes.orders.order import Order, ShippingSpeed, parse_order
from tests.unit.strategies import damaged_orders, json_values, valid_orders
from tests.utils.orders import load_event, low_risk_order


def problems(data: Any) -> dict[str, str]:
    """parse_order's complaints about ``data``, field -> message."""
    with pytest.raises(InvalidOrderError) as caught:
        parse_order(data)
    return {p.field: p.message for p in caught.value.fields}


def test_low_risk_sample_parses_with_totals_in_cents() -> None:
    order = parse_order(load_event("order-low-risk.json"))

    assert order.order_id == "ORD-1001"
    assert order.total_cents == 39_99 + 2 * 12_50
    assert order.total == Decimal("64.99")
    assert order.items[1].amount_cents == 25_00
    assert order.shipping_speed is ShippingSpeed.STANDARD


def test_invalid_sample_names_each_failing_field() -> None:
    found = problems(load_event("order-invalid.json"))

    assert set(found) == {"items.0.quantity", "currency"}
    assert found["currency"].startswith("must be one of")
    assert "USD" in found["currency"]


@pytest.mark.parametrize("data", [None, [], "order", 42, True])
def test_non_object_input_is_a_body_problem(data: Any) -> None:
    assert problems(data) == {"body": "must be a JSON object"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda o: o["customer"].pop("email"), "customer.email"),
        (lambda o: o["items"][0].update(quantity=True), "items.0.quantity"),
        (lambda o: o["items"][0].update(quantity=1_001), "items.0.quantity"),
        (lambda o: o["items"][0].update(unit_price="1.001"), "items.0.unit_price"),
        (lambda o: o["items"][0].update(unit_price="0"), "items.0.unit_price"),
        (lambda o: o["items"][0].update(unit_price="100000.01"), "items.0.unit_price"),
        (lambda o: o["items"][1].update(sku="BOOK-DDIA"), "items"),
        (lambda o: o.update(items=[]), "items"),
        (lambda o: o.update(order_id="x" * 65), "order_id"),
        (lambda o: o.update(order_id="has space"), "order_id"),
        (
            lambda o: o["shipping_address"].update(country="gb"),
            "shipping_address.country",
        ),
        (
            lambda o: o["customer"].update(account_age_days="812"),
            "customer.account_age_days",
        ),
        (lambda o: o.update(coupon="FREE"), "coupon"),
        (lambda o: o["customer"].update(vip=True), "customer.vip"),
        (lambda o: o.update(shipping_speed="teleport"), "shipping_speed"),
    ],
)
def test_each_schema_violation_is_named_by_its_dotted_path(
    change: Any, field: str
) -> None:
    order = low_risk_order()
    change(order)

    assert list(problems(order)) == [field]


def test_whitespace_around_text_is_stripped() -> None:
    order = parse_order(low_risk_order("  ORD-7  "))

    assert order.order_id == "ORD-7"


def test_order_is_frozen() -> None:
    order = parse_order(low_risk_order())

    with pytest.raises(ValueError, match="frozen"):
        order.order_id = "other"  # type: ignore[misc]


def test_error_message_lists_every_problem_and_fields_serialise() -> None:
    error = InvalidOrderError([FieldProblem("a.b", "bad"), FieldProblem("c", "worse")])

    assert str(error) == "a.b: bad; c: worse"
    assert [p.as_dict() for p in error.fields] == [
        {"field": "a.b", "message": "bad"},
        {"field": "c", "message": "worse"},
    ]
    assert str(InvalidOrderError([])) == "invalid order"


def test_model_json_round_trips_to_an_equal_order() -> None:
    order = parse_order(load_event("order-high-risk.json"))

    assert parse_order(order.model_dump(mode="json")) == order


@settings(max_examples=300, deadline=None)
@given(st.one_of(json_values, damaged_orders()))
def test_parse_order_returns_an_order_or_names_every_problem(data: Any) -> None:
    try:
        result = parse_order(data)
    except InvalidOrderError as e:
        assert e.fields
        assert all(isinstance(p.field, str) and p.field for p in e.fields)
        assert all(p.message for p in e.fields)
    else:
        assert isinstance(result, Order)


@settings(max_examples=100, deadline=None)
@given(valid_orders())
def test_generated_valid_orders_parse_and_total_their_lines(
    data: dict[str, Any],
) -> None:
    order = parse_order(data)

    assert order.total_cents == sum(
        int(Decimal(i["unit_price"]) * 100) * i["quantity"] for i in data["items"]
    )


def test_risk_context_is_optional_and_absent_from_the_json_when_missing() -> None:
    order = parse_order(load_event("order-low-risk.json"))

    assert order.placed_at is None and order.customer.orders_last_24h is None
    assert order.model_dump(mode="json") == load_event("order-low-risk.json")


def test_risk_context_round_trips_when_given() -> None:
    data = low_risk_order(placed_at="2026-11-02T03:10:00+01:00")
    data["customer"].update(orders_last_24h=3, median_order_value="20.00")
    data["items"][0]["list_price"] = "59.99"

    assert parse_order(data).model_dump(mode="json") == data


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda o: o.update(placed_at="2026-11-02T03:10:00"), "placed_at"),
        (
            lambda o: o["customer"].update(orders_last_24h=-1),
            "customer.orders_last_24h",
        ),
        (
            lambda o: o["customer"].update(median_order_value="0"),
            "customer.median_order_value",
        ),
        (lambda o: o["items"][0].update(list_price="1.00"), "items.0"),
    ],
)
def test_bad_risk_context_is_refused_naming_the_field(change: Any, field: str) -> None:
    data = low_risk_order()
    change(data)

    assert field in problems(data)
