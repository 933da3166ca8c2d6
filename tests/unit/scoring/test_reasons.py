"""The model's opinion in words: reasons read well and match the order."""

from __future__ import annotations

import re
from typing import Any

import pytest

from orderflow.config import ModelConfig
from orderflow.processes.orders.order import parse_order
from orderflow.processes.orders.risk import RiskAssessment, assess, blend
from orderflow.processes.orders.scoring.explain import MAX_REASONS
from orderflow.processes.orders.scoring.opinion import opinion
from tests.utils.orders import load_event, low_risk_order
from tests.utils.risky import card_testing_order, out_of_range_order, takeover_order


def assessed(data: dict[str, Any], model: ModelConfig) -> RiskAssessment:
    """Rules and model, blended, as the validation step does."""
    order = parse_order(data)
    return blend(assess(order), opinion(order, path=model.path, sha256=model.sha256))


def test_takeover_reasons_name_the_multiple_of_the_median_and_the_hour(
    model: ModelConfig,
) -> None:
    risk = assessed(takeover_order(), model)

    assert "amount is 14x this customer's median" in risk.reasons
    assert "placed at 03:10 local time" in risk.reasons
    assert risk.reasons[0] == "amount is 14x this customer's median"


def test_card_testing_is_caught_by_the_model_alone_and_says_why(
    model: ModelConfig,
) -> None:
    risk = assessed(card_testing_order(), model)

    assert risk.policy_score == 0
    assert risk.score >= 90
    assert risk.reasons[0] == "23 orders from this customer in the last 24 hours"


def test_model_does_not_repeat_what_a_rule_already_says(model: ModelConfig) -> None:
    risk = assessed(load_event("order-high-risk.json"), model)

    assert risk.reasons == [
        "overnight shipping on a 2,899.00 USD order from an account 20 days old",
        "total is 2,899.00",
    ]
    assert risk.score == risk.policy_score == 65


def test_out_of_range_order_says_what_is_out_of_range_first(
    model: ModelConfig,
) -> None:
    risk = assessed(out_of_range_order(), model)

    assert risk.out_of_distribution
    assert risk.reasons[0] == (
        "outside the risk model's training range: "
        "900 units of one item, 900 units in all"
    )


def test_an_ordinary_order_has_no_model_reasons(model: ModelConfig) -> None:
    risk = assessed(load_event("order-low-risk.json"), model)

    assert (risk.score, risk.reasons) == (0, [])


@pytest.mark.parametrize(
    "make",
    [takeover_order, card_testing_order, out_of_range_order],
)
def test_reasons_are_plain_sentences_and_few(make: Any, model: ModelConfig) -> None:
    risk = assessed(make(), model)
    from_model = [s for s in risk.signals if s.rule.startswith("model:")]

    assert 1 <= len(from_model) <= MAX_REASONS
    for reason in risk.reasons:
        assert not re.search(r"_log2|_log10|None|nan|\{|\}", reason), reason
        assert reason == reason.strip() and not reason[0].isupper()


def test_model_identity_travels_with_the_assessment(model: ModelConfig) -> None:
    risk = assessed(low_risk_order(), model).as_dict()

    assert risk["model"] == {
        "score": 0,
        "pattern": 0,
        "anomaly": 0,
        "out_of_distribution": False,
        "version": model.version,
        "sha256": model.sha256,
    }
    assert risk["policy_score"] == 0
