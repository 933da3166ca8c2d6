"""Bad input at the front door: a clear 4xx, nothing started, the server serving."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import StackProcess
from tests.utils.orders import low_risk_order

pytestmark = pytest.mark.e2e


def _bad(order_id: str, **changes: Any) -> bytes:
    return json.dumps(low_risk_order(order_id, **changes)).encode()


def _negative_quantity(order_id: str) -> bytes:
    order = low_risk_order(order_id)
    order["items"][0]["quantity"] = -3
    return json.dumps(order).encode()


def _deep(order_id: str) -> bytes:
    """The review's body: a valid order, then 40 KB of brackets in one of its values."""
    order = json.dumps(low_risk_order(order_id))
    return order.replace('"card"', "[" * 20_000 + "]" * 20_000).encode()


def _right_to_left(order_id: str) -> bytes:
    """The review's name: shown as "Bob exe.png", stored as something else."""
    order = low_risk_order(order_id)
    order["shipping_address"]["name"] = "Bob \u202egnp.exe"
    return json.dumps(order).encode()


def _wrong_type(order_id: str) -> bytes:
    order = low_risk_order(order_id)
    order["customer"]["account_age_days"] = "old"
    return json.dumps(order).encode()


CASES = [
    ("BAD-JSON", b'{"order_id": "BAD-JSON", "items": [', 400, "body", "not valid JSON"),
    ("BAD-TYPE", _wrong_type("BAD-TYPE"), 400, "customer.account_age_days", "integer"),
    (
        "BAD-QTY",
        _negative_quantity("BAD-QTY"),
        400,
        "items.0.quantity",
        "greater than 0",
    ),
    ("BAD-CUR", _bad("BAD-CUR", currency="DOGE"), 400, "currency", "must be one of"),
    ("BAD-EMPTY", _bad("BAD-EMPTY", items=[]), 400, "items", "at least 1"),
    ("BAD-ARRAY", b"[1, 2, 3]", 400, "body", "JSON object"),
    ("BAD-DEEP", _deep("BAD-DEEP"), 400, "body", "more than 32 levels deep"),
    ("BAD-BRACKETS", b"[" * 40_000, 400, "body", "more than 32 levels deep"),
    ("BAD-RLO", _right_to_left("BAD-RLO"), 400, "shipping_address.name", "U+202E"),
    ("BAD-NOTHING", b"", 400, "body", "empty"),
    (
        "BAD-BIG",
        b'{"order_id": "BAD-BIG", "pad": "' + b"x" * (1024 * 1024) + b'"}',
        413,
        None,
        "limit",
    ),
]


@pytest.mark.parametrize(
    ("order_id", "body", "status", "field", "words"), CASES, ids=[c[0] for c in CASES]
)
def test_bad_order_is_refused_naming_the_problem_and_nothing_starts(
    stack: StackProcess,
    order_id: str,
    body: bytes,
    status: int,
    field: str | None,
    words: str,
) -> None:
    got, answer = stack.request("POST", "/orders", body)

    assert got == status
    assert words in answer["message"]
    if field is not None:
        assert field in [f["field"] for f in answer["fields"]]
    assert stack.store.get_subject(order_id) is None
    assert stack.executions_named(order_id) == []
    assert stack.request("GET", "/health") == (200, {"status": "ok"})


def test_unknown_route_is_404_and_wrong_method_is_not_routed(
    stack: StackProcess,
) -> None:
    assert stack.request("GET", "/nowhere")[0] == 404
    assert stack.request("DELETE", "/orders")[0] == 404


def test_a_body_over_api_gateways_limit_is_refused_before_reading_it(
    stack: StackProcess,
) -> None:
    status, answer = stack.request(
        "POST", "/orders", b"{}", headers={"Content-Length": str(11 * 1024 * 1024)}
    )
    assert status == 413
    assert "limit" in answer["message"]


def test_a_return_nested_too_deep_or_with_a_control_in_its_comment_is_refused(
    stack: StackProcess,
) -> None:
    deep = b'{"return_id": "RET-DEEP", "order_id": "ORD-1", "x": ' + b"[" * 40_000
    comment = {
        "return_id": "RET-NUL",
        "order_id": "ORD-1",
        "items": [{"sku": "MUG-BLUE", "quantity": 1}],
        "reason": "other",
        "comment": "broken\x00",
    }

    for body, field, words in (
        (deep, "body", "more than 32 levels deep"),
        (json.dumps(comment).encode(), "comment", "U+0000"),
    ):
        got, answer = stack.request("POST", "/returns", body)

        assert got == 400, answer
        assert answer["error"] == "invalid_return"
        assert (
            words in dict((f["field"], f["message"]) for f in answer["fields"])[field]
        )
    assert stack.store.get_subject("RET-DEEP") is None
    assert stack.store.get_subject("RET-NUL") is None
    assert stack.request("GET", "/health") == (200, {"status": "ok"})
