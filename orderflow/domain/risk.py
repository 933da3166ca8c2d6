"""Policy rules that score an order's risk from 0 to 100, with reasons in words.

Each rule is a small pure function: it looks at the order and either stays quiet
or returns the points it adds and a sentence an approver can read. The ML issue
blends a model score into the same 0-100 scale; these rules stay as the floor.

Rules (points):
- expedited or overnight shipping + total >= 1,000 + account younger than 30 days
  (the classic reshipping-fraud shape): 55
- account younger than 7 days: 15
- billing country differs from the shipping country: 20
- total >= 5,000: 25, else total >= 1,000: 10
- 50 or more units of one SKU: 15
- gift card paying for 500 or more: 15
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from orderflow.domain.order import Order, PaymentMethod, ShippingSpeed

HIGH_VALUE_CENTS = 1_000_00
VERY_HIGH_VALUE_CENTS = 5_000_00
NEW_ACCOUNT_DAYS = 30
BRAND_NEW_ACCOUNT_DAYS = 7


@dataclass(frozen=True)
class Signal:
    """One rule that fired: its name, its points and a sentence for humans."""

    rule: str
    points: int
    reason: str


@dataclass(frozen=True)
class RiskAssessment:
    """The order's score (0-100) and the signals behind it, strongest first."""

    score: int
    signals: tuple[Signal, ...]

    @property
    def reasons(self) -> list[str]:
        """The signals in words, strongest first."""
        return [s.reason for s in self.signals]

    def as_dict(self) -> dict[str, object]:
        """JSON-native form, fit for a step result."""
        return {
            "score": self.score,
            "reasons": self.reasons,
            "rules": [s.rule for s in self.signals],
        }


def _money(cents: int) -> str:
    return f"{cents / 100:,.2f}"


def _fast_high_value_new_account(order: Order) -> Signal | None:
    age = order.customer.account_age_days
    if (
        order.shipping_speed is not ShippingSpeed.STANDARD
        and order.total_cents >= HIGH_VALUE_CENTS
        and age < NEW_ACCOUNT_DAYS
    ):
        return Signal(
            "fast-high-value-new-account",
            55,
            f"{order.shipping_speed} shipping on a {_money(order.total_cents)} "
            f"{order.currency} order from an account {age} days old",
        )
    return None


def _brand_new_account(order: Order) -> Signal | None:
    age = order.customer.account_age_days
    if age < BRAND_NEW_ACCOUNT_DAYS:
        return Signal("brand-new-account", 15, f"account is {age} days old")
    return None


def _country_mismatch(order: Order) -> Signal | None:
    ship_to = order.shipping_address.country
    if order.billing_country != ship_to:
        return Signal(
            "country-mismatch",
            20,
            f"billing country {order.billing_country} differs from "
            f"shipping country {ship_to}",
        )
    return None


def _high_value(order: Order) -> Signal | None:
    total = order.total_cents
    if total >= VERY_HIGH_VALUE_CENTS:
        return Signal("very-high-value", 25, f"total is {_money(total)}")
    if total >= HIGH_VALUE_CENTS:
        return Signal("high-value", 10, f"total is {_money(total)}")
    return None


def _bulk_quantity(order: Order) -> Signal | None:
    bulk = max(order.items, key=lambda item: item.quantity)
    if bulk.quantity >= 50:
        return Signal("bulk-quantity", 15, f"{bulk.quantity} units of {bulk.sku}")
    return None


def _gift_card_high_value(order: Order) -> Signal | None:
    if order.payment_method is PaymentMethod.GIFT_CARD and order.total_cents >= 500_00:
        return Signal(
            "gift-card-high-value",
            15,
            f"gift card pays for {_money(order.total_cents)}",
        )
    return None


RULES: tuple[Callable[[Order], Signal | None], ...] = (
    _fast_high_value_new_account,
    _brand_new_account,
    _country_mismatch,
    _high_value,
    _bulk_quantity,
    _gift_card_high_value,
)


def assess(order: Order) -> RiskAssessment:
    """Score ``order`` by the policy rules."""
    signals = [s for rule in RULES if (s := rule(order)) is not None]
    signals.sort(key=lambda s: s.points, reverse=True)
    return RiskAssessment(min(100, sum(s.points for s in signals)), tuple(signals))
