"""Order in, feature vector out: pure, deterministic, no model and no numpy.

Training (models/) and serving (orderflow.processes.orders.scoring.runtime) both call
``extract``, so the model always sees the features it was trained on. Money is
converted to US dollars at fixed, approximate rates: the features need scale,
not accounting. Missing risk context (placed_at, the customer's history, list
prices) is imputed with a typical value, so it neither raises nor lowers risk.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING

from orderflow.processes.orders.order import PaymentMethod, ShippingSpeed

if TYPE_CHECKING:
    from orderflow.processes.orders.order import Order

# Approximate USD value of one unit of each currency, for scale only.
USD_RATES: dict[str, float] = {
    "USD": 1.0,
    "EUR": 1.08,
    "GBP": 1.27,
    "CAD": 0.73,
    "AUD": 0.66,
}
TYPICAL_HOUR = 14.0
SPEED_RANK = {
    ShippingSpeed.STANDARD: 0.0,
    ShippingSpeed.EXPEDITED: 1.0,
    ShippingSpeed.OVERNIGHT: 2.0,
}
PAYMENTS = tuple(PaymentMethod)

FEATURES: tuple[str, ...] = (
    "total_usd_log10",
    "lines",
    "units_log2",
    "max_line_units_log2",
    "max_unit_price_usd_log10",
    "shipping_speed",
    "account_age_log2",
    "country_mismatch",
    "orders_last_24h_log2",
    "amount_vs_median_log2",
    "hour",
    "discount",
    *(f"pay_{p.value}" for p in PAYMENTS),
)
INDEX = {name: i for i, name in enumerate(FEATURES)}

# Features whose training range bounds what the model may be trusted on
# (the rest are flags, a rank or bounded by construction).
RANGED: tuple[str, ...] = (
    "total_usd_log10",
    "lines",
    "units_log2",
    "max_line_units_log2",
    "max_unit_price_usd_log10",
    "account_age_log2",
    "orders_last_24h_log2",
    "amount_vs_median_log2",
)


def usd(amount: Decimal | int | float, currency: str) -> float:
    """``amount`` in the order's currency, in approximate US dollars."""
    return float(amount) * USD_RATES[currency]


def _log2p(count: int | float) -> float:
    return math.log2(1.0 + count)


def discount_share(order: Order) -> float:
    """How far below list price the order is, 0 (none) to 1, by value."""
    paid = listed = 0
    for item in order.items:
        price = item.list_price if item.list_price is not None else item.unit_price
        listed += int(price * 100) * item.quantity
        paid += item.amount_cents
    return 1.0 - paid / listed if listed else 0.0


def amount_vs_median(order: Order) -> float | None:
    """The total as a multiple of the customer's median order, if known."""
    median = order.customer.median_order_value
    if median is None:
        return None
    return order.total_cents / int(median * 100)


def local_hour(order: Order) -> float | None:
    """The hour the order was placed, in the customer's local time, if known."""
    if order.placed_at is None:
        return None
    return order.placed_at.hour + order.placed_at.minute / 60.0


def extract(order: Order) -> list[float]:
    """The feature vector of ``order``, in the order of ``FEATURES``."""
    currency = order.currency.value
    ratio = amount_vs_median(order)
    hour = local_hour(order)
    velocity = order.customer.orders_last_24h
    return [
        math.log10(usd(order.total, currency)),
        float(len(order.items)),
        _log2p(sum(item.quantity for item in order.items)),
        _log2p(max(item.quantity for item in order.items)),
        math.log10(usd(max(item.unit_price for item in order.items), currency)),
        SPEED_RANK[order.shipping_speed],
        _log2p(order.customer.account_age_days),
        float(order.billing_country != order.shipping_address.country),
        _log2p(velocity or 0),
        math.log2(ratio) if ratio is not None else 0.0,
        hour if hour is not None else TYPICAL_HOUR,
        discount_share(order),
        *(float(order.payment_method is p) for p in PAYMENTS),
    ]
