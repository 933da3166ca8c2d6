"""The return's proofs: five paths over one completed order, and the order's books.

A return needs a COMPLETED order in the store. The order workflow runs once per
test process (per clock: as fast as it goes, or stopped at the recorder's
EPOCH) on a template store, through the order's own proof; ``make_deps`` then
copies its rows into each fresh store (``INSERT OR IGNORE``: the replay test
has already restored a history's ledger there), which costs milliseconds, so
the matrix's hundreds of runs on fresh stores stay cheap.

A return's effects sit in its order's ledger (``ledger_field``): its label,
scans, void, restock, refund and unit claims, beside the order's own. Beyond
the shared checks, then:

- the order's refunds never exceed its capture, and each key made one effect;
- the return made the clean run's effects (scans aside: their count is the
  carrier's), once each;
- a REFUNDED return refunded exactly the inspected value (intact units in
  full, damaged ones at the path's share), once, and restocked its intact
  units; it still holds the units it returned;
- no return restocks more units than it returned;
- a DENIED or CANCELLED return refunded and restocked nothing and gave its
  held units back; a CANCELLED one left no live label (every label voided).
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path as FsPath
from typing import Any

from orderflow.adapters.sandbox import ReturnParcels, SandboxProvider
from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.config import Settings
from orderflow.domain.records import Effect
from orderflow.processes.orders.ledger import Books
from orderflow.processes.orders.order import parse_order
from orderflow.processes.orders.status import OrderStatus
from orderflow.processes.returns.books import return_effects, units_held
from orderflow.processes.returns.deps import ReturnDeps
from orderflow.processes.returns.operations import WORKFLOW_VERSION
from orderflow.processes.returns.rules import ReturnRiskThresholds
from orderflow.processes.returns.settings import ReturnSettings
from orderflow.processes.returns.status import ReturnStatus
from orderflow.processes.returns.workflow import make_workflow
from orderflow.registry import RETURNS
from tests.proofs import Decision, Path, Proof, of_version
from tests.proofs.return_faults import FAULTS
from tests.proofs.snapshot import Snapshot, ended_once
from tests.utils.orders import low_risk_order

ORDER_ID = "ORD-RET"
ORDER = low_risk_order(ORDER_ID)  # 2 x MUG-LAMBDA at 12.50, 1 x BOOK-DDIA at 39.99
MUG, BOOK = "MUG-LAMBDA", "BOOK-DDIA"
RETURN_ID = "RET-CRASH"
YES, NO = Decision(1, True), Decision(1, False)

# Quick parcel checks: the deadline passes after a few polls (the runner skips
# the waits; the stopped clock never reaches the deadline, the poll budget does).
FAST_PARCELS = {
    "parcel_deadline_seconds": 5,
    "parcel_poll_seconds": 1,
    "parcel_poll_max_seconds": 1,
}
# A refund above 30.00 needs a human: the book does, a mug does not.
BOOK_NEEDS_APPROVAL = {"always_human_above_cents": 30_00}
NEVER = {"arrives": "never"}
DAMAGED = {"inspection": "damaged:1", "damaged_refund_percent": 50}
LABELS = (
    "return_label",
    "return_in_transit",
    "return_arrived",
)  # scans after the first


def returned(return_id: str, *lines: tuple[str, int]) -> dict[str, Any]:
    """A return of ``lines`` (sku, quantity) of the seeded order."""
    return {
        "return_id": return_id,
        "order_id": ORDER_ID,
        "items": [{"sku": s, "quantity": q} for s, q in lines],
        "reason": "changed_mind",
    }


PATHS = (
    Path("auto-refund", returned(RETURN_ID, (MUG, 1)), ReturnStatus.REFUNDED),
    Path(
        "approve-refund",
        returned(RETURN_ID, (BOOK, 1)),
        ReturnStatus.REFUNDED,
        (YES,),
        settings=BOOK_NEEDS_APPROVAL,
    ),
    Path(
        "reject",
        returned(RETURN_ID, (BOOK, 1)),
        ReturnStatus.DENIED,
        (NO,),
        settings=BOOK_NEEDS_APPROVAL,
    ),
    Path(
        "no-parcel-void",  # the parcel never comes: the label voided, cancelled
        returned(RETURN_ID, (MUG, 2)),
        ReturnStatus.CANCELLED,
        settings=NEVER,
    ),
    Path(
        "damaged-part-refund",  # one of two mugs damaged: refunded at 50 %
        returned(RETURN_ID, (MUG, 2)),
        ReturnStatus.REFUNDED,
        settings=DAMAGED,
    ),
)

RECORDED = of_version(
    (
        Path(
            "auto-refund",
            returned("RET-H-AUTO", (MUG, 1)),
            ReturnStatus.REFUNDED,
            in_flight=("awaiting-parcel", "wait-for-parcel"),
        ),
        Path(
            "approved",
            returned("RET-H-APPROVED", (BOOK, 1)),
            ReturnStatus.REFUNDED,
            (Decision(1, True, "approver@example.com"),),
            settings=BOOK_NEEDS_APPROVAL,
            in_flight=("awaiting-approval", "wait-for-approval-1"),
        ),
        Path(
            "rejected",
            returned("RET-H-REJECTED", (BOOK, 1)),
            ReturnStatus.DENIED,
            (Decision(1, False, "approver@example.com"),),
            settings=BOOK_NEEDS_APPROVAL,
        ),
        Path(
            "no-parcel",
            returned("RET-H-NEVER", (MUG, 2)),
            ReturnStatus.CANCELLED,
            settings=NEVER,
        ),
        Path(
            "damaged",
            returned("RET-H-DAMAGED", (MUG, 2)),
            ReturnStatus.REFUNDED,
            settings=DAMAGED,
        ),
    ),
    WORKFLOW_VERSION,
)

# The seeded order: a template store per clock (None, or the stopped clock).
_TEMPLATES: dict[Callable[[], datetime] | None, FsPath] = {}
_SEEDED = ("orders", "approvals", "outbox", "effects", "alerts")


def _template(clock: Callable[[], datetime] | None) -> FsPath:
    """A store holding only ORDER, COMPLETED by the real order workflow."""
    if clock in _TEMPLATES:
        return _TEMPLATES[clock]
    from tests.proofs import proof
    from tests.workflow.conftest import body, build_harness

    home = FsPath(tempfile.mkdtemp(prefix="orderflow-return-seed-"))
    atexit.register(shutil.rmtree, home, True)
    db = home / "order.db"
    orders = proof("order")
    path = Path("seed", ORDER, OrderStatus.COMPLETED)
    deps = orders.make_deps(SqliteStore(db), path, clock)
    h = build_harness(orders, deps, poll_interval=0.01)
    with h.runner:
        ended = body(h.run(ORDER, timeout=60))["status"]
    assert ended == OrderStatus.COMPLETED, f"the seeded order ended {ended}"
    _TEMPLATES[clock] = db
    return db


def seed(store: SqliteStore, clock: Callable[[], datetime] | None) -> None:
    """Copy the completed order's rows into ``store`` (those it lacks)."""
    db = sqlite3.connect(store.path, isolation_level=None)
    try:
        db.execute("ATTACH DATABASE ? AS seed", (str(_template(clock)),))
        db.execute("BEGIN IMMEDIATE")
        for table in _SEEDED:
            db.execute(f"INSERT OR IGNORE INTO main.{table} SELECT * FROM seed.{table}")
        db.execute("COMMIT")
        db.execute("DETACH DATABASE seed")
    finally:
        db.close()


def make_deps(
    store: SqliteStore, path: Path, clock: Callable[[], datetime] | None
) -> ReturnDeps:
    """The seeded order, the path's settings and the sandbox with its parcels.

    ``path.settings`` mixes the application's ``Settings`` fields, the
    ``ReturnSettings`` fields (``always_human_above_cents`` for its
    thresholds) and the sandbox parcels' ``arrives`` and ``inspection``: plain
    JSON, as a history records them.
    """
    seed(store, clock)
    given = dict(path.settings)
    parcels = ReturnParcels.parse(
        str(given.pop("arrives", "")), str(given.pop("inspection", ""))
    )
    returns: dict[str, Any] = dict(FAST_PARCELS)
    if "always_human_above_cents" in given:
        returns["thresholds"] = ReturnRiskThresholds(
            always_human_above_cents=int(given.pop("always_human_above_cents"))
        )
    for name in ("damaged_refund_percent", "window_days", "approvers"):
        if name in given:
            returns[name] = given.pop(name)
    settings = Settings(store_url=f"sqlite:{store.path}", faults=path.faults, **given)
    if clock is None:
        provider = SandboxProvider(
            store, path.faults, seed=7, stage_seconds=0, returns=parcels
        )
        return ReturnDeps(
            store=store,
            provider=provider,
            settings=settings,
            returns=ReturnSettings(**returns),
        )
    provider = SandboxProvider(store, path.faults, seed=7, clock=clock, returns=parcels)
    return ReturnDeps(
        store=store,
        provider=provider,
        settings=settings,
        returns=ReturnSettings(**returns),
        now=clock,
    )


def owed(path: Path) -> tuple[int, int]:
    """What a REFUNDED ``path`` refunds and restocks: intact units in full,
    damaged ones at the path's share (rounded down per line)."""
    prices = {i.sku: i.amount_cents // i.quantity for i in parse_order(ORDER).items}
    damaged = ReturnParcels.parse(
        "", str(path.settings.get("inspection", ""))
    ).damaged_units
    share = int(path.settings.get("damaged_refund_percent", 0))
    cents = units = 0
    for line in path.input["items"]:
        hurt = min(damaged, line["quantity"])
        damaged -= hurt
        intact = line["quantity"] - hurt
        cents += (
            intact * prices[line["sku"]] + hurt * prices[line["sku"]] * share // 100
        )
        units += intact
    return cents, units


def _theirs(effects: tuple[Effect, ...], return_id: str) -> list[Effect]:
    return return_effects(list(effects), return_id)


def _without_scans(effects: list[Effect]) -> Counter[tuple[str, str, int, int]]:
    return Counter(
        (e.provider, e.action, e.amount_cents, e.quantity)
        for e in effects
        if e.action not in LABELS[1:]
    )


def invariants(path: Path, got: Snapshot, clean: Snapshot) -> list[str]:
    """The order's books, the return's own effects, and its units, as it ended."""
    found = ended_once(RETURNS, got)

    def check(ok: bool, text: str) -> None:
        if not ok:
            found.append(text)

    return_id = str(path.input[RETURNS.id_field])
    books = Books.from_effects(got.effects)
    check(
        books.refunded_cents <= books.captured_cents,
        f"refunded {books.refunded_cents} of {books.captured_cents} captured",
    )
    for key, n in Counter(e.idempotency_key for e in got.effects).items():
        check(n == 1, f"key {key} produced {n} effects")
    mine = _theirs(got.effects, return_id)
    extra = _without_scans(mine) - _without_scans(_theirs(clean.effects, return_id))
    missing = _without_scans(_theirs(clean.effects, return_id)) - _without_scans(mine)
    check(not extra, f"effects the clean run did not make: {sorted(extra)}")
    check(not missing, f"effects the clean run made, missing: {sorted(missing)}")
    refunds = [e for e in mine if (e.provider, e.action) == ("payment", "refund")]
    refunded = -sum(e.amount_cents for e in refunds)
    restocked = sum(e.quantity for e in mine if e.provider == "inventory")
    units = sum(line["quantity"] for line in path.input["items"])
    held = units_held(list(got.effects), by=return_id)
    check(restocked <= units, f"restocked {restocked} of {units} units returned")
    if path.status == ReturnStatus.REFUNDED:
        cents, intact = owed(path)
        check(
            len(refunds) == 1 and refunded == cents,
            f"refunds {[e.amount_cents for e in refunds]}, not one of {cents}",
        )
        check(restocked == intact, f"restocked {restocked}, not {intact}")
        check(sum(held.values()) == units, f"holds {held}, not {units} units")
        check(
            got.body.get("refunded_cents") == cents,
            f"the result says refunded {got.body.get('refunded_cents')}, not {cents}",
        )
    if path.status in (ReturnStatus.DENIED, ReturnStatus.CANCELLED):
        check(not refunds, f"a {path.status} return refunded {refunded}")
        check(restocked == 0, f"a {path.status} return restocked {restocked}")
        check(not held, f"a {path.status} return still holds {held}")
    if path.status == ReturnStatus.CANCELLED:
        labels = {e.reference for e in mine if e.action == LABELS[0]}
        voided = {e.reference for e in mine if e.action == "void_label"}
        check(labels <= voided, f"labels {sorted(labels - voided)} left live")
    return found


PROOF = Proof[ReturnDeps](
    process=RETURNS,
    make_workflow=make_workflow,
    make_deps=make_deps,
    paths=PATHS,
    recorded=RECORDED,
    invariants=invariants,
    min_boundaries=40,
    faults=FAULTS,
    ledger_field="order_id",
)
