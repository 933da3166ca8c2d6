"""The return on the approval page, in the registry's shape, and on GET /returns."""

from __future__ import annotations

from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.domain.records import Effect
from orderflow.parts.approvals.pages import render
from orderflow.processes.returns.answer import return_answer
from orderflow.processes.returns.approval import VIEW, return_subject, return_view
from orderflow.processes.returns.process import PROCESS

BODY = {
    "return_id": "RET-1",
    "order_id": "ORD-1",
    "items": [{"sku": "MUG-LAMBDA", "quantity": 2}],
    "reason": "not_as_described",
    "comment": "<b>chipped</b>",
    "quote": {
        "currency": "USD",
        "refund_cents": 25_00,
        "lines": [{"sku": "MUG-LAMBDA", "unit_cents": 12_50}],
        "order_status": "COMPLETED",
        "order_risk_score": 12,
        "captured_cents": 64_99,
        "refunded_cents": 0,
    },
}


def test_the_view_shows_items_refund_reason_and_the_order() -> None:
    view = return_view(BODY)

    assert view["lines"] == [
        {
            "sku": "MUG-LAMBDA",
            "quantity": 2,
            "unit_price": "12.50",
            "line_total": "25.00",
        }
    ]
    assert (view["refund"], view["reason"]) == ("25.00 USD", "not as described")
    assert (view["order_id"], view["order_risk_score"]) == ("ORD-1", 12)


def test_the_page_renders_the_view_escaped() -> None:
    page = render(VIEW.template, view=return_view(BODY))

    assert "25.00 USD" in page.body and "ORD-1" in page.body
    assert "&lt;b&gt;chipped&lt;/b&gt;" in page.body


def test_the_subject_is_titled_after_the_return_with_its_refund() -> None:
    checked = {
        "return_id": "RET-1",
        "refund_cents": 25_00,
        "currency": "USD",
        "risk": {"score": 40, "reasons": ["score 40 of 100: ONE_APPROVER"]},
    }

    subject = return_subject(checked)

    assert (subject.title, subject.amount_cents, subject.risk_score) == (
        "Return RET-1",
        25_00,
        40,
    )


def test_the_process_entry_is_valid_for_the_registry() -> None:
    assert PROCESS.kind == "return" and PROCESS.id_field == "return_id"
    assert PROCESS.is_terminal("REFUNDED") and not PROCESS.is_terminal("REFUNDING")


def test_get_returns_answers_a_return_with_its_own_effects_only(
    store: SqliteStore,
) -> None:
    store.create_subject("order", "ORD-1", {"order_id": "ORD-1"}, at="t")
    store.create_subject("return", "RET-1", BODY, at="t")
    for key, ref in (("ORD-1:capture-payment", ""), ("RET-1:refund-payment", "")):
        store.record_effect(Effect(key, "ORD-1", "payment", "x", reference=ref))
    store.record_effect(
        Effect(
            "ORD-1:returned:MUG-LAMBDA:1", "ORD-1", "returns", "claim", 0, 2, "RET-1"
        )
    )

    answer = return_answer(store, "RET-1")

    assert answer is not None and answer["return_id"] == "RET-1"
    assert [e["idempotency_key"] for e in answer["effects"]] == [
        "RET-1:refund-payment",
        "ORD-1:returned:MUG-LAMBDA:1",
    ]
    assert return_answer(store, "ORD-1") is None
    assert return_answer(store, "RET-404") is None
