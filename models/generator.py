"""Seeded synthetic orders: normal traffic with documented fraud patterns mixed in.

Everything comes from one ``random.Random(seed)``, so a seed gives the same orders
on every run and machine. Orders are plain dicts that satisfy the Order schema
(``orderflow.processes.orders.order``), risk context included when the
"storefront" sends it.

Normal traffic (label 0), by segment:
- everyday: 1-6 lines of books, home, apparel, toys, beauty and electronics;
  mostly standard shipping, daytime, paid by card or PayPal; 7% of accounts are
  under 30 days old; a third use a coupon (5-40% off);
- new big buyer (1.2%): a new account buying one laptop or phone, often with
  fast shipping: legitimate, and the reason "new + fast + expensive" alone is
  not proof of fraud;
- splurge (2%): an established customer spending 4-12x their median;
- business (0.6%): 20-60 units of an office supply, by card or bank transfer.

Fraud and abuse patterns (label 1), as a share of all orders:
- reshipping (0.45%): expedited or overnight shipping + high value + new
  account, often billed in another country, often at night;
- account-takeover (0.30%): an old account suddenly spending 8-40x its
  median, shipped abroad and fast, at night;
- card-testing (0.25%): tiny single-item orders from a young account placing
  many orders a day;
- reseller (0.20%): one SKU in bulk, often paid by gift card;
- promo-abuse (0.25%): 45-85% off list price from brand-new accounts placing
  several orders a day;
- triangulation (0.20%, test set only, so the models never see it in training):
  a stolen card paying for a mid-size multi-line order shipped to another
  country late in the evening.

A fifth of orders come without each piece of risk context (placed_at, the
customer's history, list prices), as from storefronts that do not send it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from models import patterns, segments
from models.catalogue import Draw, Order

Maker = Callable[[Draw, int], Order]


@dataclass(frozen=True)
class Synthetic:
    """One generated order and the pattern that made it ("normal" if none)."""

    order: Order
    pattern: str

    @property
    def label(self) -> int:
        """1 for an injected anomaly, 0 for normal traffic."""
        return int(self.pattern != "normal")


# (pattern, maker, share of all orders); "normal" takes what is left.
NORMAL_SEGMENTS: tuple[tuple[str, Maker, float], ...] = (
    ("new-big-buyer", segments.new_big_buyer, 0.012),
    ("splurge", segments.splurge, 0.02),
    ("business", segments.business, 0.006),
)
PATTERNS: tuple[tuple[str, Maker, float], ...] = (
    ("reshipping", patterns.reshipping, 0.0045),
    ("account-takeover", patterns.account_takeover, 0.003),
    ("card-testing", patterns.card_testing, 0.0025),
    ("reseller", patterns.reseller, 0.002),
    ("promo-abuse", patterns.promo_abuse, 0.0025),
    ("triangulation", patterns.triangulation, 0.002),
)
KNOWN = tuple(name for name, _, _ in PATTERNS if name != "triangulation")


def generate(
    n: int, seed: int, *, patterns: tuple[str, ...] = KNOWN
) -> list[Synthetic]:
    """``n`` orders from ``seed``, with the named fraud patterns mixed in.

    Args:
        n: how many orders.
        seed: the seed; the same seed gives the same orders.
        patterns: which fraud patterns to inject (the rest are left out).

    Returns:
        The orders, each with the pattern that made it ("normal" if none).
    """
    d = Draw(random.Random(seed))
    makers = [(name, make, share) for name, make, share in PATTERNS if name in patterns]
    makers += [(name, make, share) for name, make, share in NORMAL_SEGMENTS]
    everyday = 1.0 - sum(share for _, _, share in makers)
    names = [name for name, _, _ in makers] + ["normal"]
    weights = [share for _, _, share in makers] + [everyday]
    make_by_name = {name: make for name, make, _ in makers} | {
        "normal": segments.everyday
    }
    out = []
    for i in range(n):
        name = d.pick(names, weights)
        pattern = (
            "normal" if name in dict.fromkeys(s[0] for s in NORMAL_SEGMENTS) else name
        )
        out.append(Synthetic(make_by_name[name](d, i), pattern))
    return out
