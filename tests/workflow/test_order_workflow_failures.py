"""The order workflow when things go wrong, and its promise under replay.

Provider faults come from the sandbox's ``ORDERFLOW_FAULTS`` strings; retry
delays are skipped by the runner. Replay tests count store writes per key: the
handler is re-invoked after every suspension, and no write may repeat.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from aws_durable_execution_sdk_python.lambda_service import OperationStatus

from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.domain.status import OrderStatus
from orderflow.operations import Op, status_op
from orderflow.steps import fulfilment, validation
from tests.utils.orders import high_risk_order, load_event, low_risk_order
from tests.workflow.conftest import (
    CountingStore,
    Harness,
    body,
    history,
    ledger,
    op_names,
)

PROVIDER_MAX_ATTEMPTS = 5  # orderflow.durable.provider_retry
LOW_RISK_CENTS = 64_99


def test_transient_capture_failure_is_retried_and_charged_once(
    harness: Callable[..., Harness],
) -> None:
    h = harness(faults="payment.capture=2x:transient")

    result = h.run(low_risk_order("ORD-T-FLAKY"))

    assert body(result)["status"] == "COMPLETED"
    capture = result.get_step(Op.CAPTURE_PAYMENT)
    assert capture.status is OperationStatus.SUCCEEDED
    assert capture.attempt == 3  # two injected failures, then success
    assert result.get_step(Op.RESERVE_INVENTORY).attempt == 1
    assert [a for a, _, _ in ledger(h.store, "ORD-T-FLAKY")].count(
        "payment.capture"
    ) == 1
    assert ledger(h.store, "ORD-T-FLAKY")[1] == ("payment.capture", LOW_RISK_CENTS, 0)


def test_exhausted_transient_retries_cancel_the_order_and_release_inventory(
    harness: Callable[..., Harness],
) -> None:
    h = harness(faults="payment.capture=10x:transient")

    result = h.run(low_risk_order("ORD-T-DOWN"))

    assert body(result)["status"] == "CANCELLED"
    assert body(result)["compensated"] == [Op.RELEASE_INVENTORY]
    capture = result.get_step(Op.CAPTURE_PAYMENT)
    assert capture.status is OperationStatus.FAILED
    assert capture.attempt == PROVIDER_MAX_ATTEMPTS
    assert op_names(result)[-2:] == [
        Op.RELEASE_INVENTORY,
        status_op(OrderStatus.CANCELLED),
    ]
    assert Op.CREATE_SHIPMENT not in op_names(result)
    assert ledger(h.store, "ORD-T-DOWN") == [
        ("inventory.reserve", 0, 3),
        ("inventory.release", 0, -3),
    ]
    assert history(h.store, "ORD-T-DOWN")[-1] == "CANCELLED"


def test_terminal_shipping_error_is_not_retried_and_undoes_in_reverse_order(
    harness: Callable[..., Harness],
) -> None:
    # 1x: a retry would succeed, so COMPLETED here would mean it was retried.
    h = harness(faults="shipping.create=1x:terminal")

    result = h.run(low_risk_order("ORD-T-NOSHIP"))

    assert body(result)["status"] == "CANCELLED"
    shipment = result.get_step(Op.CREATE_SHIPMENT)
    assert (shipment.status, shipment.attempt) == (OperationStatus.FAILED, 1)
    assert op_names(result)[-3:] == [
        Op.REFUND_PAYMENT,
        Op.RELEASE_INVENTORY,
        status_op(OrderStatus.CANCELLED),
    ]
    assert ledger(h.store, "ORD-T-NOSHIP") == [
        ("inventory.reserve", 0, 3),
        ("payment.capture", LOW_RISK_CENTS, 0),
        ("payment.refund", -LOW_RISK_CENTS, 0),
        ("inventory.release", 0, -3),
    ]
    record = h.store.get_order("ORD-T-NOSHIP")
    assert record is not None
    assert record.status is OrderStatus.CANCELLED
    assert Op.CREATE_SHIPMENT in record.detail["reason"]


def test_invalid_order_fails_validation_once_naming_the_fields(
    harness: Callable[..., Harness],
) -> None:
    h = harness()

    result = h.run(load_event("order-invalid.json"))

    assert body(result)["status"] == "FAILED"
    assert "items.0.quantity" in body(result)["reason"]
    assert "currency" in body(result)["reason"]
    assert op_names(result) == [Op.VALIDATE_ORDER]
    validate = result.get_step(Op.VALIDATE_ORDER)
    assert (validate.status, validate.attempt) == (OperationStatus.FAILED, 1)
    assert h.store.get_order("ORD-3001") is None


def test_every_side_effect_happens_once_however_often_the_handler_replays(
    harness: Callable[..., Harness], store: SqliteStore
) -> None:
    counting = CountingStore(store)
    h = harness(faults="payment.capture=2x:transient", store=counting)
    arn = h.start(high_risk_order("ORD-T-REPLAY"))
    callback_id = h.decide(arn, approved=True)

    assert body(h.result(arn))["status"] == "COMPLETED"
    assert h.handler_calls >= 3  # suspended on the approval and on each retry delay
    keys = {op: f"ORD-T-REPLAY:{op}" for op in Op}
    assert counting.count("create_order") == Counter({"ORD-T-REPLAY": 1})
    assert counting.count("record_effect") == Counter(
        {
            keys[Op.RESERVE_INVENTORY]: 1,
            keys[Op.CAPTURE_PAYMENT]: 1,
            keys[Op.CREATE_SHIPMENT]: 1,
        }
    )
    assert counting.count("put_approval") == Counter({callback_id: 1})
    assert sum(counting.count("add_outbox").values()) == 1
    statuses = [
        "AWAITING_APPROVAL",
        "APPROVED",
        "FULFILLING",
        "RECONCILING",
        "COMPLETED",
    ]
    assert counting.count("set_status") == Counter(
        {f"ORD-T-REPLAY:{s}": 1 for s in statuses}
    )
    # ...and the store agrees: one row per key.
    effects = store.list_effects("ORD-T-REPLAY")
    assert len({e.idempotency_key for e in effects}) == len(effects) == 3
    assert len(store.list_outbox(order_id="ORD-T-REPLAY")) == 1
    assert len(store.list_approvals(order_id="ORD-T-REPLAY")) == 1
    assert history(store, "ORD-T-REPLAY") == ["RECEIVED", *statuses]


def test_validation_rerun_on_replay_leaves_the_order_row_untouched(
    harness: Callable[..., Harness],
) -> None:
    h = harness()
    order = high_risk_order("ORD-T-RERUN")
    arn = h.start(order)
    h.callback_id(arn)  # suspended: the row is AWAITING_APPROVAL
    before = h.store.get_order("ORD-T-RERUN")

    # A crash between the step's work and its checkpoint re-runs the step body.
    again = validation.validate_order(h.deps, order)

    assert again["order_id"] == "ORD-T-RERUN"
    assert h.store.get_order("ORD-T-RERUN") == before
    assert before is not None
    assert before.status is OrderStatus.AWAITING_APPROVAL

    h.decide(arn, approved=True)
    assert body(h.result(arn))["status"] == "COMPLETED"
    assert history(h.store, "ORD-T-RERUN").count("RECEIVED") == 1


@pytest.mark.parametrize(
    "op", [Op.RESERVE_INVENTORY, Op.CAPTURE_PAYMENT, Op.CREATE_SHIPMENT]
)
def test_provider_call_rerun_with_the_same_key_has_no_second_effect(
    harness: Callable[..., Harness], op: Op
) -> None:
    h = harness()
    assert body(h.run(low_risk_order("ORD-T-AGAIN")))["status"] == "COMPLETED"
    provider, key = h.deps.provider, fulfilment.idempotency_key("ORD-T-AGAIN", op)
    calls = {
        Op.RESERVE_INVENTORY: lambda: provider.reserve_inventory(
            "ORD-T-AGAIN", 3, key=key
        ),
        Op.CAPTURE_PAYMENT: lambda: provider.capture_payment(
            "ORD-T-AGAIN", LOW_RISK_CENTS, key=key
        ),
        Op.CREATE_SHIPMENT: lambda: provider.create_shipment("ORD-T-AGAIN", key=key),
    }
    before = ledger(h.store, "ORD-T-AGAIN")

    effect = calls[op]()  # what AT_LEAST_ONCE_PER_RETRY may do after a crash

    assert effect.idempotency_key == key
    assert ledger(h.store, "ORD-T-AGAIN") == before
