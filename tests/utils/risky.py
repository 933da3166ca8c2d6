"""Crafted orders, one per risk shape, for the scoring and workflow tests."""

from __future__ import annotations

from typing import Any

from tests.utils.orders import high_risk_order, low_risk_order


def takeover_order(order_id: str = "ORD-T-ATO") -> dict[str, Any]:
    """An old account spending 14x its median at 3 am, shipped abroad overnight."""
    order = low_risk_order(
        order_id,
        items=[{"sku": "LAPTOP-9", "quantity": 1, "unit_price": "1890.00"}],
        shipping_speed="overnight",
        billing_country="US",
        placed_at="2026-11-02T03:10:00+00:00",
    )
    order["customer"].update(median_order_value="135.00", orders_last_24h=2)
    return order


def card_testing_order(order_id: str = "ORD-T-CARD") -> dict[str, Any]:
    """A 3.50 code from a 12-day-old account on its 23rd order today: no rule fires."""
    order = low_risk_order(
        order_id, items=[{"sku": "CODE-1", "quantity": 1, "unit_price": "3.50"}]
    )
    order["customer"].update(account_age_days=12, orders_last_24h=23)
    return order


def out_of_range_order(order_id: str = "ORD-T-OOD") -> dict[str, Any]:
    """900 bolts at 0.20: cheap and harmless-looking, but unlike any training order."""
    return low_risk_order(
        order_id, items=[{"sku": "BOLT-1", "quantity": 900, "unit_price": "0.20"}]
    )


def policy_reject_order(order_id: str = "ORD-T-POLICY") -> dict[str, Any]:
    """Every rule fires: 3-day-old account, overnight, 6,000 on a gift card, abroad."""
    order = high_risk_order(
        order_id,
        items=[{"sku": "GPU-X", "quantity": 1, "unit_price": "6000.00"}],
        billing_country="CA",
        payment_method="gift_card",
    )
    order["customer"]["account_age_days"] = 3
    return order


def value_10k_order(order_id: str) -> dict[str, Any]:
    """A trusted customer's 12,000 order: score 25, but over the 10,000 bar."""
    return low_risk_order(
        order_id, items=[{"sku": "WATCH-GOLD", "quantity": 1, "unit_price": "12000.00"}]
    )
