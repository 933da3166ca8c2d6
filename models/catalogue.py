"""The building blocks of synthetic orders: catalogue, countries, random draws.

models/segments.py (normal traffic) and models/patterns.py (fraud) compose
orders from these; models/generator.py mixes them.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

Order = dict[str, Any]

COUNTRIES = (
    ("US", "USD", 0.45, -5),
    ("GB", "GBP", 0.15, 0),
    ("DE", "EUR", 0.10, 1),
    ("CA", "CAD", 0.10, -5),
    ("FR", "EUR", 0.07, 1),
    ("AU", "AUD", 0.08, 10),
    ("NL", "EUR", 0.05, 1),
)
USD_PER = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CAD": 0.73, "AUD": 0.66}
# (sku prefix, median price in USD, log spread, share of everyday lines)
CATALOGUE = (
    ("BOOK", 18.0, 0.4, 0.22),
    ("HOME", 35.0, 0.7, 0.22),
    ("APPAREL", 45.0, 0.5, 0.22),
    ("TOY", 25.0, 0.5, 0.10),
    ("BEAUTY", 22.0, 0.5, 0.10),
    ("ELEC", 120.0, 0.9, 0.14),
)
HIGH_END = ("LAPTOP", 1300.0, 0.35)
ACCESSORY = ("ACC", 60.0, 0.5)
OFFICE = ("OFFICE", 6.0, 0.5)
DIURNAL = (
    1,
    0.6,
    0.4,
    0.3,
    0.3,
    0.5,
    1,
    2,
    3,
    4,
    5,
    5,
    6,
    6,
    5,
    5,
    5,
    6,
    7,
    8,
    8,
    7,
    5,
    3,
)
START = datetime(2026, 9, 1, tzinfo=UTC)
OMIT_CONTEXT = 0.2


class Draw:
    """The random choices an order is made of, on one seeded stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def pick(self, options: Sequence[Any], weights: Any = None) -> Any:
        return self.rng.choices(options, weights=weights)[0]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def uniform(self, low: float, high: float) -> float:
        return self.rng.uniform(low, high)

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def lognormal(self, median: float, spread: float) -> float:
        return median * math.exp(self.rng.gauss(0.0, spread))

    def country(self) -> tuple[str, str, float, int]:
        return self.pick(COUNTRIES, [c[2] for c in COUNTRIES])  # type: ignore[no-any-return]

    def other_country(self, than: str) -> str:
        return str(self.pick([c[0] for c in COUNTRIES if c[0] != than]))

    def hour(self, night: float = 0.0) -> float:
        if self.chance(night):
            return self.uniform(0.0, 5.0)
        return float(self.pick(range(24), DIURNAL)) + self.rng.random()

    def new_age(self, mean: float, cap: int) -> int:
        return min(cap, int(self.rng.expovariate(1.0 / mean)))

    def old_age(self) -> int:
        return max(30, min(7300, int(self.lognormal(600.0, 0.9))))


def price(usd: float, currency: str) -> str:
    return f"{max(0.5, min(99_999.0, usd / USD_PER[currency])):.2f}"


def line(d: Draw, kind: tuple[Any, ...], currency: str, qty: int) -> Order:
    prefix, median, spread = kind[:3]
    return {
        "sku": f"{prefix}-{d.integer(0, 999):04d}",
        "quantity": qty,
        "unit_price": price(d.lognormal(median, spread), currency),
    }


def everyday_lines(d: Draw, currency: str) -> list[Order]:
    n = d.pick((1, 2, 3, 4, 5, 6), (55, 25, 11, 5, 3, 1))
    lines = [
        line(
            d,
            d.pick(CATALOGUE, [c[3] for c in CATALOGUE]),
            currency,
            d.pick((1, 2, 3, 4, 6, 10), (75, 14, 5, 3, 2, 1)),
        )
        for _ in range(n)
    ]
    return distinct(lines)


def distinct(lines: list[Order]) -> list[Order]:
    seen: dict[str, Order] = {}
    for line in lines:
        seen.setdefault(line["sku"], line)
    return list(seen.values())


def discount(lines: list[Order], off: float) -> None:
    """Apply ``off`` (0-1) to every line, keeping the list price."""
    for line in lines:
        listed = float(line["unit_price"])
        line["list_price"] = f"{listed:.2f}"
        line["unit_price"] = f"{max(0.01, listed * (1.0 - off)):.2f}"


def total(lines: list[Order]) -> float:
    return float(sum(float(line["unit_price"]) * line["quantity"] for line in lines))


def assemble(
    d: Draw,
    n: int,
    *,
    country: tuple[str, str, float, int],
    lines: list[Order],
    age: int,
    speed: str,
    billing: str,
    payment: str,
    hour: float,
    velocity: int,
    median_ratio: float | None,
) -> Order:
    code, currency, _, offset = country
    day = START + timedelta(days=d.integer(0, 60))
    local = timezone(timedelta(hours=offset))
    placed = day.astimezone(local).replace(hour=int(hour), minute=int(hour % 1 * 60))
    customer: Order = {
        "customer_id": f"SYN-C{d.integer(0, 9_999_999):07d}",
        "email": f"c{d.integer(0, 9_999_999)}@example.com",
        "account_age_days": age,
    }
    if not d.chance(OMIT_CONTEXT):
        customer["orders_last_24h"] = velocity
        if median_ratio is not None:
            median = max(1.0, total(lines) / median_ratio)
            customer["median_order_value"] = f"{median:.2f}"
    if d.chance(OMIT_CONTEXT):
        for line in lines:
            line.pop("list_price", None)
    order: Order = {
        "order_id": f"SYN-{n:07d}",
        "customer": customer,
        "items": lines,
        "currency": currency,
        "shipping_address": {
            "name": "Synthetic Buyer",
            "line1": "1 Test Street",
            "city": "Testville",
            "postal_code": "00000",
            "country": code,
        },
        "shipping_speed": speed,
        "billing_country": billing,
        "payment_method": payment,
    }
    if not d.chance(OMIT_CONTEXT):
        order["placed_at"] = placed.isoformat()
    return order


SPEEDS = ("standard", "expedited", "overnight")
PAYMENTS = ("card", "paypal", "bank_transfer", "gift_card")
