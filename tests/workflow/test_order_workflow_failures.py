"""The order workflow when things go wrong, and its promise under replay.

Provider faults and compensation are in test_fulfilment.py, reconciliation in
test_reconciliation.py. Replay tests count store writes per key: the handler is
re-invoked after every suspension, and no write may repeat.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from aws_durable_execution_sdk_python.lambda_service import OperationStatus

from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.processes.orders import fulfilment, validation
from orderflow.processes.orders.operations import Op
from orderflow.processes.orders.status import OrderStatus
from tests.utils.orders import high_risk_order, load_event, low_risk_order
from tests.workflow.conftest import (
    CountingStore,
    Harness,
    body,
    history,
    ledger,
    op_names,
)

LOW_RISK_CENTS = 64_99


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
    assert h.store.get_subject("ORD-3001") is None


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
    assert counting.count("create_subject") == Counter({"ORD-T-REPLAY": 1})
    assert counting.count("record_effect") == Counter(
        {
            keys[Op.RESERVE_INVENTORY]: 1,
            keys[Op.AUTHORIZE_PAYMENT]: 1,
            keys[Op.CREATE_SHIPMENT]: 1,
            keys[Op.CAPTURE_PAYMENT]: 1,
            f"{keys[Op.CREATE_SHIPMENT]}:in_transit": 1,
            f"{keys[Op.CREATE_SHIPMENT]}:delivered": 1,
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
    assert len({e.idempotency_key for e in effects}) == len(effects) == 6
    assert len(store.list_outbox(subject_id="ORD-T-REPLAY")) == 1
    assert len(store.list_approvals(subject_id="ORD-T-REPLAY")) == 1
    assert history(store, "ORD-T-REPLAY") == ["RECEIVED", *statuses]


def test_validation_rerun_on_replay_leaves_the_order_row_untouched(
    harness: Callable[..., Harness],
) -> None:
    h = harness()
    order = high_risk_order("ORD-T-RERUN")
    arn = h.start(order)
    h.callback_id(arn)  # suspended: the row is AWAITING_APPROVAL
    before = h.store.get_subject("ORD-T-RERUN")

    # A crash between the step's work and its checkpoint re-runs the step body.
    again = validation.validate_order(h.deps, order)

    assert again["order_id"] == "ORD-T-RERUN"
    assert h.store.get_subject("ORD-T-RERUN") == before
    assert before is not None
    assert before.status == OrderStatus.AWAITING_APPROVAL

    h.decide(arn, approved=True)
    assert body(h.result(arn))["status"] == "COMPLETED"
    assert history(h.store, "ORD-T-RERUN").count("RECEIVED") == 1


@pytest.mark.parametrize(
    "op",
    [
        Op.RESERVE_INVENTORY,
        Op.AUTHORIZE_PAYMENT,
        Op.CREATE_SHIPMENT,
        Op.CAPTURE_PAYMENT,
    ],
)
def test_provider_call_rerun_with_the_same_key_has_no_second_effect(
    harness: Callable[..., Harness], op: Op
) -> None:
    h = harness()
    order = low_risk_order("ORD-T-AGAIN")
    assert body(h.run(order))["status"] == "COMPLETED"
    summary = {"order_id": "ORD-T-AGAIN", "units": 3, "total_cents": LOW_RISK_CENTS}
    before = ledger(h.store, "ORD-T-AGAIN")

    # What AT_LEAST_ONCE_PER_RETRY does after a crash: the same call, same key.
    again = fulfilment.call_provider(h.deps, op, summary)

    assert again["idempotency_key"] == fulfilment.idempotency_key("ORD-T-AGAIN", op)
    assert ledger(h.store, "ORD-T-AGAIN") == before
