"""The order as approvals see it: its subject, its stages, its words, its view.

The approvals part (orderflow/parts/approvals/) knows subjects, not orders; this
module is the order's side of that contract. ``order_view`` turns the order's
read-model body into what approval_ui/templates/subjects/order.html shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from orderflow.parts.approvals.subject import Stage, Subject, Wording

KIND = "order"
WORDING = Wording(
    noun="order",
    amount_label="Total",
    after_approval=(
        "The order goes on to fulfilment once every approval it needs is in."
    ),
    after_rejection="The order is rejected: nothing will be charged or shipped.",
)


def order_subject(order: dict[str, Any]) -> Subject:
    """The validated order (validate-order's result) as an approval subject."""
    return Subject(
        kind=KIND,
        subject_id=str(order["order_id"]),
        title=f"Order {order['order_id']}",
        amount_cents=int(order.get("total_cents", 0)),
        currency=str(order.get("currency", "")),
        risk=dict(order.get("risk") or {}),
    )


def order_stages(approvers: Sequence[str], needed: int) -> list[Stage]:
    """One stage: ``needed`` of the directory's approvers, in escalation order."""
    return [Stage("approver", tuple(approvers), needed)]


def _money(amount: Decimal | int | str, currency: str) -> str:
    return f"{Decimal(amount):,.2f} {currency}"


def order_view(order: dict[str, Any]) -> dict[str, Any]:
    """The order (the read model's body) as its confirmation page shows it."""
    currency = str(order.get("currency", ""))
    items = [
        {
            "sku": item["sku"],
            "quantity": item["quantity"],
            # The currency is named once, on the total: the table fits a phone.
            "unit_price": f"{Decimal(item['unit_price']):,.2f}",
            "line_total": f"{Decimal(item['unit_price']) * int(item['quantity']):,.2f}",
        }
        for item in order.get("items", [])
    ]
    total = sum(
        (Decimal(i["unit_price"]) * int(i["quantity"]) for i in order["items"]),
        Decimal(0),
    )
    customer, ship = order.get("customer", {}), order.get("shipping_address", {})
    return {
        "order_id": order["order_id"],
        "lines": items,
        "total": _money(total, currency),
        "customer_id": customer.get("customer_id", ""),
        "email": customer.get("email", ""),
        "account_age_days": customer.get("account_age_days", ""),
        "ship_name": ship.get("name", ""),
        "ship_line1": ship.get("line1", ""),
        "ship_city": ship.get("city", ""),
        "ship_postal_code": ship.get("postal_code", ""),
        "ship_country": ship.get("country", ""),
        "shipping_speed": order.get("shipping_speed", ""),
        "payment_method": str(order.get("payment_method", "")).replace("_", " "),
        "billing_country": order.get("billing_country", ""),
    }
