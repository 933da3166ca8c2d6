"""One return checked against its order: at the front door, and again in the workflow.

``check_return`` reads the order's facts and the units other returns hold, and
runs the eligibility rules; ``quote`` is what the return's read model keeps of
that check for the approval page (prices, refund, the order's risk).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orderflow.ports import Store
from orderflow.processes.returns.books import order_facts, other_returns, units_held
from orderflow.processes.returns.model import ReturnRequest
from orderflow.processes.returns.rules import (
    OrderFacts,
    ReturnProblem,
    ReturnRisk,
    check_eligibility,
    refund_cents,
    route_return,
)
from orderflow.processes.returns.settings import ReturnSettings


@dataclass(frozen=True)
class CheckedReturn:
    """A return, its order's facts (None: no such order) and what stands in its way."""

    request: ReturnRequest
    facts: OrderFacts | None
    problems: list[ReturnProblem]
    others: int  # how many other returns claimed units of the order

    @property
    def order(self) -> OrderFacts:
        """The facts, for an eligible return (ValueError otherwise)."""
        if self.facts is None or self.problems:
            raise ValueError(f"return {self.request.return_id} is not eligible")
        return self.facts

    def delivered(self) -> dict[str, int]:
        """Units delivered per SKU of the order."""
        return {sku: units for sku, (units, _) in self.order.lines.items()}

    def refund_cents(self) -> int:
        """What the return refunds before inspection."""
        return refund_cents(self.request, self.order)

    def route(self, settings: ReturnSettings) -> ReturnRisk:
        """The route, score and reasons of the eligible return."""
        return route_return(
            self.request,
            self.order,
            refund_cents=self.refund_cents(),
            recent_returns=self.others,
            thresholds=settings.thresholds,
        )

    def quote(self) -> dict[str, Any]:
        """The check as the read model keeps it beside the request (JSON)."""
        order = self.order
        return {
            "currency": order.currency.value,
            "refund_cents": self.refund_cents(),
            "lines": [
                {"sku": line.sku, "unit_cents": order.lines[line.sku][1]}
                for line in self.request.items
            ],
            "order_status": order.status,
            "order_risk_score": order.risk_score,
            "captured_cents": order.captured_cents,
            "refunded_cents": order.refunded_cents,
        }

    def body(self) -> dict[str, Any]:
        """The return's read-model body: the request, and the quote."""
        return self.request.model_dump(mode="json") | {"quote": self.quote()}


def check_return(
    store: Store, settings: ReturnSettings, request: ReturnRequest, *, now: datetime
) -> CheckedReturn:
    """Check ``request`` against its order and the units other returns hold."""
    facts = order_facts(store, request.order_id)
    effects = store.list_effects(request.order_id) if facts is not None else []
    problems = check_eligibility(
        request,
        facts,
        open_or_refunded=units_held(effects, besides=request.return_id),
        now=now,
        window=settings.window,
    )
    return CheckedReturn(
        request, facts, problems, other_returns(effects, request.return_id)
    )
