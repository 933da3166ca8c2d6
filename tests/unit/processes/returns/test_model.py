"""The return request: what parse_return accepts, and how it names what it refuses."""

from __future__ import annotations

from typing import Any

import pytest

from orderflow.domain.errors import FieldProblem
from orderflow.processes.returns.model import (
    InvalidReturnError,
    ReturnReason,
    parse_return,
)
from tests.unit.processes.returns.factories import return_body


def problems(data: Any) -> dict[str, str]:
    """parse_return's complaints about ``data``, field -> message."""
    with pytest.raises(InvalidReturnError) as caught:
        parse_return(data)
    return {p.field: p.message for p in caught.value.fields}


def test_a_valid_body_parses_into_a_frozen_request() -> None:
    request = parse_return(return_body(comment="  the handle is chipped  "))

    assert request.return_id == "RET-1001"
    assert request.items[0].sku == "MUG-BLUE"
    assert request.reason is ReturnReason.CHANGED_MIND
    assert request.comment == "the handle is chipped"
    with pytest.raises(ValueError, match="frozen"):
        request.reason = ReturnReason.OTHER  # type: ignore[misc]


@pytest.mark.parametrize("comment", [None, "too small"])
def test_the_json_form_round_trips(comment: str | None) -> None:
    request = parse_return(return_body(comment=comment))

    dumped = request.model_dump(mode="json")

    assert parse_return(dumped) == request
    assert ("comment" in dumped) is (comment is not None)


@pytest.mark.parametrize("data", [None, [], "return", 7])
def test_a_non_object_body_is_a_body_problem(data: Any) -> None:
    assert problems(data) == {"body": "must be a JSON object"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"return_id": "has space"}, "return_id"),
        ({"return_id": "R" * 65}, "return_id"),
        ({"order_id": ""}, "order_id"),
        ({"items": []}, "items"),
        ({"items": [{"sku": f"SKU-{i}", "quantity": 1} for i in range(101)]}, "items"),
        ({"items": [{"sku": "mug", "quantity": 1}]}, "items.0.sku"),
        (
            {"items": [{"sku": "MUG", "quantity": 1, "colour": "blue"}]},
            "items.0.colour",
        ),
        ({"reason": "broken"}, "reason"),
        ({"comment": "x" * 1001}, "comment"),
        ({"refund_to": "elsewhere"}, "refund_to"),
    ],
)
def test_each_bad_field_is_named_by_its_dotted_path(
    changes: dict[str, Any], field: str
) -> None:
    assert set(problems(return_body(**changes))) == {field}


@pytest.mark.parametrize("quantity", [0, -1, 1_001, True, "1", 1.0])
def test_a_quantity_must_be_a_whole_number_of_units_from_1_to_1000(
    quantity: object,
) -> None:
    body = return_body(
        items=[{"sku": "MUG", "quantity": 1}, {"sku": "BOOK", "quantity": quantity}]
    )

    assert set(problems(body)) == {"items.1.quantity"}


def test_a_sku_may_appear_on_one_line_only() -> None:
    body = return_body(
        items=[{"sku": "MUG", "quantity": 1}, {"sku": "MUG", "quantity": 2}]
    )

    assert problems(body) == {
        "items": "Value error, each sku may appear on one line only"
    }


def test_an_unknown_reason_lists_the_reasons_allowed() -> None:
    message = problems(return_body(reason="broken"))["reason"]

    assert message.startswith("must be one of")
    assert all(reason.value in message for reason in ReturnReason)


def test_every_problem_is_reported_at_once_and_joined_in_the_error() -> None:
    body = return_body(return_id="", items=[{"sku": "MUG", "quantity": 0}], reason=None)

    with pytest.raises(InvalidReturnError) as caught:
        parse_return(body)

    assert [p.field for p in caught.value.fields] == [
        "return_id",
        "items.0.quantity",
        "reason",
    ]
    assert str(caught.value).startswith("return_id: ")
    assert all(isinstance(p, FieldProblem) for p in caught.value.fields)


def test_a_comment_is_optional_and_absent_by_default() -> None:
    request = parse_return(return_body())

    assert request.comment is None
    assert "comment" not in request.model_dump(mode="json")
