"""Hypothesis strategies: valid orders, arbitrary JSON-like values, and the two
kinds of bad input the review found the fuzzers never sent: JSON nested far past
any parser's depth, and text with control or format characters in it."""

from __future__ import annotations

import json
import unicodedata
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


# What text a person reads may not hold (orderflow/parts/text.py): controls,
# format characters (U+202E RIGHT-TO-LEFT OVERRIDE among them), surrogates, line
# and paragraph separators. Sampled as well as drawn, so the famous ones come up.
unshowable_chars = st.sampled_from(
    ["\x00", "\u202e", "\u202d", "\u2066", "\u200b", "\ufeff", "\x1b", "\x7f"]
) | st.characters(categories=["Cc", "Cf", "Cs", "Zl", "Zp"])
# The one-line text fields of an order, by dotted path.
ORDER_TEXT_FIELDS = [
    ("customer", "email"),
    ("shipping_address", "name"),
    ("shipping_address", "line1"),
    ("shipping_address", "city"),
    ("shipping_address", "postal_code"),
]


@st.composite
def with_unshowable(
    draw: st.DrawFn, text: str, *, allowed: str = "", surrogates: bool = True
) -> str:
    """``text`` with one unshowable character (none of ``allowed``; no unpaired
    surrogate unless ``surrogates``, which no form encoding can carry) put in
    it, inside it if it can be (where stripping whitespace cannot take it away)."""
    char = draw(
        unshowable_chars.filter(
            lambda c: (
                c not in allowed and (surrogates or unicodedata.category(c) != "Cs")
            )
        )
    )
    inside = len(text) >= 2
    at = draw(st.integers(min_value=int(inside), max_value=len(text) - int(inside)))
    return text[:at] + char + text[at:]


@st.composite
def orders_with_unshowable_text(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A valid order but for one text field holding an unshowable character;
    the field's dotted path."""
    order = draw(valid_orders())
    parent, name = draw(st.sampled_from(ORDER_TEXT_FIELDS))
    order[parent][name] = draw(with_unshowable(order[parent][name]))
    return order, f"{parent}.{name}"


def nest(value: Any, depth: int, *, objects: bool) -> str:
    """``value`` as JSON inside ``depth`` arrays (or objects), built as text:
    json.dumps itself would recurse past its limit."""
    opening, closing = ('{"k":', "}") if objects else ("[", "]")
    return opening * depth + json.dumps(value) + closing * depth


@st.composite
def deep_bodies(
    draw: st.DrawFn, min_depth: int = 33, max_bytes: int | None = None
) -> bytes:
    """JSON (or JSON cut short) nested deeper than ``min_depth``, whole or as a
    value inside a valid order; up to the 40 KB of brackets the review sent.
    Cut at ``max_bytes``: what is left still opens every level it did."""
    body = draw(_deep_bodies(min_depth))
    return body if max_bytes is None else body[:max_bytes]


@st.composite
def _deep_bodies(draw: st.DrawFn, min_depth: int) -> bytes:
    depth = draw(st.integers(min_value=min_depth, max_value=20_000))
    kind = draw(st.sampled_from(["bare", "in-order", "unclosed", "mixed"]))
    if kind == "bare":
        return nest(draw(json_scalars), depth, objects=draw(st.booleans())).encode()
    if kind == "unclosed":
        return (draw(st.sampled_from(["[", '{"a":'])) * depth).encode()
    if kind == "mixed":
        text = "".join(
            draw(st.sampled_from(["[", '{"k":'])) for _ in range(depth % 200)
        )
        return (text + "[" * depth).encode()
    order = draw(valid_orders())
    order["items"][0]["sku"] = "__HOLE__"
    text = json.dumps(order).replace('"__HOLE__"', nest(1, depth, objects=False))
    return text.encode()
