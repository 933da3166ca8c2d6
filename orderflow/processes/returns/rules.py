"""The returns rules: eligibility, refund value, risk routing and the refund cap.

Pure functions over plain data: the caller reads the order and the other returns
in a step and passes the facts and the time in, so every rule replays the same.
Money is integer cents in the order's currency.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from orderflow.processes.orders.order import Currency
from orderflow.processes.returns.model import ReturnReason, ReturnRequest

RETURN_WINDOW = timedelta(days=30)
# OrderStatus.COMPLETED's value: only a delivered, reconciled order takes returns.
ORDER_COMPLETED = "COMPLETED"


@dataclass(frozen=True)
class OrderFacts:
    """What the return rules need from the original order, as plain data."""

    order_id: str
    status: str
    currency: Currency
    lines: Mapping[str, tuple[int, int]]  # sku -> (units delivered, unit cents)
    captured_cents: int
    refunded_cents: int
    delivered_at: datetime | None
    risk_score: int  # the order's own risk score, 0-100
    customer_id: str

    @property
    def goods_cents(self) -> int:
        """The value of every unit delivered, at its unit price."""
        return sum(units * cents for units, cents in self.lines.values())


class ProblemCode(StrEnum):
    """Why a return cannot start, each with the HTTP status it answers with."""

    UNKNOWN_ORDER = "unknown_order"
    ORDER_NOT_COMPLETED = "order_not_completed"
    NOT_DELIVERED = "not_delivered"
    OUTSIDE_WINDOW = "outside_window"
    SKU_NOT_ON_ORDER = "sku_not_on_order"
    TOO_MANY_UNITS = "too_many_units"

    @property
    def http_status(self) -> int:
        """404 for an unknown order, 409 for one not completed, else 422."""
        return {
            ProblemCode.UNKNOWN_ORDER: 404,
            ProblemCode.ORDER_NOT_COMPLETED: 409,
        }.get(self, 422)


@dataclass(frozen=True)
class ReturnProblem:
    """One reason the return cannot start: its code, field and a plain sentence."""

    code: ProblemCode
    field: str  # dotted path into the request: order_id, items.1.quantity
    message: str

    @property
    def http_status(self) -> int:
        """The status of the 4xx answer this problem gives."""
        return self.code.http_status

    def as_dict(self) -> dict[str, str]:
        """JSON form, as returned in a 4xx body."""
        return {"code": self.code, "field": self.field, "message": self.message}

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def check_eligibility(
    request: ReturnRequest,
    order: OrderFacts | None,
    *,
    open_or_refunded: Mapping[str, int],
    now: datetime,
    window: timedelta = RETURN_WINDOW,
) -> list[ReturnProblem]:
    """Check ``request`` against its order before anything starts.

    An unknown or uncompleted order is the only problem reported; otherwise
    every problem is, in field order. The window is inclusive: a return exactly
    ``window`` after delivery is in time, one microsecond later is not.

    Args:
        request: the parsed return.
        order: the facts of ``request.order_id``; None when there is no such order.
        open_or_refunded: units per SKU that the order's other returns have
            refunded or are still processing.
        now: when the return was asked for (aware), read by the caller in a step.
        window: how long after delivery a return may start.

    Returns:
        The problems; empty when the return may start.
    """
    if order is None:
        missing = f"there is no order {request.order_id}"
        return [_on_order(ProblemCode.UNKNOWN_ORDER, missing)]
    if order.order_id != request.order_id:
        raise ValueError(f"facts of {order.order_id} given for {request.order_id}")
    if order.status != ORDER_COMPLETED:
        return [
            _on_order(
                ProblemCode.ORDER_NOT_COMPLETED,
                f"order {order.order_id} is {order.status}, not {ORDER_COMPLETED}",
            )
        ]
    problems = _delivery_problems(order, now, window)
    for i, line in enumerate(request.items):
        if line.sku not in order.lines:
            message = f"{line.sku} is not on order {order.order_id}"
            problems.append(
                ReturnProblem(ProblemCode.SKU_NOT_ON_ORDER, f"items.{i}.sku", message)
            )
            continue
        delivered, taken = order.lines[line.sku][0], open_or_refunded.get(line.sku, 0)
        left = max(0, delivered - taken)
        if line.quantity > left:
            message = (
                f"{line.sku}: {delivered} delivered and {taken} already returned or"
                f" being returned, so at most {left} more, not {line.quantity}"
            )
            problems.append(
                ReturnProblem(
                    ProblemCode.TOO_MANY_UNITS, f"items.{i}.quantity", message
                )
            )
    return problems


def _on_order(code: ProblemCode, message: str) -> ReturnProblem:
    """A problem with the order as a whole, named by the request's order_id."""
    return ReturnProblem(code, "order_id", message)


def _delivery_problems(
    order: OrderFacts, now: datetime, window: timedelta
) -> list[ReturnProblem]:
    """Not delivered, or delivered longer than ``window`` before ``now``."""
    if order.delivered_at is None:
        return [
            _on_order(
                ProblemCode.NOT_DELIVERED, f"order {order.order_id} was not delivered"
            )
        ]
    closes = order.delivered_at + window
    if now > closes:
        message = (
            f"order {order.order_id} was delivered at"
            f" {order.delivered_at.isoformat()}; returns closed at {closes.isoformat()}"
        )
        return [_on_order(ProblemCode.OUTSIDE_WINDOW, message)]
    return []


def refund_cents(request: ReturnRequest, order: OrderFacts) -> int:
    """The refund value of the requested lines: units times unit price."""
    return sum(line.quantity * _unit_cents(order, line.sku) for line in request.items)


def _unit_cents(order: OrderFacts, sku: str) -> int:
    """The unit price of ``sku`` on ``order``; ValueError if it is not on it."""
    if sku not in order.lines:
        raise ValueError(f"{sku} is not on order {order.order_id}")
    return order.lines[sku][1]


class ReturnRoute(StrEnum):
    """What happens next to an eligible return."""

    AUTO_APPROVE = "AUTO_APPROVE"
    ONE_APPROVER = "ONE_APPROVER"
    TWO_APPROVERS = "TWO_APPROVERS"
    DENY = "DENY"

    @property
    def approvals_needed(self) -> int:
        """How many distinct humans must approve."""
        return {ReturnRoute.ONE_APPROVER: 1, ReturnRoute.TWO_APPROVERS: 2}.get(self, 0)


@dataclass(frozen=True)
class ReturnRiskThresholds:
    """Score thresholds (inclusive lower bounds) and the two hard bars."""

    one_approver_from: int = 30
    two_approvers_from: int = 60
    deny_from: int = 90
    # A refund above this (1,000.00 in the order's currency) never auto-approves.
    always_human_above_cents: int = 100_000
    # This many recent returns take two approvers, never a denial on their own:
    # the count does not say whether those returns were fair.
    many_recent_returns: int = 5

    def __post_init__(self) -> None:
        a, b, c = self.one_approver_from, self.two_approvers_from, self.deny_from
        if not 0 < a <= b <= c <= 101:
            raise ValueError("thresholds must rise: 0 < one <= two <= deny <= 101")
        if self.always_human_above_cents < 0 or self.many_recent_returns < 1:
            raise ValueError("always_human_above_cents >= 0, many_recent_returns >= 1")


# A changed mind is the customer's word about their own wish; "not as
# described" is a claim against the listing, the hardest to judge.
REASON_POINTS: Mapping[ReturnReason, int] = {
    ReturnReason.CHANGED_MIND: 0,
    ReturnReason.DAMAGED: 10,
    ReturnReason.WRONG_ITEM: 10,
    ReturnReason.OTHER: 15,
    ReturnReason.NOT_AS_DESCRIBED: 20,
}


@dataclass(frozen=True)
class ReturnRisk:
    """The route of a return, its score 0-100 and the sentences saying why."""

    route: ReturnRoute
    score: int
    reasons: tuple[str, ...]


def route_return(
    request: ReturnRequest,
    order: OrderFacts,
    *,
    refund_cents: int,
    recent_returns: int,
    thresholds: ReturnRiskThresholds = ReturnRiskThresholds(),
) -> ReturnRisk:
    """Score an eligible return and pick its route.

    The score (0-100) adds four parts: the order's own risk score times 0.4
    (0-40); the refund's whole-percent share of the order's goods over 5 (0-20);
    ``REASON_POINTS`` (0-20); 5 per recent return of the customer (0-20).
    From ``deny_from`` it is denied; from ``two_approvers_from``, or with
    ``many_recent_returns`` or more, two approvers decide; from
    ``one_approver_from``, or for a refund above ``always_human_above_cents``,
    one does. Below all of these it is approved without a human.

    Args:
        request: the eligible return.
        order: the facts of its order.
        refund_cents: what the return would refund (see ``refund_cents``).
        recent_returns: the customer's other returns in the caller's look-back.
        thresholds: where the score and the hard bars change the route.

    Returns:
        The route, the score, and sentences: the score and route, each part that
        added to it, and the hard bar that raised the route if one did.
    """
    share = 100 * refund_cents // order.goods_cents if order.goods_cents else 0
    n, risk = recent_returns, order.risk_score
    parts = {
        f"the order's own risk score is {risk}": _clamp(risk, 100) * 2 // 5,
        f"the refund is {share}% of the order": _clamp(share, 100) // 5,
        f"the reason is {request.reason}": REASON_POINTS[request.reason],
        f"the customer made {n} recent return{'s' * (n != 1)}": 5 * _clamp(n, 4),
    }
    score = sum(parts.values())
    reasons = [f"{why} (+{points})" for why, points in parts.items() if points]
    t = thresholds
    route = ReturnRoute.AUTO_APPROVE
    if score >= t.deny_from:
        route = ReturnRoute.DENY
    elif score >= t.two_approvers_from:
        route = ReturnRoute.TWO_APPROVERS
    elif n >= t.many_recent_returns:
        route = ReturnRoute.TWO_APPROVERS
        reasons.append(f"{t.many_recent_returns} or more recent returns take two")
    elif score >= t.one_approver_from:
        route = ReturnRoute.ONE_APPROVER
    elif refund_cents > t.always_human_above_cents:
        route = ReturnRoute.ONE_APPROVER
        bar = _money(t.always_human_above_cents, order.currency)
        reasons.append(f"a refund above {bar} never goes without a human")
    return ReturnRisk(route, score, (f"score {score} of 100: {route}", *reasons))


def _clamp(value: int, top: int) -> int:
    """``value`` held between 0 and ``top``."""
    return max(0, min(top, value))


def _money(cents: int, currency: Currency) -> str:
    """Cents as '1,000.01 USD'."""
    return f"{cents // 100:,}.{cents % 100:02d} {currency}"


DAMAGED_REFUND_PERCENT = 0


def inspected_refund_cents(
    request: ReturnRequest,
    order: OrderFacts,
    damaged: Mapping[str, int],
    *,
    damaged_refund_percent: int = DAMAGED_REFUND_PERCENT,
) -> int:
    """The refund after inspection: damaged units refund a share, by default none.

    Each line refunds its intact units in full and its damaged units at
    ``damaged_refund_percent`` of the unit price, rounded down per line.

    Args:
        request: the return as approved.
        order: the facts of its order, for the unit prices.
        damaged: units per SKU the inspection found damaged; {} when all is well.
        damaged_refund_percent: the share of a damaged unit's price refunded, 0-100.

    Returns:
        The refund in cents, between 0 and ``refund_cents(request, order)``.

    Raises:
        ValueError: for a share outside 0-100, or a damaged SKU or count the
            return does not hold: an inspection report that cannot be right.
    """
    if not 0 <= damaged_refund_percent <= 100:
        raise ValueError("damaged_refund_percent must be 0-100")
    returned = {line.sku: line.quantity for line in request.items}
    for sku, units in damaged.items():
        if not 0 <= units <= returned.get(sku, 0):
            raise ValueError(
                f"{units} damaged {sku}, of {returned.get(sku, 0)} returned"
            )
    total = 0
    for line in request.items:
        unit = _unit_cents(order, line.sku)
        bad = damaged.get(line.sku, 0)
        total += (
            line.quantity - bad
        ) * unit + bad * unit * damaged_refund_percent // 100
    return total


def refundable_cents(
    captured_cents: int, refunded_cents: int, wanted_cents: int
) -> int:
    """What may be refunded now: ``wanted_cents``, capped by what is left.

    The cap is ``captured_cents - refunded_cents``, and the result is never
    negative. It holds for concurrent returns of one order only when the caller
    reads ``refunded_cents`` and records the refund in one keyed, conditional
    write (re-reading and re-capping when the condition fails).

    Args:
        captured_cents: what the order's payment captured.
        refunded_cents: what earlier refunds of the order already paid back.
        wanted_cents: what this return would refund.

    Returns:
        ``min(wanted_cents, captured_cents - refunded_cents)``, at least 0.
    """
    return max(0, min(wanted_cents, captured_cents - refunded_cents))
