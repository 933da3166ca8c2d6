"""Policy rules that score an order's risk from 0 to 100, with reasons in words.

Each rule is a small pure function: it looks at the order and either stays quiet
or returns the points it adds and a sentence an approver can read. ``blend``
combines them with the risk model's opinion (orderflow.processes.orders.scoring):
the score is
the higher of the two, so these rules stay as the floor, and the reasons are the
rules' sentences followed by the model's own for what no rule already says.

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
from dataclasses import dataclass, field

from orderflow.processes.orders.order import Order, PaymentMethod, ShippingSpeed

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
class ModelOpinion:
    """What the risk model says: its 0-100 score, why, and which model said it."""

    score: int
    pattern: int  # resemblance to known fraud patterns, 0-100
    anomaly: int  # unusualness against training traffic, 0-100 (capped)
    signals: tuple[Signal, ...]  # rule "model:<signal group>", points = its share
    out_of_range: tuple[str, ...]  # features far outside training, in words
    version: str
    sha256: str

    def as_dict(self) -> dict[str, object]:
        """JSON-native form."""
        return {
            "score": self.score,
            "pattern": self.pattern,
            "anomaly": self.anomaly,
            "out_of_distribution": bool(self.out_of_range),
            "version": self.version,
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class RiskAssessment:
    """The order's score (0-100) and the signals behind it, strongest first."""

    score: int
    signals: tuple[Signal, ...]
    model: ModelOpinion | None = field(default=None, kw_only=True)
    policy_score: int | None = field(default=None, kw_only=True)

    @property
    def out_of_distribution(self) -> bool:
        """True when the model was asked about an order unlike its training."""
        return self.model is not None and bool(self.model.out_of_range)

    @property
    def reasons(self) -> list[str]:
        """Out-of-range warnings first, then the signals in words, strongest first."""
        warnings = list(self.model.out_of_range) if self.model else []
        return warnings + [s.reason for s in self.signals]

    def as_dict(self) -> dict[str, object]:
        """JSON-native form, fit for a step result."""
        data: dict[str, object] = {
            "score": self.score,
            "reasons": self.reasons,
            "rules": [s.rule for s in self.signals],
        }
        if self.model is not None:
            data["policy_score"] = self.policy_score
            data["model"] = self.model.as_dict()
        return data


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


# Which model signal groups a rule already puts into words.
RULE_COVERS: dict[str, frozenset[str]] = {
    "fast-high-value-new-account": frozenset({"amount", "speed", "account_age"}),
    "brand-new-account": frozenset({"account_age"}),
    "country-mismatch": frozenset({"country"}),
    "very-high-value": frozenset({"amount"}),
    "high-value": frozenset({"amount"}),
    "bulk-quantity": frozenset({"basket"}),
    "gift-card-high-value": frozenset({"payment", "amount"}),
}


def blend(policy: RiskAssessment, model: ModelOpinion) -> RiskAssessment:
    """The policy rules and the model together: the higher score, all reasons."""
    covered = frozenset().union(
        *(RULE_COVERS.get(s.rule, frozenset()) for s in policy.signals)
    )
    extra = [s for s in model.signals if s.rule.removeprefix("model:") not in covered]
    signals = sorted([*policy.signals, *extra], key=lambda s: s.points, reverse=True)
    return RiskAssessment(
        max(policy.score, model.score),
        tuple(signals),
        model=model,
        policy_score=policy.score,
    )
