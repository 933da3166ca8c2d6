"""Risk routing: the score's four parts, its thresholds and the two hard bars."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderflow.processes.returns.model import ReturnReason
from orderflow.processes.returns.rules import (
    OrderFacts,
    ReturnRisk,
    ReturnRiskThresholds,
    ReturnRoute,
    refund_cents,
    route_return,
)
from tests.unit.processes.returns.factories import order_facts, return_request

# 100 units of one SKU at 1.00: returning k units is k% of the order.
HUNDRED = {"UNIT": (100, 1_00)}


def route(
    units: int = 1,
    *,
    risk: int = 0,
    reason: str = "changed_mind",
    recent: int = 0,
    order: OrderFacts | None = None,
    thresholds: ReturnRiskThresholds | None = None,
) -> ReturnRisk:
    """Route a return of ``units`` of the 100-unit order (or of ``order``)."""
    facts = order or order_facts(lines=HUNDRED, risk_score=risk)
    sku = next(iter(facts.lines))
    request = return_request((sku, units), reason=reason)
    return route_return(
        request,
        facts,
        refund_cents=refund_cents(request, facts),
        recent_returns=recent,
        thresholds=thresholds or ReturnRiskThresholds(),
    )


def test_a_refund_of_1000_01_never_auto_approves_even_from_a_zero_risk_order() -> None:
    whole = route(order=order_facts(lines={"TV": (1, 1_000_01)}))
    tiny_share = route(
        order=order_facts(lines={"TV": (1, 1_000_01), "CAR": (1, 99_999_99)})
    )

    for risk in (whole, tiny_share):
        assert risk.route is ReturnRoute.ONE_APPROVER
        assert risk.score < ReturnRiskThresholds().one_approver_from
        assert "a refund above 1,000.00 USD never goes without a human" in risk.reasons


def test_a_refund_of_exactly_1000_may_auto_approve() -> None:
    risk = route(order=order_facts(lines={"TV": (1, 1_000_00)}))

    assert risk.route is ReturnRoute.AUTO_APPROVE
    assert risk.score == 20


def test_the_always_human_bar_is_configurable() -> None:
    strict = ReturnRiskThresholds(always_human_above_cents=0)

    assert route(thresholds=strict).route is ReturnRoute.ONE_APPROVER
    assert route().route is ReturnRoute.AUTO_APPROVE


@pytest.mark.parametrize(
    ("units", "risk", "reason", "recent", "score", "expected"),
    [
        (1, 74, "changed_mind", 0, 29, ReturnRoute.AUTO_APPROVE),
        (1, 75, "changed_mind", 0, 30, ReturnRoute.ONE_APPROVER),
        (1, 74, "not_as_described", 2, 59, ReturnRoute.ONE_APPROVER),
        (1, 75, "not_as_described", 2, 60, ReturnRoute.TWO_APPROVERS),
        (49, 100, "not_as_described", 4, 89, ReturnRoute.TWO_APPROVERS),
        (50, 100, "not_as_described", 4, 90, ReturnRoute.DENY),
    ],
)
def test_default_thresholds_are_inclusive_lower_bounds(
    units: int, risk: int, reason: str, recent: int, score: int, expected: ReturnRoute
) -> None:
    found = route(units, risk=risk, reason=reason, recent=recent)

    assert (found.score, found.route) == (score, expected)


@pytest.mark.parametrize(
    ("risk", "expected"),
    [
        (24, ReturnRoute.AUTO_APPROVE),
        (25, ReturnRoute.ONE_APPROVER),
        (49, ReturnRoute.ONE_APPROVER),
        (50, ReturnRoute.TWO_APPROVERS),
        (74, ReturnRoute.TWO_APPROVERS),
        (75, ReturnRoute.DENY),
    ],
)
def test_configured_thresholds_move_the_routes(
    risk: int, expected: ReturnRoute
) -> None:
    low = ReturnRiskThresholds(
        one_approver_from=10, two_approvers_from=20, deny_from=30
    )

    assert route(risk=risk, thresholds=low).route is expected


def test_five_recent_returns_take_two_approvers_whatever_the_score() -> None:
    four, five = route(recent=4), route(recent=5)

    assert (four.score, four.route) == (20, ReturnRoute.AUTO_APPROVE)
    assert (five.score, five.route) == (20, ReturnRoute.TWO_APPROVERS)
    assert "5 or more recent returns take two" in five.reasons


def test_recent_returns_add_five_points_each_up_to_twenty() -> None:
    assert [route(recent=n).score for n in (0, 1, 3, 4, 9)] == [0, 5, 15, 20, 20]


@pytest.mark.parametrize(
    ("reason", "points"),
    [
        ("changed_mind", 0),
        ("damaged", 10),
        ("wrong_item", 10),
        ("other", 15),
        ("not_as_described", 20),
    ],
)
def test_not_as_described_weighs_most_and_a_changed_mind_least(
    reason: str, points: int
) -> None:
    assert route(reason=reason).score == points


def test_the_share_of_the_order_adds_up_to_twenty() -> None:
    assert [route(units).score for units in (4, 5, 50, 100)] == [0, 1, 10, 20]


def test_each_part_that_adds_points_is_a_reason() -> None:
    risk = route(50, risk=60, reason="other", recent=1)

    assert risk.reasons == (
        "score 54 of 100: ONE_APPROVER",
        "the order's own risk score is 60 (+24)",
        "the refund is 50% of the order (+10)",
        "the reason is other (+15)",
        "the customer made 1 recent return (+5)",
    )


def test_a_return_that_adds_nothing_auto_approves_with_its_score_as_reason() -> None:
    assert route().reasons == ("score 0 of 100: AUTO_APPROVE",)


@given(
    units=st.integers(1, 100),
    unit_cents=st.integers(1, 5_000_00),
    risk=st.integers(0, 100),
    reason=st.sampled_from(ReturnReason),
    recent=st.integers(0, 50),
)
def test_the_score_stays_within_0_to_100_and_only_low_risk_goes_unseen(
    units: int, unit_cents: int, risk: int, reason: ReturnReason, recent: int
) -> None:
    order = order_facts(lines={"UNIT": (100, unit_cents)}, risk_score=risk)
    found = route(units, reason=reason, recent=recent, order=order)

    assert 0 <= found.score <= 100
    assert (found.route is ReturnRoute.DENY) is (found.score >= 90)
    if found.route is ReturnRoute.AUTO_APPROVE:
        assert found.score < 30
        assert recent < 5
        assert units * unit_cents <= 1_000_00


def test_a_route_knows_how_many_approvers_it_needs() -> None:
    assert [r.approvals_needed for r in ReturnRoute] == [0, 1, 2, 0]


def test_thresholds_must_rise() -> None:
    with pytest.raises(ValueError, match="must rise"):
        ReturnRiskThresholds(one_approver_from=70, two_approvers_from=60)
    with pytest.raises(ValueError, match="many_recent_returns"):
        ReturnRiskThresholds(many_recent_returns=0)
