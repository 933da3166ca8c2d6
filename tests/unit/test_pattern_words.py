"""A refusal of a field that must match a pattern says what it allows, in words.

pydantic says "String should match pattern '^[A-Z]{2}$'"; a person submitting
an order wants "must be a two-letter country code in capitals".
"""

from __future__ import annotations

from typing import Any

import pytest

from orderflow.domain.errors import InvalidInputError
from orderflow.processes.expenses.model import parse_claim
from orderflow.processes.orders.order import parse_order
from orderflow.processes.returns.model import parse_return
from tests.utils.orders import load_event, low_risk_order


def refusal(parse: Any, data: dict[str, Any], field: str) -> str:
    """The message naming ``field`` when ``parse`` refuses ``data``."""
    with pytest.raises(InvalidInputError) as refused:
        parse(data)
    [message] = [p.message for p in refused.value.fields if p.field == field]
    return message


def test_every_patterned_field_of_an_order_is_refused_in_words() -> None:
    order = low_risk_order("ORD-bad id!")
    order["customer"] |= {"customer_id": "", "email": "ana at example"}
    order["items"][0]["sku"] = "-mug"
    order["shipping_address"]["country"] = "usa"

    said = {
        field: refusal(parse_order, order, field)
        for field in (
            "order_id",
            "customer.customer_id",
            "customer.email",
            "items.0.sku",
            "shipping_address.country",
        )
    }

    assert said == {
        "order_id": "must be 1 to 64 letters, digits, dashes or underscores",
        "customer.customer_id": (
            "must be 1 to 64 letters, digits, dashes or underscores"
        ),
        "customer.email": "must be an email address, such as ana@example.com",
        "items.0.sku": (
            "must be 1 to 40 capital letters, digits or dashes, "
            "not starting with a dash"
        ),
        "shipping_address.country": (
            "must be a two-letter country code in capitals (ISO 3166-1), such as US"
        ),
    }


def test_a_return_and_a_claim_are_refused_in_words_too() -> None:
    ret = load_event("return-small.json")
    ret["items"][0]["sku"] = "mug lambda"
    claim = load_event("expense-claim.json") | {"currency": "euro"}

    assert refusal(parse_return, ret, "items.0.sku").startswith("must be 1 to 40")
    assert refusal(parse_claim, claim, "currency") == (
        "must be a three-letter currency code in capitals (ISO 4217), such as EUR"
    )
