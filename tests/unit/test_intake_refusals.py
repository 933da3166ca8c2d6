"""Every front door refuses what the review sent: deep nesting, unshowable text.

A body nested past any parser's depth is a 400 naming the body, found before it
is parsed (it was a RecursionError, so a 500); text a person reads that holds a
control or format character is a 400 naming the field (it was accepted, and
shown as it was). Each process's model and intake, and the approval form.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderflow.domain.errors import InvalidInputError
from orderflow.parts.approvals.links import InvalidDecisionError, parse_decision
from orderflow.processes.expenses.model import parse_claim
from orderflow.processes.orders.intake import read_order
from orderflow.processes.orders.order import parse_order
from orderflow.processes.returns.intake import read_return
from orderflow.processes.returns.model import parse_return
from tests.unit.processes.returns.factories import return_body
from tests.unit.strategies import (
    deep_bodies,
    nest,
    orders_with_unshowable_text,
    unshowable_chars,
    with_unshowable,
)
from tests.unit.test_approval_links import make_link
from tests.utils.orders import low_risk_order

LIMIT = 1024 * 1024  # past the deepest body drawn: the nesting is the problem
READERS: dict[str, Callable[[bytes], Any]] = {
    "order": lambda body: read_order(body, max_bytes=LIMIT),
    "return": lambda body: read_return(body, max_bytes=LIMIT),
}
CLAIM = {
    "expense_id": "EXP-1",
    "employee_id": "EMP-1",
    "amount_cents": 1200,
    "currency": "EUR",
    "description": "Train to Lyon",
}


def fields_of(error: InvalidInputError) -> dict[str, str]:
    return {p.field: p.message for p in error.fields}


def assert_names(error: InvalidInputError, field: str, text: str) -> None:
    """``error`` names ``field``, and the refused character unless pydantic
    refused it first (an unpaired surrogate is not a string to it)."""
    message = fields_of(error)[field]
    if not any("\ud800" <= c <= "\udfff" for c in text):
        assert "U+" in message, message


@pytest.mark.parametrize("kind", READERS)
def test_the_reviews_40_kb_of_brackets_is_a_400_naming_the_body(kind: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        READERS[kind](b"[" * 40_000)

    assert "more than 32 levels deep" in fields_of(refused.value)["body"]


@pytest.mark.parametrize("kind", READERS)
@given(body=deep_bodies())
def test_any_body_nested_too_deep_is_refused_before_parsing(
    kind: str, body: bytes
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        READERS[kind](body)

    assert list(fields_of(refused.value)) == ["body"]


def test_a_body_at_the_depth_limit_is_parsed_and_judged_by_its_fields() -> None:
    # The order, its address and 30 arrays around the name: 32 levels.
    order = json.dumps(low_risk_order("ORD-DEEP"))
    name = json.dumps(low_risk_order("ORD-DEEP")["shipping_address"]["name"])
    body = order.replace(name, nest(json.loads(name), 30, objects=False)).encode()

    with pytest.raises(InvalidInputError) as refused:
        read_order(body, max_bytes=LIMIT)

    assert list(fields_of(refused.value)) == ["shipping_address.name"]


@given(orders_with_unshowable_text())
def test_an_order_with_an_unshowable_character_is_refused_naming_the_field(
    case: tuple[dict[str, Any], str],
) -> None:
    order, field = case

    with pytest.raises(InvalidInputError) as refused:
        parse_order(order)

    parent, name = field.split(".")
    assert_names(refused.value, field, order[parent][name])


def test_the_reviews_right_to_left_override_in_a_name_is_refused() -> None:
    order = low_risk_order("ORD-RLO")
    order["shipping_address"]["name"] = "Bob \u202egnp.exe"

    with pytest.raises(InvalidInputError, match=r"shipping_address.name.*U\+202E"):
        parse_order(order)


@given(st.data())
def test_a_return_comment_keeps_its_lines_but_no_other_control(
    data: st.DataObject,
) -> None:
    lines = "Arrived broken.\r\nBox crushed\tflat."
    bad = data.draw(with_unshowable(lines, allowed="\n\t\r"))

    assert parse_return(return_body(comment=lines)).comment == (
        "Arrived broken.\nBox crushed\tflat."
    )
    with pytest.raises(InvalidInputError) as refused:
        parse_return(return_body(comment=bad))
    assert_names(refused.value, "comment", bad)


@given(st.data())
def test_an_expense_description_is_one_showable_line(data: st.DataObject) -> None:
    bad = data.draw(with_unshowable("Train to Lyon"))

    assert parse_claim(CLAIM).description == "Train to Lyon"
    with pytest.raises(InvalidInputError) as refused:
        parse_claim({**CLAIM, "description": bad})
    assert_names(refused.value, "description", bad)


@given(char=unshowable_chars.filter(lambda c: c not in "\n\t\r"))
def test_an_approval_comment_with_an_unshowable_character_is_not_recorded(
    char: str,
) -> None:
    fields = {"decision": "approve", "comment": f"looks fine{char} to me"}

    with pytest.raises(
        InvalidDecisionError, match=f"the comment holds U\\+{ord(char):04X}"
    ):
        parse_decision(fields, make_link())


def test_an_approval_comment_keeps_the_lines_a_browser_sends() -> None:
    fields = {"decision": "reject", "comment": "No.\r\nAsk\tfinance."}

    assert parse_decision(fields, make_link()).comment == "No.\nAsk\tfinance."
