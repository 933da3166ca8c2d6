"""Feature extraction: order in, vector out; pure, and tested without the model."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from hypothesis import given, settings

from orderflow.processes.orders.order import parse_order
from orderflow.processes.orders.scoring.features import (
    FEATURES,
    INDEX,
    TYPICAL_HOUR,
    USD_RATES,
    extract,
)
from tests.unit.strategies import valid_orders
from tests.utils.orders import load_event, low_risk_order


def features(data: dict[str, Any]) -> dict[str, float]:
    """The named features of an order body."""
    return dict(zip(FEATURES, extract(parse_order(data)), strict=True))


def test_low_risk_sample_gives_the_hand_computed_vector() -> None:
    assert features(load_event("order-low-risk.json")) == {
        "total_usd_log10": math.log10(64.99),
        "lines": 2.0,
        "units_log2": math.log2(1 + 3),
        "max_line_units_log2": math.log2(1 + 2),
        "max_unit_price_usd_log10": math.log10(39.99),
        "shipping_speed": 0.0,
        "account_age_log2": math.log2(1 + 812),
        "country_mismatch": 0.0,
        "orders_last_24h_log2": 0.0,
        "amount_vs_median_log2": 0.0,
        "hour": TYPICAL_HOUR,
        "discount": 0.0,
        "pay_card": 1.0,
        "pay_paypal": 0.0,
        "pay_bank_transfer": 0.0,
        "pay_gift_card": 0.0,
    }


def test_high_risk_sample_has_overnight_speed_and_a_young_account() -> None:
    found = features(load_event("order-high-risk.json"))

    assert found["shipping_speed"] == 2.0
    assert found["account_age_log2"] == math.log2(21)
    assert found["total_usd_log10"] == pytest.approx(math.log10(2899.0))


def test_amounts_are_converted_to_dollars_for_scale() -> None:
    order = low_risk_order(
        currency="EUR", items=[{"sku": "A", "quantity": 1, "unit_price": "100.00"}]
    )

    assert features(order)["total_usd_log10"] == pytest.approx(
        math.log10(100 * USD_RATES["EUR"])
    )


def test_risk_context_is_used_when_the_storefront_sends_it() -> None:
    order = low_risk_order(
        items=[
            {"sku": "A", "quantity": 2, "unit_price": "30.00", "list_price": "60.00"},
            {"sku": "B", "quantity": 1, "unit_price": "40.00"},
        ],
        placed_at="2026-11-02T03:30:00+09:00",
        billing_country="US",
    )
    order["customer"].update(orders_last_24h=7, median_order_value="25.00")

    found = features(order)

    assert found["hour"] == 3.5  # the customer's local time, not UTC
    assert found["orders_last_24h_log2"] == 3.0
    assert found["amount_vs_median_log2"] == pytest.approx(math.log2(100 / 25))
    assert found["discount"] == pytest.approx(1 - 100 / 160)  # by value
    assert found["country_mismatch"] == 1.0


def test_missing_context_is_imputed_as_typical() -> None:
    bare = load_event("order-low-risk.json")
    told = copy.deepcopy(bare)
    told["customer"].update(orders_last_24h=0, median_order_value="64.99")
    told["placed_at"] = f"2026-11-02T{int(TYPICAL_HOUR):02d}:00:00+00:00"

    assert features(bare) == features(told)


def test_extraction_leaves_the_order_untouched_and_repeats_exactly() -> None:
    order = parse_order(load_event("order-high-risk.json"))
    before = order.model_dump()

    assert extract(order) == extract(order)
    assert order.model_dump() == before


@settings(max_examples=200, deadline=None)
@given(valid_orders())
def test_every_valid_order_gives_finite_features_in_the_documented_order(
    data: dict[str, Any],
) -> None:
    vector = extract(parse_order(data))

    assert len(vector) == len(FEATURES) == len(INDEX)
    assert all(math.isfinite(v) for v in vector)
    assert sum(vector[INDEX[f"pay_{p}"]] for p in ("card", "paypal")) <= 1
