"""The outcome model: norms fitted from history, z-scores, and what gets flagged."""

from __future__ import annotations

import math
import random

import pytest

from orderflow.processes.orders.outcomes import (
    DEFAULT_TRANSIT,
    Anomaly,
    OutcomeModel,
    RatioNorm,
    TransitNorm,
)


def test_fit_recovers_a_log_normal_transit_norm_and_a_refund_norm() -> None:
    rng = random.Random(5)
    deliveries = [
        ("standard", rng.lognormvariate(math.log(96), 0.3)) for _ in range(4000)
    ]
    ratios = [max(0.0, rng.gauss(0.03, 0.04)) for _ in range(4000)]

    model = OutcomeModel.fit(deliveries, ratios)

    norm = model.transit["standard"]
    assert norm.median_hours == pytest.approx(96, rel=0.03)
    assert norm.sigma == pytest.approx(0.3, rel=0.05)
    assert model.refund_ratio.mean == pytest.approx(0.035, abs=0.005)
    assert model.transit["overnight"] == DEFAULT_TRANSIT["overnight"]  # no data


def test_fit_with_too_little_data_keeps_the_defaults() -> None:
    model = OutcomeModel.fit([("expedited", 40.0)], [0.1])

    assert model == OutcomeModel()


def test_fitted_spreads_never_collapse_to_zero() -> None:
    model = OutcomeModel.fit([("standard", 100.0)] * 5, [0.0] * 5)

    assert model.transit["standard"].sigma > 0
    assert model.refund_ratio.sd > 0


def test_a_delivery_in_the_norm_is_not_flagged_and_a_slow_one_is() -> None:
    model = OutcomeModel(transit={"standard": TransitNorm(100, 0.3)})
    slow = 100 * math.exp(0.3 * 3.5)

    normal = model.assess(
        service="standard", transit_hours=130, captured_cents=1, refunded_cents=0
    )
    late = model.assess(
        service="standard", transit_hours=slow, captured_cents=1, refunded_cents=0
    )

    assert normal == []
    [anomaly] = late
    assert anomaly.kind == "slow-delivery"
    assert anomaly.z == pytest.approx(3.5)
    assert "standard delivery took" in anomaly.message


def test_a_fast_delivery_is_never_an_anomaly() -> None:
    model = OutcomeModel()

    assert (
        model.assess(
            service="overnight", transit_hours=0.5, captured_cents=1, refunded_cents=0
        )
        == []
    )


def test_a_refund_ratio_out_of_pattern_is_flagged() -> None:
    model = OutcomeModel(refund_ratio=RatioNorm(0.02, 0.05))

    small = model.assess(
        service="x", transit_hours=None, captured_cents=10_000, refunded_cents=1_000
    )
    [big] = model.assess(
        service="x", transit_hours=None, captured_cents=10_000, refunded_cents=5_000
    )

    assert small == []
    assert (big.kind, big.value) == ("refund-ratio", 0.5)
    assert big.z == pytest.approx(9.6)


def test_an_unknown_service_or_nothing_captured_flags_nothing() -> None:
    assert (
        OutcomeModel().assess(
            service="drone", transit_hours=10_000, captured_cents=0, refunded_cents=0
        )
        == []
    )


def test_a_sub_hour_delivery_scores_as_itself_and_zero_hours_is_clamped() -> None:
    norm = TransitNorm(median_hours=20.0, sigma=0.25)

    assert norm.z(0.5) == math.log(0.5 / 20.0) / 0.25
    assert norm.z(0.0) == math.log(1e-6 / 20.0) / 0.25  # never log(0)


def test_two_observations_are_enough_to_fit_a_norm() -> None:
    model = OutcomeModel.fit(
        [("standard", 50.0), ("standard", 200.0)], [0.0, 0.2], threshold=2.0
    )

    norm = model.transit["standard"]
    assert norm.median_hours == pytest.approx(100.0)
    assert norm.sigma == pytest.approx(math.log(4) / math.sqrt(2))
    assert model.refund_ratio.mean == pytest.approx(0.1)
    assert model.refund_ratio.sd == pytest.approx(0.2 / math.sqrt(2))
    assert model.threshold == 2.0


def test_a_z_equal_to_the_threshold_is_not_flagged_and_one_above_is() -> None:
    norm = TransitNorm(median_hours=100.0, sigma=0.5)
    hours = 100.0 * math.exp(1.5)
    slow_bar = OutcomeModel(transit={"standard": norm}, threshold=norm.z(hours))
    # 3 of 4 cents refunded: z = 0.75 / 0.25 = 3.0, exactly the bar.
    refund_bar = OutcomeModel(refund_ratio=RatioNorm(0.0, 0.25), threshold=3.0)

    def slow(h: float) -> list[Anomaly]:
        return slow_bar.assess(
            service="standard", transit_hours=h, captured_cents=0, refunded_cents=0
        )

    def refunded(cents: int, of: int) -> list[Anomaly]:
        return refund_bar.assess(
            service="x", transit_hours=None, captured_cents=of, refunded_cents=cents
        )

    assert slow(hours) == [] and refunded(3, 4) == []
    assert len(slow(hours * 1.01)) == len(refunded(76, 100)) == 1


def test_an_anomaly_carries_its_value_its_rounded_z_and_its_words() -> None:
    hours = 100.0 * math.exp(0.3 * 3.14159)
    model = OutcomeModel(transit={"standard": TransitNorm(100.0, 0.3)})

    [slow] = model.assess(
        service="standard", transit_hours=hours, captured_cents=0, refunded_cents=0
    )
    [refund] = model.assess(
        service="x", transit_hours=None, captured_cents=3, refunded_cents=1
    )

    assert slow == Anomaly(
        "slow-delivery",
        hours,
        3.14,
        "standard delivery took 257 h; the norm is 100 h (z = 3.1)",
    )
    assert refund == Anomaly(
        "refund-ratio",
        0.3333,
        6.27,
        "33% of the captured amount was refunded; the norm is 2% (z = 6.3)",
    )


def test_a_refund_of_a_single_captured_cent_is_assessed() -> None:
    [anomaly] = OutcomeModel().assess(
        service="x", transit_hours=None, captured_cents=1, refunded_cents=1
    )

    assert (anomaly.kind, anomaly.value) == ("refund-ratio", 1.0)
