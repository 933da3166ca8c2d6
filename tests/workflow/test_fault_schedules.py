"""A property over random fault schedules: whatever the providers do, the books hold.

Each example runs one order through the real workflow in the testing runner,
with a random ``ORDERFLOW_FAULTS`` schedule: transient failures (before the
provider acts, or after it: a lost answer), refusals, provider bugs that apply
an effect twice, and parcels held up, stuck or returned, on any provider call,
undo or poll. Then:

- the order ends in a terminal status, and the read model agrees;
- a COMPLETED order kept exactly what it owes (captured - refunded = total),
  moved its units once and has one live parcel; a CANCELLED one kept nothing;
  neither leaves a hold on the card; a FAILED one raised a critical alert;
- every effect in the ledger carries a key the workflow derives from the order
  and an operation (or a tracking stage), once: no retry, replay or lost answer
  made a second effect under a new key. The only other keys are the ``#dup``
  copies the ``duplicate`` fault plants, and reconciliation undid those.
"""

from __future__ import annotations

import itertools
import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from aws_durable_execution_sdk_python import durable_execution
from aws_durable_execution_sdk_python_testing.runner import DurableFunctionTestRunner
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from functions.order_workflow.app import make_workflow
from orderflow.adapters.sandbox import SandboxProvider
from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.config import Settings
from orderflow.processes.orders.deps import Deps
from orderflow.processes.orders.ledger import Books
from orderflow.processes.orders.operations import Op
from orderflow.processes.orders.status import OrderStatus
from tests.utils.orders import low_risk_order

TOTAL, UNITS = 64_99, 3
CALLS = [
    "inventory.reserve",
    "payment.authorize",
    "shipping.create",
    "payment.capture",
    "inventory.release",
    "payment.void",
    "shipping.cancel",
    "payment.refund",
    "shipping.track",
]
CALL_KINDS = ["unavailable", "throttled", "timeout", "terminal", "duplicate"]
STAGES = ("in_transit", "held", "delivered", "returned")
_ids = itertools.count(1)

# A rule's rate: the first N calls with each key (an int), or each call with a
# probability (a float): only a probability can refuse a call after an earlier
# call with the same key acted and lost its answer.
rate = st.one_of(st.integers(1, 9), st.sampled_from([0.3, 0.6]))
call_rule = st.tuples(st.sampled_from(CALLS), rate, st.sampled_from(CALL_KINDS))
delivery_rule = st.tuples(
    st.just("shipping.delivery"),
    st.integers(1, 3),
    st.sampled_from(["delayed", "returned", "stuck"]),
)
schedules = st.lists(
    st.one_of(call_rule, call_rule, delivery_rule), min_size=1, max_size=5
)


Rule = tuple[str, int | float, str]


def run_order(schedule: list[Rule], home: Path) -> tuple[str, Deps]:
    """One order through the workflow with ``schedule`` injected; its id and deps."""
    faults = ",".join(
        f"{target}={f'{n}x' if isinstance(n, int) else n}:{kind}"
        for target, n, kind in schedule
    )
    store = SqliteStore(home / "orderflow.db")
    deps = Deps(
        store=store,
        provider=SandboxProvider(store, faults, seed=7, stage_seconds=0),
        settings=Settings(store_url=f"sqlite:{store.path}", faults=faults),
    )
    order_id = f"ORD-P-{next(_ids)}"
    handler = durable_execution(make_workflow(lambda: deps))
    with DurableFunctionTestRunner(handler=handler, poll_interval=0.01) as runner:
        result = runner.run(
            input=json.dumps(low_risk_order(order_id)),
            execution_name=order_id,
            execution_timeout=120,
        )
    assert result.result is not None, result.error
    assert json.loads(result.result)["order_id"] == order_id
    return order_id, deps


def known_keys(order_id: str) -> set[str]:
    """Every key the workflow derives for the order's effects."""
    keys = {f"{order_id}:{op}" for op in Op}
    for shipment in (Op.CREATE_SHIPMENT, Op.RESHIP_ORDER):
        keys |= {f"{order_id}:{shipment}:{stage}" for stage in STAGES}
    return keys


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same schedules on every run: CI stays reproducible
    suppress_health_check=[HealthCheck.too_slow],
)
@given(schedule=schedules)
# Paths a random draw of 25 may miss, pinned: every repair and every undo.
@example(schedule=[("payment.capture", 9, "timeout")])
@example(
    schedule=[("payment.capture", 1, "duplicate"), ("payment.refund", 2, "timeout")]
)
@example(schedule=[("inventory.reserve", 1, "duplicate")])
@example(
    schedule=[("shipping.create", 1, "duplicate"), ("shipping.delivery", 1, "returned")]
)
@example(schedule=[("shipping.delivery", 2, "returned")])
@example(
    schedule=[("payment.capture", 1, "terminal"), ("shipping.cancel", 2, "timeout")]
)
# The capture acts and loses its answer; the retry draws a refusal (seed 7:
# the first draw spares call 1, the second refuses call 2).
@example(
    schedule=[("payment.capture", 0.3, "terminal"), ("payment.capture", 1, "timeout")]
)
def test_every_fault_schedule_ends_terminal_with_balanced_books(
    schedule: list[Rule],
) -> None:
    with tempfile.TemporaryDirectory() as home:
        order_id, deps = run_order(schedule, Path(home))
        record = deps.store.get_subject(order_id)
        effects = deps.store.list_effects(order_id)
        alerts = deps.store.list_alerts(subject_id=order_id)

    assert record is not None
    status = record.status
    event(f"status: {status}")
    assert status in (OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.FAILED)
    books = Books.from_effects(effects)
    if status == OrderStatus.COMPLETED:
        assert (books.net_cents, books.units_moved) == (TOTAL, UNITS)
        assert len(books.live_shipments) == 1
        assert books.held_cents == 0
    elif status == OrderStatus.CANCELLED:
        assert (books.net_cents, books.units_moved) == (0, 0)
        assert books.live_shipments == ()
        assert books.held_cents == 0
    else:
        assert any(a.severity == "critical" for a in alerts), record.detail

    keys = Counter(e.idempotency_key for e in effects)
    assert set(keys.values()) <= {1}
    derived = known_keys(order_id)
    for key in keys:
        base = key.removesuffix("#dup")
        assert base in derived or base.startswith(
            f"{order_id}:{Op.CANCEL_EXTRA_SHIPMENTS}:"
        ), key


def test_the_schedule_strategy_reaches_every_outcome() -> None:
    """The property is only as good as its schedules: each status must come up."""
    seen: set[Any] = set()
    for schedule in (
        [],
        [("payment.capture", 1, "terminal")],
        [("payment.capture", 1, "terminal"), ("inventory.release", 9, "unavailable")],
    ):
        with tempfile.TemporaryDirectory() as home:
            order_id, deps = run_order(schedule, Path(home))
            record = deps.store.get_subject(order_id)
        assert record is not None
        seen.add(record.status)

    assert seen == {OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.FAILED}
