"""Routing: which score and value go where, and which policies are refused."""

from __future__ import annotations

import pytest

from orderflow.processes.orders.order import Order, parse_order
from orderflow.processes.orders.risk import ModelOpinion, RiskAssessment
from orderflow.processes.orders.routing import Route, RoutingPolicy
from tests.utils.orders import low_risk_order

POLICY = RoutingPolicy()


def order_worth(price: str) -> Order:
    """A one-line order of the given total."""
    return parse_order(
        low_risk_order(items=[{"sku": "THING", "quantity": 1, "unit_price": price}])
    )


def scored(score: int) -> RiskAssessment:
    """An assessment with just a score."""
    return RiskAssessment(score=score, signals=())


@pytest.mark.parametrize(
    ("score", "route"),
    [
        (0, Route.AUTO_APPROVE),
        (29, Route.AUTO_APPROVE),
        (30, Route.ONE_APPROVER),
        (69, Route.ONE_APPROVER),
        (70, Route.TWO_APPROVERS),
        (89, Route.TWO_APPROVERS),
        (90, Route.REJECT),
        (100, Route.REJECT),
    ],
)
def test_score_thresholds_are_inclusive_lower_bounds(score: int, route: Route) -> None:
    assert POLICY.route(order_worth("10.00"), scored(score)) is route


@pytest.mark.parametrize(
    ("price", "score", "route"),
    [
        ("10000.00", 0, Route.TWO_APPROVERS),
        ("9999.99", 0, Route.AUTO_APPROVE),
        ("10000.00", 40, Route.TWO_APPROVERS),
        ("10000.00", 90, Route.REJECT),
    ],
)
def test_orders_of_10000_or_more_need_two_approvers_unless_rejected(
    price: str, score: int, route: Route
) -> None:
    assert POLICY.route(order_worth(price), scored(score)) is route


def test_custom_thresholds_move_the_bands() -> None:
    policy = RoutingPolicy(
        one_approver_from=10,
        two_approvers_from=20,
        reject_from=30,
        two_approvers_value_cents=100_00,
    )

    assert policy.route(order_worth("10.00"), scored(9)) is Route.AUTO_APPROVE
    assert policy.route(order_worth("10.00"), scored(10)) is Route.ONE_APPROVER
    assert policy.route(order_worth("100.00"), scored(10)) is Route.TWO_APPROVERS
    assert policy.route(order_worth("10.00"), scored(30)) is Route.REJECT


def test_reject_from_101_never_rejects() -> None:
    policy = RoutingPolicy(reject_from=101)

    assert policy.route(order_worth("10.00"), scored(100)) is Route.TWO_APPROVERS


@pytest.mark.parametrize(
    "thresholds",
    [
        {"one_approver_from": 0},
        {"one_approver_from": 80, "two_approvers_from": 70},
        {"two_approvers_from": 95},
        {"reject_from": 102},
    ],
)
def test_thresholds_that_do_not_rise_are_refused(thresholds: dict[str, int]) -> None:
    with pytest.raises(ValueError) as refused:
        RoutingPolicy(**thresholds)

    assert str(refused.value) == (
        "routing thresholds must rise: 0 < one_approver_from <= "
        "two_approvers_from <= reject_from <= 101"
    )


@pytest.mark.parametrize(
    ("one", "two", "reject", "routes"),
    [
        # Equal thresholds are allowed: the higher route takes the shared band.
        (50, 50, 90, {49: Route.AUTO_APPROVE, 50: Route.TWO_APPROVERS}),
        (30, 60, 60, {59: Route.ONE_APPROVER, 60: Route.REJECT}),
        (40, 40, 40, {39: Route.AUTO_APPROVE, 40: Route.REJECT}),
        # The lowest threshold may be 1: only a score of 0 goes unseen.
        (1, 70, 90, {0: Route.AUTO_APPROVE, 1: Route.ONE_APPROVER}),
    ],
)
def test_thresholds_that_meet_are_accepted_and_the_higher_route_wins(
    one: int, two: int, reject: int, routes: dict[int, Route]
) -> None:
    policy = RoutingPolicy(
        one_approver_from=one, two_approvers_from=two, reject_from=reject
    )

    for score, route in routes.items():
        assert policy.route(order_worth("10.00"), scored(score)) is route


@pytest.mark.parametrize(
    ("route", "needed"),
    [
        (Route.AUTO_APPROVE, 0),
        (Route.ONE_APPROVER, 1),
        (Route.TWO_APPROVERS, 2),
        (Route.REJECT, 0),
    ],
)
def test_approvals_needed_per_route(route: Route, needed: int) -> None:
    assert route.approvals_needed == needed


def test_out_of_distribution_order_is_never_auto_approved() -> None:
    model = ModelOpinion(
        score=0,
        pattern=0,
        anomaly=0,
        signals=(),
        out_of_range=("outside the risk model's training range: 900 units",),
        version="m",
        sha256="0" * 64,
    )
    risk = RiskAssessment(score=0, signals=(), model=model)

    assert POLICY.route(order_worth("10.00"), risk) is Route.ONE_APPROVER
    assert POLICY.route(order_worth("10000.00"), risk) is Route.TWO_APPROVERS
    assert POLICY.route(order_worth("10.00"), scored(100)) is Route.REJECT
