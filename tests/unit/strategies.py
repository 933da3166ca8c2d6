"""Hypothesis strategies for orders: valid ones, and arbitrary JSON-like values."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from orderflow.processes.orders.order import Currency, PaymentMethod, ShippingSpeed

COUNTRIES = st.sampled_from(["US", "GB", "CA", "DE", "FR", "JP"])
IDS = st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True)
SKUS = st.from_regex(r"[A-Z0-9][A-Z0-9-]{0,39}", fullmatch=True)
PRICES = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2
).map(str)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def line_items(draw: st.DrawFn) -> list[dict[str, Any]]:
    """1-5 lines with distinct SKUs."""
    skus = draw(st.lists(SKUS, min_size=1, max_size=5, unique=True))
    return [
        {
            "sku": sku,
            "quantity": draw(st.integers(min_value=1, max_value=1_000)),
            "unit_price": draw(PRICES),
        }
        for sku in skus
    ]


@st.composite
def valid_orders(draw: st.DrawFn) -> dict[str, Any]:
    """An order body that satisfies the schema, as JSON-native data."""
    return {
        "order_id": draw(IDS),
        "customer": {
            "customer_id": draw(IDS),
            "email": "buyer@example.com",
            "account_age_days": draw(st.integers(min_value=0, max_value=36_500)),
        },
        "items": draw(line_items()),
        "currency": draw(st.sampled_from(list(Currency))).value,
        "shipping_address": {
            "name": "A Buyer",
            "line1": "1 Main St",
            "city": "Springfield",
            "postal_code": "12345",
            "country": draw(COUNTRIES),
        },
        "shipping_speed": draw(st.sampled_from(list(ShippingSpeed))).value,
        "billing_country": draw(COUNTRIES),
        "payment_method": draw(st.sampled_from(list(PaymentMethod))).value,
    }


@st.composite
def damaged_orders(draw: st.DrawFn) -> dict[str, Any]:
    """A valid order with one value, at any depth, replaced by arbitrary JSON."""
    order = draw(valid_orders())
    node: Any = order
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        key = draw(st.sampled_from(keys))
        child = node[key]
        if isinstance(child, dict | list) and child and draw(st.booleans()):
            node = child
            continue
        node[key] = draw(json_values)
        return order
