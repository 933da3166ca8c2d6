"""Route an assessed order: auto-approve, ask approver(s), or reject outright."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pydantic's models cost the orchestrator's cold start ~80 ms
    from orderflow.processes.orders.order import Order
    from orderflow.processes.orders.risk import RiskAssessment


class Route(StrEnum):
    """What happens next to an assessed order."""

    AUTO_APPROVE = "AUTO_APPROVE"
    ONE_APPROVER = "ONE_APPROVER"
    TWO_APPROVERS = "TWO_APPROVERS"
    REJECT = "REJECT"

    @property
    def approvals_needed(self) -> int:
        """How many distinct humans must approve."""
        return {Route.ONE_APPROVER: 1, Route.TWO_APPROVERS: 2}.get(self, 0)


@dataclass(frozen=True)
class RoutingPolicy:
    """Score thresholds (inclusive lower bounds) and the high-value bar."""

    one_approver_from: int = 30
    two_approvers_from: int = 70
    reject_from: int = 90
    two_approvers_value_cents: int = 10_000_00

    def __post_init__(self) -> None:
        if not (
            0
            < self.one_approver_from
            <= self.two_approvers_from
            <= self.reject_from
            <= 101
        ):
            raise ValueError(
                "routing thresholds must rise: 0 < one_approver_from <= "
                "two_approvers_from <= reject_from <= 101"
            )

    def route(self, order: Order, risk: RiskAssessment) -> Route:
        """Pick the route for ``order`` given its ``risk``.

        An order the model calls out of distribution goes to a human at least:
        the model's low score means nothing there.
        """
        if risk.score >= self.reject_from:
            return Route.REJECT
        if (
            risk.score >= self.two_approvers_from
            or order.total_cents >= self.two_approvers_value_cents
        ):
            return Route.TWO_APPROVERS
        if risk.score >= self.one_approver_from or risk.out_of_distribution:
            return Route.ONE_APPROVER
        return Route.AUTO_APPROVE
