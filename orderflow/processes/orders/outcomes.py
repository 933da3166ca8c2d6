"""A small statistical model of how orders turn out, to flag the odd ones.

Two measures, each against a norm fitted on past outcomes:

- **Transit time per service** (overnight, expedited, standard) is log-normal:
  the norm is its median and the spread of its logarithm, and a delivery's
  score is ``z = ln(hours / median) / sigma``. A delivery far slower than its
  route's norm (z above the threshold, 3 by default: slower than about 99.9%
  of deliveries) is an anomaly. Faster is never flagged.
- **Refund ratio** (refunded / captured) of a completed order: the norm is a
  mean and a standard deviation; ``z = (ratio - mean) / sd`` above the
  threshold is an anomaly (most orders refund nothing, so a large refund is
  out of pattern even when the books balance).

An anomaly is raised as an alert for a person to look at; it never changes the
order's outcome. ``OutcomeModel.fit`` estimates the norms from observations, so
a deployment can refit them on its own history; the defaults are documented
guesses for a parcel carrier. An ML scorer could replace ``assess`` behind the
same signature.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

MIN_SIGMA = 0.05  # a fitted spread never collapses to zero
MIN_SD = 0.01


@dataclass(frozen=True)
class TransitNorm:
    """Log-normal transit time of one service."""

    median_hours: float
    sigma: float  # standard deviation of ln(hours)

    def z(self, hours: float) -> float:
        """How many sigmas slower (positive) or faster than the median."""
        return math.log(max(hours, 1e-6) / self.median_hours) / self.sigma


@dataclass(frozen=True)
class RatioNorm:
    """Normal approximation of a ratio's distribution."""

    mean: float
    sd: float

    def z(self, ratio: float) -> float:
        """How many standard deviations above the mean."""
        return (ratio - self.mean) / self.sd


DEFAULT_TRANSIT: Mapping[str, TransitNorm] = {
    "overnight": TransitNorm(median_hours=20.0, sigma=0.25),
    "expedited": TransitNorm(median_hours=50.0, sigma=0.30),
    "standard": TransitNorm(median_hours=110.0, sigma=0.35),
}
DEFAULT_REFUND_RATIO = RatioNorm(mean=0.02, sd=0.05)


@dataclass(frozen=True)
class Anomaly:
    """One measure out of pattern."""

    kind: str  # "slow-delivery" | "refund-ratio"
    value: float
    z: float
    message: str


@dataclass(frozen=True)
class OutcomeModel:
    """Norms per service and for refunds, and the z threshold that flags."""

    transit: Mapping[str, TransitNorm] = field(default_factory=lambda: DEFAULT_TRANSIT)
    refund_ratio: RatioNorm = DEFAULT_REFUND_RATIO
    threshold: float = 3.0

    @classmethod
    def fit(
        cls,
        deliveries: Iterable[tuple[str, float]],
        refund_ratios: Iterable[float],
        *,
        threshold: float = 3.0,
    ) -> OutcomeModel:
        """Estimate the norms: (service, transit hours) pairs and refund ratios.

        Needs at least two observations per service and two ratios; a service
        with fewer keeps its default norm.
        """
        logs: dict[str, list[float]] = {}
        for service, hours in deliveries:
            logs.setdefault(service, []).append(math.log(hours))
        transit = dict(DEFAULT_TRANSIT)
        for service, values in logs.items():
            if len(values) >= 2:
                transit[service] = TransitNorm(
                    median_hours=math.exp(statistics.fmean(values)),
                    sigma=max(MIN_SIGMA, statistics.stdev(values)),
                )
        ratios = list(refund_ratios)
        refund = DEFAULT_REFUND_RATIO
        if len(ratios) >= 2:
            refund = RatioNorm(
                statistics.fmean(ratios), max(MIN_SD, statistics.stdev(ratios))
            )
        return cls(transit=transit, refund_ratio=refund, threshold=threshold)

    def assess(
        self,
        *,
        service: str,
        transit_hours: float | None,
        captured_cents: int,
        refunded_cents: int,
    ) -> list[Anomaly]:
        """The anomalies of one completed order (none when all is in pattern)."""
        found: list[Anomaly] = []
        norm = self.transit.get(service)
        if norm is not None and transit_hours is not None:
            z = norm.z(transit_hours)
            if z > self.threshold:
                found.append(
                    Anomaly(
                        "slow-delivery",
                        transit_hours,
                        round(z, 2),
                        f"{service} delivery took {transit_hours:.0f} h; the norm"
                        f" is {norm.median_hours:.0f} h (z = {z:.1f})",
                    )
                )
        if captured_cents > 0:
            ratio = refunded_cents / captured_cents
            z = self.refund_ratio.z(ratio)
            if z > self.threshold:
                found.append(
                    Anomaly(
                        "refund-ratio",
                        round(ratio, 4),
                        round(z, 2),
                        f"{ratio:.0%} of the captured amount was refunded;"
                        f" the norm is {self.refund_ratio.mean:.0%} (z = {z:.1f})",
                    )
                )
        return found
