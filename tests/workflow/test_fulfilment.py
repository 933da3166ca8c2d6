"""Fulfilment under provider faults: retries, refusals, the saga, and a crash.

Faults come from the sandbox's ``ORDERFLOW_FAULTS`` strings; ``2x`` fails the
first two calls with a key, so a retry with the same key gets through. Retry
delays are skipped by the runner; every retry is still a new invocation that
replays the handler from its checkpoints.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from aws_durable_execution_sdk_python.lambda_service import OperationStatus

from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.parts.readmodel import status_op
from orderflow.ports import Providers
from orderflow.processes.orders.fulfilment import FULFILMENT, idempotency_key
from orderflow.processes.orders.ledger import Books
from orderflow.processes.orders.operations import Op
from orderflow.processes.orders.status import OrderStatus
from tests.utils.crash import CrashingProviders
from tests.utils.orders import low_risk_order
from tests.workflow.conftest import CountingStore, Harness, body, ledger, op_names

PROVIDER_MAX_ATTEMPTS = 5  # orderflow.parts.durable.provider_retry
COMPENSATION_MAX_ATTEMPTS = 8  # orderflow.parts.durable.compensation_retry
TOTAL, UNITS = 64_99, 3  # the low-risk sample: 39.99 + 2 x 12.50, three units
FORWARD = [op for op, _ in FULFILMENT]
UNDO = dict(FULFILMENT)
TARGETS = {
    Op.RESERVE_INVENTORY: "inventory.reserve",
    Op.AUTHORIZE_PAYMENT: "payment.authorize",
    Op.CREATE_SHIPMENT: "shipping.create",
    Op.CAPTURE_PAYMENT: "payment.capture",
    Op.RELEASE_INVENTORY: "inventory.release",
    Op.VOID_PAYMENT: "payment.void",
    Op.CANCEL_SHIPMENT: "shipping.cancel",
    Op.REFUND_PAYMENT: "payment.refund",
}


def books(h: Harness, order_id: str) -> Books:
    """The order's books, from the providers' ledgers."""
    return Books.from_effects(h.store.list_effects(order_id))


def assert_nothing_kept(h: Harness, order_id: str) -> None:
    """A cancelled order keeps no money, no stock, no hold and no parcel."""
    b = books(h, order_id)
    assert (b.net_cents, b.units_moved, b.held_cents) == (0, 0, 0)
    assert b.live_shipments == ()


def assert_fulfilled_once(h: Harness, order_id: str) -> None:
    """A completed order: paid once, stock moved once, one parcel, all once per key."""
    b = books(h, order_id)
    assert (b.net_cents, b.units_moved, b.held_cents) == (TOTAL, UNITS, 0)
    assert len(b.live_shipments) == 1
    keys = Counter(e.idempotency_key for e in h.store.list_effects(order_id))
    assert set(keys.values()) == {1}
    for op in FORWARD:
        assert keys[idempotency_key(order_id, op)] == 1


@pytest.mark.parametrize("kind", ["unavailable", "throttled", "timeout"])
@pytest.mark.parametrize("op", FORWARD)
def test_transient_failures_on_each_provider_call_are_retried_then_succeed(
    harness: Callable[..., Harness], op: Op, kind: str
) -> None:
    h = harness(faults=f"{TARGETS[op]}=2x:{kind}")

    result = h.run(low_risk_order("ORD-F-FLAKY"))

    assert body(result)["status"] == "COMPLETED"
    step = result.get_step(op)
    assert (step.status, step.attempt) == (OperationStatus.SUCCEEDED, 3)
    for other in FORWARD:
        if other != op:
            assert result.get_step(other).attempt == 1
    assert_fulfilled_once(h, "ORD-F-FLAKY")


@pytest.mark.parametrize("failing", FORWARD)
def test_exhausted_retries_cancel_the_order_undoing_every_step_begun_in_reverse(
    harness: Callable[..., Harness], failing: Op
) -> None:
    h = harness(faults=f"{TARGETS[failing]}=9x:unavailable")

    result = h.run(low_risk_order("ORD-F-DOWN"))

    done = body(result)
    assert done["status"] == "CANCELLED"
    assert done["reason"].startswith(f"{failing} failed: sandbox {TARGETS[failing]}")
    step = result.get_step(failing)
    assert (step.status, step.attempt) == (
        OperationStatus.FAILED,
        PROVIDER_MAX_ATTEMPTS,
    )
    begun = FORWARD[: FORWARD.index(failing) + 1]
    undos = [UNDO[op] for op in reversed(begun)]
    # The failed step's own undo runs too (its outcome could have been unknown)
    # and finds nothing to undo; the others undo what was done.
    assert op_names(result)[-len(undos) - 1 :] == [
        *undos,
        status_op(OrderStatus.CANCELLED),
    ]
    assert done["compensated"] == undos[1:]
    assert_nothing_kept(h, "ORD-F-DOWN")
    record = h.store.get_subject("ORD-F-DOWN")
    assert record is not None
    assert record.status == OrderStatus.CANCELLED


def test_a_capture_whose_answers_are_all_lost_is_refunded_by_the_saga(
    harness: Callable[..., Harness],
) -> None:
    # Every attempt captures (the same key: once) and then times out.
    h = harness(faults="payment.capture=9x:timeout")

    result = h.run(low_risk_order("ORD-F-LOST"))

    assert body(result)["status"] == "CANCELLED"
    assert result.get_step(Op.CAPTURE_PAYMENT).attempt == PROVIDER_MAX_ATTEMPTS
    assert body(result)["compensated"] == [
        Op.REFUND_PAYMENT,
        Op.CANCEL_SHIPMENT,
        Op.RELEASE_INVENTORY,
    ]  # the capture used the hold up: nothing to void
    assert ledger(h.store, "ORD-F-LOST") == [
        ("inventory.reserve", 0, UNITS),
        ("payment.authorize", TOTAL, 0),
        ("shipping.create", 0, 1),
        ("payment.capture", TOTAL, 0),
        ("payment.refund", -TOTAL, 0),
        ("shipping.cancel", 0, -1),
        ("inventory.release", 0, -UNITS),
    ]
    assert_nothing_kept(h, "ORD-F-LOST")


@pytest.mark.parametrize(
    ("op", "kind", "error"),
    [
        (Op.RESERVE_INVENTORY, "out_of_stock", "OutOfStockError"),
        (Op.AUTHORIZE_PAYMENT, "card_declined", "CardDeclinedError"),
        (Op.CREATE_SHIPMENT, "address_undeliverable", "AddressUndeliverableError"),
        (Op.CAPTURE_PAYMENT, "card_declined", "CardDeclinedError"),
    ],
)
def test_each_terminal_error_compensates_at_once_without_a_retry(
    harness: Callable[..., Harness], op: Op, kind: str, error: str
) -> None:
    # 1x: a retry would succeed, so COMPLETED here would mean it was retried.
    h = harness(faults=f"{TARGETS[op]}=1x:{kind}")

    result = h.run(low_risk_order("ORD-F-NO"))

    assert body(result)["status"] == "CANCELLED"
    step = result.get_step(op)
    assert (step.status, step.attempt) == (OperationStatus.FAILED, 1)
    assert step.error is not None
    assert step.error.type == f"orderflow.domain.errors.{error}"
    done = FORWARD[: FORWARD.index(op)]
    undos = [UNDO[o] for o in reversed(done)]  # a refusal did nothing: no undo
    assert op_names(result)[-len(undos) - 1 :] == [
        *undos,
        status_op(OrderStatus.CANCELLED),
    ]
    assert body(result)["compensated"] == undos
    for undo in undos:
        assert result.get_step(undo).attempt == 1
    assert_nothing_kept(h, "ORD-F-NO")
    effects = [(e.provider, e.action) for e in h.store.list_effects("ORD-F-NO")]
    assert len(effects) == 2 * len(done)  # each effect, then its undo


@pytest.mark.parametrize("undo", [UNDO[op] for op in FORWARD])
def test_transient_failures_on_each_undo_are_retried_then_it_undoes(
    harness: Callable[..., Harness], undo: Op
) -> None:
    # The capture's answers are lost, so all four undos run.
    h = harness(faults=f"payment.capture=9x:timeout,{TARGETS[undo]}=2x:throttled")

    result = h.run(low_risk_order("ORD-F-UNDO"))

    assert body(result)["status"] == "CANCELLED"
    step = result.get_step(undo)
    assert (step.status, step.attempt) == (OperationStatus.SUCCEEDED, 3)
    assert_nothing_kept(h, "ORD-F-UNDO")


def test_an_undo_that_never_succeeds_fails_the_order_with_a_critical_alert(
    harness: Callable[..., Harness],
) -> None:
    h = harness(
        faults="payment.capture=1x:card_declined,inventory.release=99x:unavailable"
    )

    result = h.run(low_risk_order("ORD-F-STUCK"))

    done = body(result)
    assert done["status"] == "FAILED"
    assert "compensate-release-inventory failed" in done["reason"]
    assert done["compensated"] == [Op.CANCEL_SHIPMENT, Op.VOID_PAYMENT]
    assert result.get_step(Op.RELEASE_INVENTORY).attempt == COMPENSATION_MAX_ATTEMPTS
    [alert] = h.store.list_alerts(subject_id="ORD-F-STUCK")
    assert (alert.kind, alert.severity) == ("compensation-failed", "critical")
    assert books(h, "ORD-F-STUCK").units_moved == UNITS  # what a person must fix


@pytest.mark.parametrize(
    ("provider", "method", "op"),
    [
        ("payment", "capture", Op.CAPTURE_PAYMENT),
        ("shipping", "create", Op.CREATE_SHIPMENT),
    ],
)
def test_a_crash_after_the_provider_acted_and_before_the_checkpoint_leaves_one_effect(
    harness: Callable[..., Harness],
    store: SqliteStore,
    provider: str,
    method: str,
    op: Op,
) -> None:
    counting = CountingStore(store)
    crashing: list[CrashingProviders] = []

    def wrap(inner: Providers) -> Providers:
        crashing.append(CrashingProviders(inner, provider, method))
        return crashing[0]  # type: ignore[return-value]

    h = harness(store=counting, wrap=wrap)

    result = h.run(low_risk_order("ORD-F-CRASH"))

    assert body(result)["status"] == "COMPLETED"
    key = idempotency_key("ORD-F-CRASH", op)
    # The process died once after the provider acted; Lambda invoked the handler
    # again, which replayed and ran the step again with the same key.
    assert crashing[0].crasher.calls == 2
    assert crashing[0].crasher.crashes_left == 0
    assert counting.count("record_effect")[key] == 1  # the rerun found the key
    assert [e.idempotency_key for e in store.list_effects("ORD-F-CRASH")].count(
        key
    ) == 1
    assert result.get_step(op).status is OperationStatus.SUCCEEDED
    assert_fulfilled_once(h, "ORD-F-CRASH")
