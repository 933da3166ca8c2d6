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

from orderflow.domain.order import Currency
from orderflow.processes.returns.model import ReturnRequest

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
        return [_on_order(ProblemCode.UNKNOWN_ORDER, f"no order {request.order_id}")]
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
