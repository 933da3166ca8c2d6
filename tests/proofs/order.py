"""The order's proofs: its paths, its sandbox dependencies and its books.

The crash matrix's eight paths (docs/crash-matrix.md) and the recorded
histories' nine (docs/changing-workflows.md, "The histories") differ in names,
ids, approvers and faults, and the histories' bytes must not change: they are
executions in flight. Beyond the shared checks, an order's ledger must hold
exactly the clean run's effects, once each, and its books balance.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

from functions.order_workflow.app import make_workflow
from orderflow.adapters.sandbox import SandboxProvider
from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.config import Settings
from orderflow.processes.orders.deps import Deps
from orderflow.processes.orders.ledger import Books
from orderflow.processes.orders.operations import WORKFLOW_VERSION, Op
from orderflow.processes.orders.order import parse_order
from orderflow.processes.orders.status import OrderStatus
from orderflow.registry import ORDERS
from tests.proofs import Decision, Path, Proof, of_version
from tests.proofs.order_faults import FAULTS
from tests.proofs.snapshot import Snapshot, ended_once
from tests.utils.orders import high_risk_order, low_risk_order
from tests.utils.risky import policy_reject_order, value_10k_order

A, B = "ana@example.com", "bob@example.com"
ORDER_ID = "ORD-CRASH"
YES, NO = Decision(1, True), Decision(1, False)

PATHS = (
    Path("auto-approve", low_risk_order(ORDER_ID), OrderStatus.COMPLETED),
    Path("approve", high_risk_order(ORDER_ID), OrderStatus.COMPLETED, (YES,)),
    Path(
        "two-approvers",  # high value: A and B must both approve
        value_10k_order(ORDER_ID),
        OrderStatus.COMPLETED,
        (Decision(1, True, A), Decision(2, True, B)),
        settings={"approvers": (A, B)},
    ),
    Path("reject", high_risk_order(ORDER_ID), OrderStatus.REJECTED, (NO,)),
    Path(
        "time-out-escalate-cancel",  # A times out, B (escalated to) times out
        high_risk_order(ORDER_ID),
        OrderStatus.CANCELLED,
        settings={"approvers": (A, B), "approval_timeout_seconds": 1},
    ),
    Path(
        "compensate",  # every capture acts, then its answer is lost: refunded
        low_risk_order(ORDER_ID),
        OrderStatus.CANCELLED,
        faults="payment.capture=9x:timeout",
    ),
    Path(
        "repair",  # the provider captures twice; reconciliation refunds one
        low_risk_order(ORDER_ID),
        OrderStatus.COMPLETED,
        faults="payment.capture=1x:duplicate",
    ),
    Path(
        "reship",  # the parcel comes back; reconciliation ships it again
        low_risk_order(ORDER_ID),
        OrderStatus.COMPLETED,
        faults="shipping.delivery=1x:returned",
    ),
)

APPROVER, MANAGER = "approver@example.com", "manager@example.com"
LATE = {"approval_timeout_seconds": 1}  # real seconds
RECORDED = of_version(
    (
        Path(
            "auto-approve",
            low_risk_order("ORD-H-AUTO"),
            OrderStatus.COMPLETED,
            in_flight=("awaiting-delivery", Op.WAIT_FOR_DELIVERY),
        ),
        Path(
            "one-approver",
            high_risk_order("ORD-H-ONE"),
            OrderStatus.COMPLETED,
            (Decision(1, True, APPROVER),),
            in_flight=("awaiting-approval", f"{Op.WAIT_FOR_APPROVAL}-1"),
        ),
        Path(
            "two-approvers",
            value_10k_order("ORD-H-TWO"),
            OrderStatus.COMPLETED,
            (Decision(1, True, APPROVER), Decision(2, True, MANAGER)),
            in_flight=("awaiting-second-approval", f"{Op.WAIT_FOR_APPROVAL}-2"),
        ),
        Path(
            "rejected-by-approver",
            high_risk_order("ORD-H-REJ"),
            OrderStatus.REJECTED,
            (Decision(1, False, APPROVER),),
        ),
        Path(
            "rejected-by-policy",
            policy_reject_order("ORD-H-POLICY"),
            OrderStatus.REJECTED,
        ),
        Path(
            "approval-timed-out",
            high_risk_order("ORD-H-LATE"),
            OrderStatus.CANCELLED,
            settings=LATE,
        ),
        Path(
            "escalated",
            high_risk_order("ORD-H-ESC"),
            OrderStatus.COMPLETED,
            (Decision(2, True, MANAGER),),  # the first approver lets it time out
            settings=LATE,
            in_flight=("awaiting-escalated-approval", f"{Op.WAIT_FOR_APPROVAL}-2"),
        ),
        Path(
            "fulfilment-compensated",
            low_risk_order("ORD-H-UNDO"),
            OrderStatus.CANCELLED,
            faults="payment.capture=9x:timeout,inventory.release=2x:throttled",
            in_flight=("compensation-back-off", Op.RELEASE_INVENTORY),
        ),
        Path(
            "reconciliation-repaired",
            low_risk_order("ORD-H-TWICE"),
            OrderStatus.COMPLETED,
            faults="payment.capture=1x:duplicate",
        ),
    ),
    WORKFLOW_VERSION,
)


def make_deps(
    store: SqliteStore, path: Path, clock: Callable[[], datetime] | None
) -> Deps:
    """The store, the path's settings and the sandbox providers with its faults.

    Without a clock the parcel's tracking stages take no time; with one, every
    clock (the steps' and the providers') is stopped there.
    """
    settings = Settings(
        store_url=f"sqlite:{store.path}", faults=path.faults, **path.settings
    )
    if clock is None:
        provider = SandboxProvider(store, path.faults, seed=7, stage_seconds=0)
        return Deps(store=store, provider=provider, settings=settings)
    provider = SandboxProvider(store, path.faults, seed=7, clock=clock)
    return Deps(store=store, provider=provider, settings=settings, now=clock)


def invariants(path: Path, got: Snapshot, clean: Snapshot) -> list[str]:
    """Keys once, the clean run's effects, and books that balance as the path implies.

    A COMPLETED order is paid for and shipped; any other keeps nothing: no
    money, no stock, no hold on the card.
    """
    found = ended_once(ORDERS, got)

    def check(ok: bool, text: str) -> None:
        if not ok:
            found.append(text)

    for key, n in Counter(e.idempotency_key for e in got.effects).items():
        check(n == 1, f"key {key} produced {n} effects")
    extra = Counter(got.ledger) - Counter(clean.ledger)
    missing = Counter(clean.ledger) - Counter(got.ledger)
    check(not extra, f"effects the clean run did not make: {sorted(extra)}")
    check(not missing, f"effects the clean run made, missing: {sorted(missing)}")
    order = parse_order(path.input)
    owed = (order.total_cents, sum(i.quantity for i in order.items))
    net, units = owed if path.status == OrderStatus.COMPLETED else (0, 0)
    b, c = Books.from_effects(got.effects), Books.from_effects(clean.effects)
    check(b.net_cents == net, f"captured - refunded = {b.net_cents}, not {net}")
    check(b.units_moved == units, f"reserved - released = {b.units_moved}, not {units}")
    check(b.held_cents == 0, f"{b.held_cents} cents still held on the card")
    sums = (b.captured_cents, b.refunded_cents, b.reserved_units, b.released_units)
    want = (c.captured_cents, c.refunded_cents, c.reserved_units, c.released_units)
    check(sums == want, f"captured, refunded, reserved, released = {sums}, not {want}")
    return found


PROOF = Proof[Deps](
    process=ORDERS,
    make_workflow=make_workflow,
    make_deps=make_deps,
    paths=PATHS,
    recorded=RECORDED,
    invariants=invariants,
    min_boundaries=90,  # 102 over the eight paths today
    faults=FAULTS,
)
