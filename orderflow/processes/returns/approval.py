"""The return as approvals see it: its subject, its stages, its words, its view.

The approvals part knows subjects, not returns; this module is the return's
side of that contract. ``return_view`` turns the return's read-model body (the
request and the quote intake made: ``quote``) into what
approval_ui/templates/subjects/return.html shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from orderflow.parts.approvals.subject import ApprovalView, Stage, Subject, Wording

KIND = "return"
WORDING = Wording(
    noun="return",
    amount_label="Refund",
    after_approval=(
        "The customer gets a return label once every approval it needs is in;"
        " the refund follows the parcel's inspection."
    ),
    after_rejection="The return is denied: no label is sent and nothing is refunded.",
)


def return_subject(checked: dict[str, Any]) -> Subject:
    """The checked return (validate-return's result) as an approval subject."""
    return Subject(
        kind=KIND,
        subject_id=str(checked["return_id"]),
        title=f"Return {checked['return_id']}",
        amount_cents=int(checked["refund_cents"]),
        currency=str(checked["currency"]),
        risk={"score": checked["risk"]["score"], "reasons": checked["risk"]["reasons"]},
    )


def return_stages(approvers: Sequence[str], needed: int) -> list[Stage]:
    """One stage: ``needed`` of the returns' approvers, in escalation order."""
    return [Stage("approver", tuple(approvers), needed)]


def _money(cents: int, currency: str) -> str:
    return f"{cents // 100:,}.{cents % 100:02d} {currency}".strip()


def return_view(body: dict[str, Any]) -> dict[str, Any]:
    """The return (the read model's body) as its confirmation page shows it."""
    quote = body.get("quote") or {}
    currency = str(quote.get("currency", ""))
    prices = {line["sku"]: int(line["unit_cents"]) for line in quote.get("lines", [])}
    lines = [
        {
            "sku": item["sku"],
            "quantity": item["quantity"],
            "unit_price": _money(prices.get(item["sku"], 0), "").strip(),
            "line_total": _money(prices.get(item["sku"], 0) * item["quantity"], ""),
        }
        for item in body.get("items", [])
    ]
    return {
        "return_id": body.get("return_id", ""),
        "lines": lines,
        "refund": _money(int(quote.get("refund_cents", 0)), currency),
        "reason": str(body.get("reason", "")).replace("_", " "),
        "comment": body.get("comment") or "",
        "order_id": body.get("order_id", ""),
        "order_status": quote.get("order_status", ""),
        "order_risk_score": quote.get("order_risk_score", ""),
        "captured": _money(int(quote.get("captured_cents", 0)), currency),
        "refunded_before": _money(int(quote.get("refunded_cents", 0)), currency),
    }


VIEW = ApprovalView(KIND, WORDING, return_view)
