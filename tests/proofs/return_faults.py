"""The return's fault-schedule property: whatever the providers do, the refund holds.

A schedule is an ``ORDERFLOW_FAULTS`` string over the calls a return makes:
the label (``shipping.create_return_label``, ``shipping.void_return_label``),
the parcel's tracking (``shipping.track``), the restock and its undo
(``inventory.restock``, ``inventory.withdraw``) and the refund
(``payment.refund``): transient failures before the provider acts or after it
(a lost answer), and refusals. Whatever it is, a small return of one mug ends
REFUNDED, CANCELLED or FAILED, and then:

- a REFUNDED return refunded the mug's price once and restocked its unit;
- a CANCELLED one refunded and restocked nothing and gave its unit back;
- a FAILED one refunded nothing and kept no stock, or raised a critical alert;
- the order's refunds never exceed its capture, and every effect of the return
  carries a key the workflow derives from the return and an operation (or a
  label's scan), once.

``duplicate`` (a provider applying an effect twice under a ``#dup`` key) is
left out: the order's reconciliation undoes such copies, a return has none.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import strategies as st

from orderflow.processes.orders.ledger import Books
from orderflow.processes.returns.books import return_effects, units_held
from orderflow.processes.returns.deps import ReturnDeps
from orderflow.processes.returns.operations import ReturnOp, return_key
from orderflow.processes.returns.status import ReturnStatus
from tests.proofs import FaultProperty, Path

MUG_CENTS, UNITS = 12_50, 1
CALLS = [
    "shipping.create_return_label",
    "shipping.void_return_label",
    "shipping.track",
    "inventory.restock",
    "inventory.withdraw",
    "payment.refund",
]
CALL_KINDS = ["unavailable", "throttled", "timeout", "terminal"]
Rule = tuple[str, int | float, str]


def faults(schedule: list[Rule]) -> str:
    """The rules as an ``ORDERFLOW_FAULTS`` string."""
    return ",".join(
        f"{target}={f'{n}x' if isinstance(n, int) else n}:{kind}"
        for target, n, kind in schedule
    )


rate = st.one_of(st.integers(1, 9), st.sampled_from([0.3, 0.6]))
call_rule = st.tuples(st.sampled_from(CALLS), rate, st.sampled_from(CALL_KINDS))
SCHEDULES = st.lists(call_rule, min_size=1, max_size=4).map(faults)

PINNED = (
    "payment.refund=9x:timeout",  # every refund acts and loses its answer
    "payment.refund=1x:terminal,inventory.withdraw=2x:timeout",
    "inventory.restock=3x:timeout",
    "shipping.create_return_label=2x:timeout",
    "shipping.track=9x:unavailable",
)


def check(deps: ReturnDeps, return_id: str) -> list[str]:
    """The refund and the units as the return's status implies; keys once."""
    record = deps.store.get_subject(return_id)
    assert record is not None, f"no read model for {return_id}"
    order_id = str(record.body["order_id"])
    effects = deps.store.list_effects(order_id)
    books = Books.from_effects(effects)
    mine = return_effects(effects, return_id)
    refunded = -sum(e.amount_cents for e in mine if e.provider == "payment")
    restocked = sum(e.quantity for e in mine if e.provider == "inventory")
    held = sum(units_held(effects, by=return_id).values())
    found: list[str] = []
    if books.refunded_cents > books.captured_cents:
        found.append(f"refunded {books.refunded_cents} of {books.captured_cents}")
    kept = (refunded, restocked)
    if record.status == ReturnStatus.REFUNDED and (kept, held) != (
        (MUG_CENTS, UNITS),
        UNITS,
    ):
        found.append(f"REFUNDED with refund, restock {kept}, holding {held}")
    if record.status == ReturnStatus.CANCELLED and (kept, held) != ((0, 0), 0):
        found.append(f"CANCELLED with refund, restock {kept}, holding {held}")
    alerts = deps.store.list_alerts(subject_id=return_id)
    if (
        record.status == ReturnStatus.FAILED
        and kept != (0, 0)
        and not any(a.severity == "critical" for a in alerts)
    ):
        found.append(f"FAILED with refund, restock {kept} and no critical alert")
    keys = Counter(e.idempotency_key for e in effects)
    found += [f"key {k} produced {n} effects" for k, n in keys.items() if n > 1]
    derived = {return_key(return_id, op) for op in ReturnOp}
    label = return_key(return_id, ReturnOp.CREATE_RETURN_LABEL)
    found += [
        f"an effect under a key the workflow does not derive: {e.idempotency_key}"
        for e in mine
        if e.provider != "returns"
        and e.idempotency_key not in derived
        and not e.idempotency_key.startswith(f"{label}:scan-")
    ]
    return found


FAULTS = FaultProperty(
    path=Path(
        "fault-schedule",
        {
            "return_id": "RET-P",
            "order_id": "ORD-RET",
            "items": [{"sku": "MUG-LAMBDA", "quantity": UNITS}],
            "reason": "changed_mind",
        },
        ReturnStatus.REFUNDED,
    ),
    schedules=SCHEDULES,
    pinned=PINNED,
    check=check,
    ends=frozenset(
        {ReturnStatus.REFUNDED, ReturnStatus.CANCELLED, ReturnStatus.FAILED}
    ),
    outcomes=("", "shipping.track=1x:terminal", "payment.refund=1x:terminal"),
)
