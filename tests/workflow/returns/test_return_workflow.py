"""The return workflow's paths, run through the real handler in the in-memory runner.

A small return is refunded and restocked without a human; a high-value one
waits for an approver, who approves (refunded) or rejects (denied); a parcel
that never comes is cancelled with its label voided; a damaged unit refunds
nothing; a refund that fails for good undoes the restock and ends FAILED.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from orderflow.adapters.sandbox import ReturnParcels
from orderflow.parts.readmodel import status_op
from orderflow.processes.orders.ledger import Books
from orderflow.processes.returns.operations import ReturnOp
from orderflow.processes.returns.rules import ReturnRiskThresholds
from orderflow.processes.returns.status import ReturnStatus
from tests.workflow.conftest import body, history, op_names
from tests.workflow.returns.conftest import ReturnHarness, return_body

MUG_CENTS, BOOK_CENTS = 12_50, 39_99
ORDER_CENTS = BOOK_CENTS + 2 * MUG_CENTS
REFUND_SAGA = [ReturnOp.RESTOCK_INVENTORY, ReturnOp.REFUND_PAYMENT]
# A refund above 30.00 needs a human: the book, not a mug.
BOOK_NEEDS_APPROVAL = ReturnRiskThresholds(always_human_above_cents=30_00)


def _books(h: ReturnHarness, order_id: str) -> Books:
    return Books.from_effects(h.store.list_effects(order_id))


def test_a_small_return_is_refunded_and_restocked_without_a_human(
    completed_order: Callable[..., dict[str, Any]],
    returns: Callable[..., ReturnHarness],
) -> None:
    completed_order("ORD-R-1")
    h = returns()

    result = h.run(return_body("RET-1", "ORD-R-1", ("MUG-LAMBDA", 1)))

    assert body(result) == {
        "return_id": "RET-1",
        "status": "REFUNDED",
        "refunded_cents": MUG_CENTS,
        "restocked_units": 1,
        "damaged": {},
    }
    assert op_names(result) == [
        ReturnOp.VALIDATE_RETURN,
        ReturnOp.CREATE_RETURN_LABEL,
        status_op(ReturnStatus.AWAITING_PARCEL),
        ReturnOp.WAIT_FOR_PARCEL,
        status_op(ReturnStatus.REFUNDING),
        *REFUND_SAGA,
        ReturnOp.CHECK_ORDER_BOOKS,
        status_op(ReturnStatus.REFUNDED),
    ]
    assert history(h.store, "RET-1") == [
        "RECEIVED",
        "AWAITING_PARCEL",
        "REFUNDING",
        "REFUNDED",
    ]
    books = _books(h, "ORD-R-1")
    assert (books.captured_cents, books.refunded_cents) == (ORDER_CENTS, MUG_CENTS)
    assert (books.units_moved, books.restocked_units) == (3, 1)
    assert books.live_shipments == ("ORD-R-1:create-shipment",)


def test_a_high_value_return_waits_for_approval_and_approving_refunds_it(
    completed_order: Callable[..., dict[str, Any]],
    returns: Callable[..., ReturnHarness],
) -> None:
    completed_order("ORD-R-2")
    h = returns(thresholds=BOOK_NEEDS_APPROVAL)

    arn = h.start(return_body("RET-2", "ORD-R-2", ("BOOK-DDIA", 1)))
    h.decide(arn, approved=True)
    result = h.result(arn)

    assert body(result)["status"] == "REFUNDED"
    assert body(result)["refunded_cents"] == BOOK_CENTS
    assert op_names(result)[1] == "wait-for-approval-1"
    assert history(h.store, "RET-2")[:2] == ["RECEIVED", "AWAITING_APPROVAL"]
    subject = h.store.get_subject("RET-2")
    assert subject is not None and subject.body["quote"]["refund_cents"] == BOOK_CENTS


def test_a_rejected_return_is_denied_and_its_units_may_be_returned_again(
    completed_order: Callable[..., dict[str, Any]],
    returns: Callable[..., ReturnHarness],
) -> None:
    completed_order("ORD-R-3")
    h = returns(thresholds=BOOK_NEEDS_APPROVAL)

    arn = h.start(return_body("RET-3", "ORD-R-3", ("BOOK-DDIA", 1)))
    h.decide(arn, approved=False)
    result = h.result(arn)

    assert body(result)["status"] == "DENIED"
    assert ReturnOp.CREATE_RETURN_LABEL not in op_names(result)
    assert _books(h, "ORD-R-3").refunded_cents == 0
    again = h.submit(return_body("RET-3B", "ORD-R-3", ("BOOK-DDIA", 1)))
    assert again.return_id == "RET-3B"  # the denied return gave its unit back


def test_a_return_whose_parcel_never_comes_is_cancelled_with_its_label_voided(
    completed_order: Callable[..., dict[str, Any]],
    returns: Callable[..., ReturnHarness],
) -> None:
    completed_order("ORD-R-4")
    h = returns(parcels=ReturnParcels.parse("never"))

    result = h.run(return_body("RET-4", "ORD-R-4", ("MUG-LAMBDA", 2)))

    assert body(result)["status"] == "CANCELLED"
    assert body(result)["label_voided"] is True
    assert op_names(result)[-3:] == [
        ReturnOp.VOID_RETURN_LABEL,
        ReturnOp.RELEASE_UNITS,
        status_op(ReturnStatus.CANCELLED),
    ]
    actions = [(e.provider, e.action) for e in h.store.list_effects("ORD-R-4")]
    assert ("shipping", "void_label") in actions
    assert ("payment", "refund") not in actions


def test_a_damaged_unit_refunds_nothing_and_is_not_restocked(
    completed_order: Callable[..., dict[str, Any]],
    returns: Callable[..., ReturnHarness],
) -> None:
    completed_order("ORD-R-5")
    h = returns(parcels=ReturnParcels.parse("after:2", "damaged:1"))

    result = h.run(return_body("RET-5", "ORD-R-5", ("MUG-LAMBDA", 2)))

    assert body(result) == {
        "return_id": "RET-5",
        "status": "REFUNDED",
        "refunded_cents": MUG_CENTS,
        "restocked_units": 1,
        "damaged": {"MUG-LAMBDA": 1},
    }


def test_a_refund_that_fails_for_good_withdraws_the_restock_and_fails(
    completed_order: Callable[..., dict[str, Any]],
    returns: Callable[..., ReturnHarness],
) -> None:
    completed_order("ORD-R-6")
    h = returns(faults="payment.refund=1.0:unavailable")

    result = h.run(return_body("RET-6", "ORD-R-6", ("MUG-LAMBDA", 1)))

    assert body(result)["status"] == "FAILED"
    assert body(result)["compensated"] == [ReturnOp.WITHDRAW_RESTOCK]
    assert op_names(result)[-4:] == [
        ReturnOp.CHECK_REFUND,
        ReturnOp.WITHDRAW_RESTOCK,
        ReturnOp.RAISE_ALERTS,
        status_op(ReturnStatus.FAILED),
    ]
    books = _books(h, "ORD-R-6")
    assert (books.refunded_cents, books.restocked_units) == (0, 0)
    alerts = h.store.list_alerts(subject_id="RET-6")
    assert [(a.kind, a.severity) for a in alerts] == [("refund-failed", "critical")]


def test_a_return_started_past_the_front_door_for_held_units_is_denied(
    completed_order: Callable[..., dict[str, Any]],
    returns: Callable[..., ReturnHarness],
) -> None:
    completed_order("ORD-R-7")
    h = returns()
    h.submit(return_body("RET-7A", "ORD-R-7", ("BOOK-DDIA", 1)))
    sneaky = return_body("RET-7B", "ORD-R-7", ("BOOK-DDIA", 1))

    result = h.runner.run(
        input=json.dumps(sneaky), execution_name="RET-7B", execution_timeout=30
    )

    assert body(result)["status"] == "DENIED"
    assert "BOOK-DDIA" in body(result)["reasons"][0]
    assert op_names(result)[-2:] == [
        ReturnOp.RELEASE_UNITS,
        status_op(ReturnStatus.DENIED),
    ]
