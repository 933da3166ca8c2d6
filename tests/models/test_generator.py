"""The synthetic order generator: deterministic, valid, patterns as documented."""

from __future__ import annotations

from collections import Counter

from models.generator import KNOWN, NORMAL_SEGMENTS, PATTERNS, generate
from orderflow.processes.orders.order import parse_order


def test_same_seed_gives_the_same_orders() -> None:
    assert generate(2_000, 7) == generate(2_000, 7)


def test_another_seed_gives_other_orders() -> None:
    first, second = generate(200, 7), generate(200, 8)

    assert sum(a.order == b.order for a, b in zip(first, second, strict=True)) == 0


def test_every_generated_order_satisfies_the_schema() -> None:
    for synthetic in generate(3_000, 11, patterns=tuple(p[0] for p in PATTERNS)):
        parse_order(synthetic.order)


def test_patterns_appear_at_their_documented_rates() -> None:
    n = 40_000
    counts = Counter(s.pattern for s in generate(n, 3))

    for name, _, share in PATTERNS:
        if name in KNOWN:
            expected = share * n
            assert abs(counts[name] - expected) < 4 * expected**0.5, name
    assert "triangulation" not in counts
    normal_share = 1 - sum(share for name, _, share in PATTERNS if name in KNOWN)
    assert abs(counts["normal"] / n - normal_share) < 0.003


def test_the_held_out_pattern_appears_only_when_asked_for() -> None:
    everything = tuple(p[0] for p in PATTERNS)
    counts = Counter(s.pattern for s in generate(10_000, 3, patterns=everything))

    assert counts["triangulation"] > 0
    assert Counter(s.pattern for s in generate(10_000, 3))["triangulation"] == 0


def test_labels_mark_fraud_patterns_and_not_risky_looking_normal_segments() -> None:
    data = generate(20_000, 5)
    labels = {s.pattern: s.label for s in data}

    assert labels["normal"] == 0
    assert all(labels[name] == 1 for name in KNOWN)
    assert {name for name, _, _ in NORMAL_SEGMENTS}.isdisjoint(labels)


def test_risk_context_is_sometimes_missing_as_from_real_storefronts() -> None:
    data = generate(5_000, 9)
    with_time = sum("placed_at" in s.order for s in data) / len(data)
    with_velocity = sum("orders_last_24h" in s.order["customer"] for s in data)

    assert 0.75 < with_time < 0.85
    assert 0.75 < with_velocity / len(data) < 0.85
