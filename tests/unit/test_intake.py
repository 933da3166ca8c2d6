"""The front door: reading a request body, and submitting an order exactly once."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

import pytest

from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.domain.errors import InvalidOrderError, OrderConflictError
from orderflow.parts.validation import PayloadTooLargeError, request_body
from orderflow.processes.orders.intake import read_order, submit
from orderflow.processes.orders.order import Order, parse_order
from orderflow.processes.orders.status import OrderStatus
from tests.utils.orders import load_event, low_risk_order

AT = "2026-01-02T03:04:05+00:00"
LIMIT = 64 * 1024
ARN_PREFIX = "arn:aws:lambda:us-east-1:123456789012:function:wf:live"


@dataclass
class FakeStarter:
    """Records every start; raises OrderConflictError when told to."""

    conflict: bool = False
    calls: list[tuple[str, str]] = field(default_factory=list)

    def start(self, name: str, payload: str) -> str | None:
        """Record the call; answer with an ARN derived from the name."""
        if self.conflict:
            raise OrderConflictError(f"execution {name} exists with another payload")
        self.calls.append((name, payload))
        return f"{ARN_PREFIX}/durable-execution/{name}/x"


def fields_of(error: pytest.ExceptionInfo[InvalidOrderError]) -> dict[str, str]:
    """The problems of a caught InvalidOrderError, field -> message."""
    return {p.field: p.message for p in error.value.fields}


@pytest.mark.parametrize("encode", [False, True])
def test_valid_body_as_text_or_bytes_reads_into_an_order(encode: bool) -> None:
    text = json.dumps(load_event("order-low-risk.json"))

    order = read_order(text.encode() if encode else text, max_bytes=LIMIT)

    assert order.order_id == "ORD-1001"
    assert order.total_cents == 64_99


def test_malformed_body_names_the_failing_field() -> None:
    data = low_risk_order()
    data["customer"]["email"] = "not-an-email"

    with pytest.raises(InvalidOrderError) as caught:
        read_order(json.dumps(data), max_bytes=LIMIT)

    assert list(fields_of(caught)) == ["customer.email"]


def test_body_over_the_limit_is_too_large_and_one_at_the_limit_is_read() -> None:
    text = json.dumps(low_risk_order())
    size = len(text.encode())

    with pytest.raises(
        PayloadTooLargeError, match=f"{size} bytes; the limit is {size - 1}"
    ):
        read_order(text, max_bytes=size - 1)
    assert read_order(text, max_bytes=size).order_id == "ORD-T-LOW"


def test_limit_counts_bytes_not_characters() -> None:
    text = json.dumps({"name": "é" * 10}, ensure_ascii=False)  # 10 chars, 20 bytes

    with pytest.raises(PayloadTooLargeError):
        read_order(text, max_bytes=len(text) + 5)


@pytest.mark.parametrize("empty", [None, "", b"", "  \n\t "])
def test_empty_body_is_refused_as_a_body_problem(empty: str | bytes | None) -> None:
    with pytest.raises(InvalidOrderError) as caught:
        read_order(empty, max_bytes=LIMIT)

    assert list(fields_of(caught)) == ["body"]
    assert "empty" in fields_of(caught)["body"]


@pytest.mark.parametrize("junk", ["{not json", "{'order_id': 1}", b"\xff\xfe{}"])
def test_body_that_is_not_json_is_a_body_problem(junk: str | bytes) -> None:
    with pytest.raises(InvalidOrderError) as caught:
        read_order(junk, max_bytes=LIMIT)

    assert fields_of(caught)["body"].startswith("is not valid JSON")


@pytest.mark.parametrize("value", ["[]", '"order"', "42", "null", "true"])
def test_json_that_is_not_an_object_is_a_body_problem(value: str) -> None:
    with pytest.raises(InvalidOrderError) as caught:
        read_order(value, max_bytes=LIMIT)

    assert fields_of(caught) == {"body": "must be a JSON object"}


def test_text_that_cannot_be_utf8_encoded_is_a_body_problem() -> None:
    with pytest.raises(InvalidOrderError) as caught:
        read_order('{"order_id": "\ud800"}', max_bytes=LIMIT)

    assert list(fields_of(caught)) == ["body"]


def order(order_id: str = "ORD-T-IN", **changes: object) -> Order:
    """A valid order model."""
    return parse_order(low_risk_order(order_id, **changes))


def test_first_submit_records_the_order_and_starts_one_named_execution(
    store: SqliteStore,
) -> None:
    starter = FakeStarter()
    new = order()

    accepted = submit(new, store=store, starter=starter, at=AT)

    assert (accepted.order_id, accepted.status, accepted.duplicate) == (
        "ORD-T-IN",
        OrderStatus.RECEIVED,
        False,
    )
    assert starter.calls == [("ORD-T-IN", new.model_dump_json())]
    record = store.get_subject("ORD-T-IN")
    assert record is not None
    assert record.body == new.model_dump(mode="json")
    assert record.execution_arn is not None
    assert record.execution_arn.endswith("/ORD-T-IN/x")


def test_duplicate_submit_is_a_duplicate_and_restarts_with_the_same_name_and_payload(
    store: SqliteStore,
) -> None:
    starter = FakeStarter()
    text = json.dumps(low_risk_order("ORD-T-DUP"))
    reordered = json.dumps(
        dict(reversed(list(low_risk_order("ORD-T-DUP").items()))), indent=2
    )

    first = submit(
        read_order(text, max_bytes=LIMIT), store=store, starter=starter, at=AT
    )
    again = submit(
        read_order(reordered, max_bytes=LIMIT), store=store, starter=starter, at=AT
    )

    assert (first.duplicate, again.duplicate) == (False, True)
    assert len(starter.calls) == 2
    assert starter.calls[0] == starter.calls[1]


def test_duplicate_submit_reports_the_orders_current_status(store: SqliteStore) -> None:
    starter = FakeStarter()
    submit(order(), store=store, starter=starter, at=AT)
    store.set_status("ORD-T-IN", OrderStatus.AWAITING_APPROVAL, at=AT)

    again = submit(order(), store=store, starter=starter, at=AT)

    assert (again.status, again.duplicate) == (OrderStatus.AWAITING_APPROVAL, True)


def test_same_id_with_a_different_body_conflicts_and_starts_nothing(
    store: SqliteStore,
) -> None:
    starter = FakeStarter()
    submit(order(), store=store, starter=starter, at=AT)
    starter.calls.clear()

    with pytest.raises(OrderConflictError, match="ORD-T-IN"):
        submit(order(payment_method="paypal"), store=store, starter=starter, at=AT)

    assert starter.calls == []
    record = store.get_subject("ORD-T-IN")
    assert record is not None
    assert record.body["payment_method"] == "card"


def test_conflict_from_the_starter_propagates(store: SqliteStore) -> None:
    with pytest.raises(OrderConflictError, match="another payload"):
        submit(order(), store=store, starter=FakeStarter(conflict=True), at=AT)


@pytest.mark.parametrize(
    "raw",
    [b"\x80", b"\xff\xfe{", b'{"order_id": "\xf6"}'],
    ids=["lone", "bom", "in-str"],
)
def test_a_body_that_is_not_utf8_is_an_invalid_order_not_a_crash(raw: bytes) -> None:
    body = request_body(
        base64.b64encode(raw).decode(), base64_encoded=True, error=InvalidOrderError
    )

    with pytest.raises(InvalidOrderError) as caught:
        read_order(body, max_bytes=LIMIT)

    assert "body" in fields_of(caught)


def test_request_body_returns_the_gateways_bytes() -> None:
    text = json.dumps(low_risk_order())

    assert request_body(text, base64_encoded=False) == text.encode()
    encoded = base64.b64encode(text.encode()).decode()
    assert request_body(encoded, base64_encoded=True) == text.encode()
    assert request_body(None, base64_encoded=False) == b""


def test_base64_that_does_not_decode_is_an_invalid_order() -> None:
    with pytest.raises(InvalidOrderError) as caught:
        request_body("not base64!", base64_encoded=True, error=InvalidOrderError)

    assert fields_of(caught) == {"body": "is not valid base64"}
