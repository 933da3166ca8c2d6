"""The policy risk rules: each rule's trigger and boundary, and the 0-100 scale."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings

from orderflow.processes.orders.order import parse_order
from orderflow.processes.orders.risk import (
    RULE_COVERS,
    RULES,
    ModelOpinion,
    RiskAssessment,
    Signal,
    assess,
    blend,
)
from tests.unit.strategies import valid_orders
from tests.utils.orders import load_event, low_risk_order


def order_with(
    *,
    age: int = 812,
    speed: str = "standard",
    price: str = "10.00",
    quantity: int = 1,
    billing: str = "GB",
    payment: str = "card",
) -> dict[str, Any]:
    """A one-line order from a trusted GB customer, with the given risk factors."""
    order = low_risk_order(
        items=[{"sku": "THING", "quantity": quantity, "unit_price": price}],
        shipping_speed=speed,
        billing_country=billing,
        payment_method=payment,
    )
    order["customer"]["account_age_days"] = age
    return order


def risk(data: dict[str, Any]) -> RiskAssessment:
    """Assess an order body."""
    return assess(parse_order(data))


def test_low_risk_sample_scores_zero_with_no_reasons() -> None:
    assessed = risk(load_event("order-low-risk.json"))

    assert (assessed.score, assessed.reasons) == (0, [])


def test_high_risk_sample_scores_65_strongest_reason_first() -> None:
    assessed = risk(load_event("order-high-risk.json"))

    assert assessed.score == 65
    assert [s.rule for s in assessed.signals] == [
        "fast-high-value-new-account",
        "high-value",
    ]
    assert assessed.reasons[0] == (
        "overnight shipping on a 2,899.00 USD order from an account 20 days old"
    )


@pytest.mark.parametrize(
    ("factors", "rules", "score"),
    [
        (
            {"speed": "expedited", "price": "1000.00", "age": 29},
            ["fast-high-value-new-account", "high-value"],
            65,
        ),
        ({"speed": "expedited", "price": "1000.00", "age": 30}, ["high-value"], 10),
        ({"speed": "standard", "price": "1000.00", "age": 29}, ["high-value"], 10),
        ({"speed": "overnight", "price": "999.99", "age": 29}, [], 0),
        ({"age": 6}, ["brand-new-account"], 15),
        ({"age": 7}, [], 0),
        ({"billing": "US"}, ["country-mismatch"], 20),
        ({"price": "999.99"}, [], 0),
        ({"price": "5000.00"}, ["very-high-value"], 25),
        ({"price": "4999.99"}, ["high-value"], 10),
        ({"quantity": 50}, ["bulk-quantity"], 15),
        ({"quantity": 49}, [], 0),
        ({"payment": "gift_card", "price": "500.00"}, ["gift-card-high-value"], 15),
        ({"payment": "gift_card", "price": "499.99"}, [], 0),
        ({"payment": "paypal", "price": "500.00"}, [], 0),
    ],
)
def test_each_rule_fires_at_its_threshold_and_not_below(
    factors: dict[str, Any], rules: list[str], score: int
) -> None:
    assessed = risk(order_with(**factors))

    assert [s.rule for s in assessed.signals] == rules
    assert assessed.score == score


def test_score_is_capped_at_100_when_every_rule_fires() -> None:
    assessed = risk(
        order_with(
            age=3, speed="overnight", price="6000.00", billing="CA", payment="gift_card"
        )
    )

    assert sum(s.points for s in assessed.signals) == 130
    assert assessed.score == 100
    assert len(assessed.reasons) == 5


def test_signals_are_sorted_strongest_first() -> None:
    assessed = risk(order_with(age=3, billing="US", quantity=60))

    points = [s.points for s in assessed.signals]
    assert points == sorted(points, reverse=True)
    assert assessed.signals[0].rule == "country-mismatch"


def test_as_dict_is_json_native_and_keeps_rules_and_reasons_aligned() -> None:
    assessed = risk(order_with(age=3, billing="US"))

    assert assessed.as_dict() == {
        "score": 35,
        "reasons": [
            "billing country US differs from shipping country GB",
            "account is 3 days old",
        ],
        "rules": ["country-mismatch", "brand-new-account"],
    }


def test_bulk_reason_names_the_largest_line() -> None:
    order = order_with()
    order["items"] = [
        {"sku": "SMALL", "quantity": 2, "unit_price": "1.00"},
        {"sku": "BULK", "quantity": 70, "unit_price": "1.00"},
    ]

    assert risk(order).reasons == ["70 units of BULK"]


@settings(max_examples=300, deadline=None)
@given(valid_orders())
def test_score_is_always_between_0_and_100_and_matches_its_signals(
    data: dict[str, Any],
) -> None:
    order = parse_order(data)
    assessed = assess(order)

    assert 0 <= assessed.score <= 100
    assert assessed.score == min(100, sum(s.points for s in assessed.signals))
    assert len(assessed.signals) <= len(RULES)
    assert all(s.points > 0 and s.reason for s in assessed.signals)


def opinion_of(
    score: int, *signals: Signal, out_of_range: tuple[str, ...] = ()
) -> ModelOpinion:
    """A model opinion with just what blend reads."""
    return ModelOpinion(
        score=score,
        pattern=score,
        anomaly=0,
        signals=signals,
        out_of_range=out_of_range,
        version="test-model",
        sha256="0" * 64,
    )


@pytest.mark.parametrize(("policy", "model", "blended"), [(65, 20, 65), (15, 80, 80)])
def test_blended_score_is_the_higher_of_rules_and_model(
    policy: int, model: int, blended: int
) -> None:
    rules = RiskAssessment(policy, (Signal("high-value", policy, "total is 1.00"),))

    risk = blend(rules, opinion_of(model))

    assert (risk.score, risk.policy_score) == (blended, policy)


def test_blend_keeps_every_rule_and_drops_model_reasons_a_rule_covers() -> None:
    rules = assess(parse_order(load_event("order-high-risk.json")))
    model = opinion_of(
        50,
        Signal("model:account_age", 30, "account is 20 days old"),
        Signal("model:hour", 12, "placed at 03:00 local time"),
    )

    risk = blend(rules, model)

    assert [s.rule for s in risk.signals] == [
        "fast-high-value-new-account",
        "model:hour",
        "high-value",
    ]


def test_out_of_range_warnings_come_first_and_mark_the_assessment() -> None:
    rules = RiskAssessment(20, (Signal("country-mismatch", 20, "billing differs"),))
    risk = blend(rules, opinion_of(5, out_of_range=("outside: 900 units",)))

    assert risk.out_of_distribution
    assert risk.reasons == ["outside: 900 units", "billing differs"]
    assert risk.as_dict()["model"] == {
        "score": 5,
        "pattern": 5,
        "anomaly": 0,
        "out_of_distribution": True,
        "version": "test-model",
        "sha256": "0" * 64,
    }


def test_every_rule_says_which_model_signals_it_covers() -> None:
    from orderflow.processes.orders.scoring.explain import GROUPS

    everything = order_with(
        age=3, speed="overnight", price="6000.00", billing="CA", payment="gift_card"
    )
    everything["items"].append({"sku": "BULK", "quantity": 60, "unit_price": "1.00"})
    fired = {s.rule for s in risk(everything).signals}
    fired |= {s.rule for s in risk(order_with(price="1000.00")).signals}

    assert fired == set(RULE_COVERS)
    assert set().union(*RULE_COVERS.values()) <= set(GROUPS)
