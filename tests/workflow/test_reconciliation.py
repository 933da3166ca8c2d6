"""Reconciliation: the delivery wait, the books, repairs, anomalies and alerts.

Mismatches are seeded through the sandbox's faults: ``duplicate`` makes a
provider apply an effect twice (a real bug class: double charges, double
bookings), and ``shipping.delivery`` faults return, hold up or lose a parcel.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_durable_execution_sdk_python.lambda_service import OperationStatus

from orderflow.parts.readmodel import status_op
from orderflow.processes.orders.ledger import Books
from orderflow.processes.orders.operations import Op
from orderflow.processes.orders.status import OrderStatus
from tests.utils.orders import low_risk_order
from tests.workflow.conftest import Harness, body, ledger, op_names

TOTAL, UNITS = 64_99, 3


def books(h: Harness, order_id: str) -> Books:
    """The order's books, from the providers' ledgers."""
    return Books.from_effects(h.store.list_effects(order_id))


def alerts(h: Harness, order_id: str) -> dict[str, str]:
    """The order's alerts, kind -> severity."""
    return {a.kind: a.severity for a in h.store.list_alerts(subject_id=order_id)}


def assert_books_balance(h: Harness, order_id: str) -> None:
    """What a completed order owes: paid once, stock moved once, one live parcel."""
    b = books(h, order_id)
    assert (b.net_cents, b.units_moved, b.held_cents) == (TOTAL, UNITS, 0)
    assert len(b.live_shipments) == 1


def run(h: Harness, order_id: str) -> tuple[Any, dict[str, Any]]:
    """Run the low-risk order to its end; the result and its parsed body."""
    result = h.run(low_risk_order(order_id))
    return result, body(result)


def test_reconciliation_waits_for_delivery_and_passes_when_the_books_match(
    harness: Callable[..., Harness],
) -> None:
    h = harness()

    result, done = run(h, "ORD-R-OK")

    assert done == {
        "order_id": "ORD-R-OK",
        "status": "COMPLETED",
        "captured_cents": TOTAL,
    }
    wait = result.get_step(Op.WAIT_FOR_DELIVERY)
    # LABEL_CREATED -> IN_TRANSIT on the first poll, DELIVERED on the second.
    assert (wait.status, wait.attempt) == (OperationStatus.SUCCEEDED, 2)
    state = json.loads(wait.result or "null")
    assert (state["status"], state["polls"], state["errors"]) == ("DELIVERED", 2, 0)
    assert state["transit_hours"] > 0
    assert op_names(result)[-4:] == [
        status_op(OrderStatus.RECONCILING),
        Op.WAIT_FOR_DELIVERY,
        Op.RECONCILE_ORDER,
        status_op(OrderStatus.COMPLETED),
    ]
    assert h.store.list_alerts(subject_id="ORD-R-OK") == []
    assert_books_balance(h, "ORD-R-OK")


def test_tracking_errors_are_polled_through(harness: Callable[..., Harness]) -> None:
    h = harness(faults="shipping.track=2x:unavailable")

    result, done = run(h, "ORD-R-TRACK")

    assert done["status"] == "COMPLETED"
    wait = result.get_step(Op.WAIT_FOR_DELIVERY)
    assert wait.attempt == 4  # two failed polls, then in transit, then delivered
    state = json.loads(wait.result or "null")
    assert (state["status"], state["polls"], state["errors"]) == ("DELIVERED", 4, 2)
    assert "injected unavailable" in state["last_error"]


def test_money_taken_twice_is_refunded_and_the_order_completes_with_an_alert(
    harness: Callable[..., Harness],
) -> None:
    h = harness(faults="payment.capture=1x:duplicate")

    result, done = run(h, "ORD-R-TWICE")

    assert done["status"] == "COMPLETED"
    assert done["captured_cents"] == 2 * TOTAL
    assert done["refunded_cents"] == TOTAL
    assert done["adjustments"] == [
        {
            "op": Op.REFUND_DIFFERENCE,
            "amount_cents": TOTAL,
            "units": 0,
            "effects": ["ORD-R-TWICE:repair-refund-difference"],
        }
    ]
    assert done["anomalies"] == ["refund-ratio"]  # half the money went back
    assert op_names(result)[-5:] == [
        Op.RECONCILE_ORDER,
        Op.REFUND_DIFFERENCE,
        Op.RECHECK_BOOKS,
        Op.RAISE_ALERTS,
        status_op(OrderStatus.COMPLETED),
    ]
    assert [
        row for row in ledger(h.store, "ORD-R-TWICE") if row[0].startswith("pay")
    ] == [
        ("payment.authorize", TOTAL, 0),
        ("payment.capture", TOTAL, 0),
        ("payment.capture", TOTAL, 0),
        ("payment.refund", -TOTAL, 0),
    ]
    assert alerts(h, "ORD-R-TWICE") == {
        "books-repaired": "warning",
        "refund-ratio": "warning",
    }
    assert_books_balance(h, "ORD-R-TWICE")
    record = h.store.get_subject("ORD-R-TWICE")
    assert record is not None
    assert record.detail["adjustments"][0]["op"] == Op.REFUND_DIFFERENCE


def test_stock_taken_twice_is_released(harness: Callable[..., Harness]) -> None:
    h = harness(faults="inventory.reserve=1x:duplicate")

    _, done = run(h, "ORD-R-STOCK")

    assert done["status"] == "COMPLETED"
    assert [a["op"] for a in done["adjustments"]] == [Op.RELEASE_EXCESS]
    assert done["adjustments"][0]["units"] == UNITS
    assert alerts(h, "ORD-R-STOCK") == {"books-repaired": "warning"}
    assert_books_balance(h, "ORD-R-STOCK")


def test_a_second_parcel_is_cancelled(harness: Callable[..., Harness]) -> None:
    h = harness(faults="shipping.create=1x:duplicate")

    _, done = run(h, "ORD-R-2SHIP")

    assert done["status"] == "COMPLETED"
    [adjustment] = done["adjustments"]
    assert adjustment["op"] == Op.CANCEL_EXTRA_SHIPMENTS
    assert adjustment["effects"] == [
        "ORD-R-2SHIP:repair-cancel-extra-shipments:ORD-R-2SHIP:create-shipment#dup"
    ]
    assert_books_balance(h, "ORD-R-2SHIP")


def test_a_returned_parcel_is_shipped_again_and_awaited(
    harness: Callable[..., Harness],
) -> None:
    h = harness(faults="shipping.delivery=1x:returned")

    result, done = run(h, "ORD-R-RETURN")

    assert done["status"] == "COMPLETED"
    assert [a["op"] for a in done["adjustments"]] == [Op.RESHIP_ORDER]
    assert op_names(result)[-7:] == [
        Op.WAIT_FOR_DELIVERY,
        Op.RECONCILE_ORDER,
        Op.RESHIP_ORDER,
        Op.WAIT_FOR_REDELIVERY,
        Op.RECHECK_BOOKS,
        Op.RAISE_ALERTS,
        status_op(OrderStatus.COMPLETED),
    ]
    shipping = [
        row for row in ledger(h.store, "ORD-R-RETURN") if row[0].startswith("ship")
    ]
    assert shipping == [
        ("shipping.create", 0, 1),
        ("shipping.in_transit", 0, 0),
        ("shipping.returned", 0, -1),
        ("shipping.create", 0, 1),
        ("shipping.in_transit", 0, 0),
        ("shipping.delivered", 0, 0),
    ]
    assert_books_balance(h, "ORD-R-RETURN")  # the returned units went out again


def test_a_parcel_returned_twice_fails_the_order_with_a_critical_alert(
    harness: Callable[..., Harness],
) -> None:
    h = harness(faults="shipping.delivery=2x:returned")

    _, done = run(h, "ORD-R-GONE")

    assert done["status"] == "FAILED"
    assert "ORD-R-GONE:repair-reship-order was returned" in done["reason"]
    assert alerts(h, "ORD-R-GONE") == {"reconciliation-failed": "critical"}
    record = h.store.get_subject("ORD-R-GONE")
    assert record is not None
    assert record.status == OrderStatus.FAILED


def test_a_late_delivery_completes_and_is_flagged_as_anomalous(
    harness: Callable[..., Harness],
) -> None:
    h = harness(faults="shipping.delivery=1x:delayed")

    result, done = run(h, "ORD-R-SLOW")

    assert done["status"] == "COMPLETED"
    assert done["anomalies"] == ["slow-delivery"]
    assert "adjustments" not in done
    assert (
        result.get_step(Op.WAIT_FOR_DELIVERY).attempt == 3
    )  # in transit, held, delivered
    [alert] = h.store.list_alerts(subject_id="ORD-R-SLOW")
    assert (alert.kind, alert.severity) == ("slow-delivery", "warning")
    assert alert.detail["z"] > 3
    assert_books_balance(h, "ORD-R-SLOW")


def test_a_parcel_that_never_arrives_fails_the_order_when_the_window_closes(
    harness: Callable[..., Harness],
) -> None:
    h = harness(
        faults="shipping.delivery=1.0:stuck",
        delivery_poll_seconds=1,
        delivery_window_seconds=1,
    )

    result, done = run(h, "ORD-R-STUCK")

    assert done["status"] == "FAILED"
    assert "not delivered (OVERDUE)" in done["reason"]
    wait = result.get_step(Op.WAIT_FOR_DELIVERY)
    assert wait.status is OperationStatus.SUCCEEDED
    assert alerts(h, "ORD-R-STUCK") == {"reconciliation-failed": "critical"}


def test_a_repair_that_keeps_failing_fails_the_order(
    harness: Callable[..., Harness],
) -> None:
    h = harness(faults="payment.capture=1x:duplicate,payment.refund=99x:unavailable")

    result, done = run(h, "ORD-R-NOFIX")

    assert done["status"] == "FAILED"
    assert done["reason"].startswith(f"{Op.REFUND_DIFFERENCE} failed")
    assert result.get_step(Op.REFUND_DIFFERENCE).status is OperationStatus.FAILED
    assert alerts(h, "ORD-R-NOFIX") == {"reconciliation-failed": "critical"}
    assert books(h, "ORD-R-NOFIX").net_cents == 2 * TOTAL  # for a person to refund
