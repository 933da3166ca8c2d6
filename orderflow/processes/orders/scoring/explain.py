"""Why the model scored an order as it did, in words an approver can read.

Each signal group (the amount, the account's age, the customer's velocity...)
is set, in turn, to a typical order's values ("what if this were ordinary?"),
and the part of the model that drives the score is asked again: the drop is
that group's weight. The pattern part is compared in log-odds, which do not
saturate near 100 as probabilities do. The model score is shared out in
proportion to the weights; groups worth at least ``MIN_POINTS`` become reasons,
strongest first, in sentences made from the order itself: "account is 2 days
old", "amount is 14x this customer's median".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from orderflow.processes.orders.order import Order, PaymentMethod
from orderflow.processes.orders.risk import Signal
from orderflow.processes.orders.scoring.features import (
    FEATURES,
    INDEX,
    amount_vs_median,
    discount_share,
    local_hour,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from orderflow.processes.orders.scoring.runtime import Components, Scorer

MIN_POINTS = 5
MAX_REASONS = 3

GROUPS: dict[str, tuple[str, ...]] = {
    "amount": ("total_usd_log10", "max_unit_price_usd_log10"),
    "basket": ("lines", "units_log2", "max_line_units_log2"),
    "speed": ("shipping_speed",),
    "account_age": ("account_age_log2",),
    "country": ("country_mismatch",),
    "velocity": ("orders_last_24h_log2",),
    "history": ("amount_vs_median_log2",),
    "hour": ("hour",),
    "discount": ("discount",),
    "payment": tuple(name for name in FEATURES if name.startswith("pay_")),
}
PAYMENT_WORDS = {
    PaymentMethod.CARD: "card",
    PaymentMethod.PAYPAL: "PayPal",
    PaymentMethod.BANK_TRANSFER: "bank transfer",
    PaymentMethod.GIFT_CARD: "gift card",
}
OUT_OF_RANGE_WORDS: dict[str, Callable[[Order], str]] = {
    "total_usd_log10": lambda o: f"a total of {_money(o)}",
    "lines": lambda o: f"{len(o.items)} lines",
    "units_log2": lambda o: f"{sum(i.quantity for i in o.items)} units in all",
    "max_line_units_log2": lambda o: (
        f"{max(i.quantity for i in o.items)} units of one item"
    ),
    "max_unit_price_usd_log10": lambda o: (
        f"a unit price of {max(i.unit_price for i in o.items):,.2f} {o.currency}"
    ),
    "account_age_log2": lambda o: f"an account {o.customer.account_age_days} days old",
    "orders_last_24h_log2": lambda o: (
        f"{o.customer.orders_last_24h} orders in the last 24 hours"
    ),
    "amount_vs_median_log2": lambda o: (
        f"an amount {_times(amount_vs_median(o) or 1.0)} the customer's median"
    ),
}


def _money(order: Order) -> str:
    return f"{order.total:,.2f} {order.currency}"


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _times(ratio: float) -> str:
    return f"{ratio:.1f}x" if ratio < 10 else f"{ratio:.0f}x"


def _basket(order: Order) -> str:
    biggest = max(order.items, key=lambda item: item.quantity)
    if biggest.quantity >= 5:
        return f"{biggest.quantity} units of {biggest.sku}"
    units = sum(item.quantity for item in order.items)
    return f"{len(order.items)} lines, {units} units"


def _history(order: Order) -> str | None:
    ratio = amount_vs_median(order)
    if ratio is None:
        return None
    if ratio >= 1:
        return f"amount is {_times(ratio)} this customer's median"
    return f"amount is {_times(ratio)} this customer's median (unusually small)"


def _hour(order: Order) -> str | None:
    hour = local_hour(order)
    if hour is None:
        return None
    return f"placed at {int(hour):02d}:{round(hour % 1 * 60) % 60:02d} local time"


def _velocity(order: Order) -> str | None:
    n = order.customer.orders_last_24h
    if n is None:
        return None
    return f"{n} orders from this customer in the last 24 hours"


# One sentence per group; None when the order does not carry that information.
SENTENCES: dict[str, Callable[[Order], str | None]] = {
    "amount": lambda o: f"total is {_money(o)}",
    "basket": _basket,
    "speed": lambda o: f"{o.shipping_speed} shipping",
    "account_age": lambda o: f"account is {_days(o.customer.account_age_days)} old",
    "country": lambda o: (
        f"billing country {o.billing_country} differs from "
        f"shipping country {o.shipping_address.country}"
    ),
    "velocity": _velocity,
    "history": _history,
    "hour": _hour,
    "discount": lambda o: f"{discount_share(o):.0%} below list price",
    "payment": lambda o: f"paid by {PAYMENT_WORDS[o.payment_method]}",
}


def contributions(
    scorer: Scorer, x: list[float], parts: Components
) -> list[tuple[str, float]]:
    """Each group's share of the model score (``parts`` is ``x``'s), largest first."""
    score = scorer.score_of(parts)
    # Explain the estimator that set the score; only that one is asked again.
    by_pattern = parts.pattern_score() >= scorer.anomaly_score(parts.anomaly)
    measure = scorer.raw if by_pattern else scorer.anomaly
    base = parts.raw if by_pattern else parts.anomaly
    weights = []
    for group, names in GROUPS.items():
        ordinary = list(x)
        for name in names:
            ordinary[INDEX[name]] = scorer.typical[INDEX[name]]
        if ordinary == x:
            continue
        drop = base - measure(ordinary)
        if drop > 0:
            weights.append((group, drop))
    total = sum(w for _, w in weights)
    shares = [(group, score * w / total) for group, w in weights]
    return sorted(shares, key=lambda share: share[1], reverse=True)


def signals(
    scorer: Scorer, order: Order, x: list[float], parts: Components
) -> tuple[Signal, ...]:
    """The model's reasons for ``order`` (features ``x``, estimators' outputs
    ``parts``), strongest first (at most MAX_REASONS)."""
    found = []
    for group, points in contributions(scorer, x, parts):
        sentence = SENTENCES[group](order)
        if points >= MIN_POINTS and sentence is not None:
            found.append(Signal(f"model:{group}", round(points), sentence))
    return tuple(found[:MAX_REASONS])


def out_of_range(scorer: Scorer, order: Order, x: list[float]) -> tuple[str, ...]:
    """One sentence naming what lies far outside the model's training, if any."""
    found = [
        OUT_OF_RANGE_WORDS[name](order) if name in OUT_OF_RANGE_WORDS else name
        for name in scorer.out_of_range(x)
    ]
    if not found:
        return ()
    return ("outside the risk model's training range: " + ", ".join(found),)
