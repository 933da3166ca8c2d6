"""The order's fault-schedule property: whatever the providers do, the books hold.

A schedule is an ``ORDERFLOW_FAULTS`` string: transient failures (before the
provider acts, or after it: a lost answer), refusals, provider bugs that apply
an effect twice, and parcels held up, stuck or returned, on any provider call,
undo or poll. Whatever it is, the order ends COMPLETED, CANCELLED or FAILED
(tests/workflow/test_fault_schedules.py checks that), and then:

- a COMPLETED order kept exactly what it owes (captured - refunded = total),
  moved its units once and has one live parcel; a CANCELLED one kept nothing;
  neither leaves a hold on the card; a FAILED one raised a critical alert;
- every effect in the ledger carries a key the workflow derives from the order
  and an operation (or a tracking stage), once: no retry, replay or lost answer
  made a second effect under a new key. The only other keys are the ``#dup``
  copies the ``duplicate`` fault plants, and reconciliation undid those.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import strategies as st

from orderflow.processes.orders.deps import Deps
from orderflow.processes.orders.ledger import Books
from orderflow.processes.orders.operations import Op
from orderflow.processes.orders.status import OrderStatus
from tests.proofs import FaultProperty, Path
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
Rule = tuple[str, int | float, str]


def faults(schedule: list[Rule]) -> str:
    """The rules as an ``ORDERFLOW_FAULTS`` string."""
    return ",".join(
        f"{target}={f'{n}x' if isinstance(n, int) else n}:{kind}"
        for target, n, kind in schedule
    )


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
SCHEDULES = st.lists(
    st.one_of(call_rule, call_rule, delivery_rule), min_size=1, max_size=5
).map(faults)

# Paths a random draw of 25 may miss, pinned: every repair and every undo.
PINNED = (
    "payment.capture=9x:timeout",
    "payment.capture=1x:duplicate,payment.refund=2x:timeout",
    "inventory.reserve=1x:duplicate",
    "shipping.create=1x:duplicate,shipping.delivery=1x:returned",
    "shipping.delivery=2x:returned",
    "payment.capture=1x:terminal,shipping.cancel=2x:timeout",
    # The capture acts and loses its answer; the retry draws a refusal (seed 7:
    # the first draw spares call 1, the second refuses call 2).
    "payment.capture=0.3:terminal,payment.capture=1x:timeout",
)


def known_keys(order_id: str) -> set[str]:
    """Every key the workflow derives for the order's effects."""
    keys = {f"{order_id}:{op}" for op in Op}
    for shipment in (Op.CREATE_SHIPMENT, Op.RESHIP_ORDER):
        keys |= {f"{order_id}:{shipment}:{stage}" for stage in STAGES}
    return keys


def check(deps: Deps, order_id: str) -> list[str]:
    """The books as the order's status implies, and every key derived, once."""
    record = deps.store.get_subject(order_id)
    assert record is not None, f"no read model for {order_id}"
    effects = deps.store.list_effects(order_id)
    books = Books.from_effects(effects)
    found: list[str] = []
    kept = (books.net_cents, books.units_moved, len(books.live_shipments))
    if record.status == OrderStatus.COMPLETED and kept != (TOTAL, UNITS, 1):
        found.append(f"COMPLETED with net, units, parcels {kept}")
    if record.status == OrderStatus.CANCELLED and kept != (0, 0, 0):
        found.append(f"CANCELLED with net, units, parcels {kept}")
    if record.status != OrderStatus.FAILED and books.held_cents:
        found.append(f"{books.held_cents} cents still held on the card")
    alerts = deps.store.list_alerts(subject_id=order_id)
    if record.status == OrderStatus.FAILED and not any(
        a.severity == "critical" for a in alerts
    ):
        found.append(f"FAILED without a critical alert: {record.detail}")
    keys = Counter(e.idempotency_key for e in effects)
    found += [f"key {k} produced {n} effects" for k, n in keys.items() if n > 1]
    derived = known_keys(order_id)
    found += [
        f"an effect under a key the workflow does not derive: {key}"
        for key in keys
        if key.removesuffix("#dup") not in derived
        and not key.startswith(f"{order_id}:{Op.CANCEL_EXTRA_SHIPMENTS}:")
    ]
    return found


FAULTS = FaultProperty(
    path=Path("fault-schedule", low_risk_order("ORD-P"), OrderStatus.COMPLETED),
    schedules=SCHEDULES,
    pinned=PINNED,
    check=check,
    ends=frozenset({OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.FAILED}),
    outcomes=(
        "",
        "payment.capture=1x:terminal",
        "payment.capture=1x:terminal,inventory.release=9x:unavailable",
    ),
)
