"""The crash matrix: kill the orchestrator at every checkpoint boundary of every path.

Each path (auto-approve, approve, two approvers, reject, time-out then escalate
then cancel, fulfilment failure with compensation, reconciliation repair, a
returned parcel shipped again) runs once cleanly
in the testing SDK's runner, on a SQLite store and the sandbox providers. The
clean run lists the path's boundaries: every attempt of every durable operation
whose function ran (steps, approval contexts, delivery polls), so a new step
joins the matrix by itself. Then the path runs again once per boundary and kill point:

- ``before-call``: the operation's function is about to start, nothing done;
- ``before-checkpoint``: the function returned (its effect made), its
  checkpoint not yet sent;
- ``after-checkpoint``: the terminal checkpoint is written, the workflow has
  not moved on.

The kill is ``ProcessKilled`` raised from the SDK's own instrumentation-plugin
hooks (``on_user_function_start``, ``on_user_function_end``,
``on_operation_end``), whose documented places are exactly those three moments;
the SDK itself runs unchanged. The runner then invokes the handler again, as
Lambda does after a dead invocation, and approvals are answered as the path
says. After every run the store and the ledger must show what the path implies
(``violations``). ``--twice`` kills each recovery as well, before the
checkpoint of the first function it runs. ``python -m tests.crash.matrix
[--full] [--twice]`` prints the table and exits 1 on any violation;
docs/crash-matrix.md has the figures.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path as FsPath
from typing import Any

from aws_durable_execution_sdk_python.plugin import (
    DurableInstrumentationPlugin,
    InvocationStartInfo,
    OperationEndInfo,
    OperationType,
    UserFunctionEndInfo,
    UserFunctionOutcome,
    UserFunctionStartInfo,
)

from orderflow.adapters.sandbox import SandboxProvider
from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.config import Settings
from orderflow.ports import Providers
from orderflow.processes.orders.deps import Deps
from orderflow.processes.orders.ledger import Books
from orderflow.processes.orders.order import parse_order
from orderflow.processes.orders.status import OrderStatus
from tests.utils.crash import ProcessKilled
from tests.utils.orders import high_risk_order, low_risk_order
from tests.utils.risky import value_10k_order
from tests.workflow.conftest import build_harness, history

A, B = "ana@example.com", "bob@example.com"
ORDER_ID = "ORD-CRASH"


class KillPoint(StrEnum):
    """Where, around one operation, the process dies."""

    BEFORE_CALL = "before-call"
    BEFORE_CHECKPOINT = "before-checkpoint"
    AFTER_CHECKPOINT = "after-checkpoint"


@dataclass(frozen=True)
class Boundary:
    """One run of a durable operation's function: its (positional) id and attempt.

    Each attempt of a retried step or a poll ends in its own checkpoint (a retry,
    or the end), so each is a boundary; a context's body runs again on every
    replay until it ends, so a context is one boundary (attempt None).
    """

    op_id: str
    name: str
    attempt: int | None
    ends: bool = False  # the operation's terminal checkpoint follows this attempt

    @property
    def label(self) -> str:
        """The operation's name, and the attempt when it is a retry."""
        return self.name if (self.attempt or 1) == 1 else f"{self.name}#{self.attempt}"

    @property
    def points(self) -> tuple[KillPoint, ...]:
        """Where this boundary can be killed: after a checkpoint only at the end."""
        return tuple(KillPoint) if self.ends else tuple(KillPoint)[:2]


@dataclass(frozen=True)
class Path:
    """One way through the workflow, and what it must end with."""

    name: str
    order: Callable[[str], dict[str, Any]]
    status: OrderStatus
    keeps: bool  # paid for and shipped; False: nothing kept, no money, no stock
    decisions: tuple[bool | None, ...] = ()  # per approval round; None: time out
    faults: str = ""
    settings: dict[str, Any] = field(default_factory=dict)


PATHS: tuple[Path, ...] = (
    Path("auto-approve", low_risk_order, OrderStatus.COMPLETED, keeps=True),
    Path(
        "approve", high_risk_order, OrderStatus.COMPLETED, keeps=True, decisions=(True,)
    ),
    Path(
        "two-approvers",  # high value: A and B must both approve
        value_10k_order,
        OrderStatus.COMPLETED,
        keeps=True,
        decisions=(True, True),
        settings={"approvers": (A, B)},
    ),
    Path(
        "reject", high_risk_order, OrderStatus.REJECTED, keeps=False, decisions=(False,)
    ),
    Path(
        "time-out-escalate-cancel",
        high_risk_order,
        OrderStatus.CANCELLED,
        keeps=False,
        decisions=(None, None),  # A times out, B (escalated to) times out
        settings={"approvers": (A, B), "approval_timeout_seconds": 1},
    ),
    Path(
        "compensate",  # every capture acts, then its answer is lost: refunded
        low_risk_order,
        OrderStatus.CANCELLED,
        keeps=False,
        faults="payment.capture=9x:timeout",
    ),
    Path(
        "repair",  # the provider captures twice; reconciliation refunds one
        low_risk_order,
        OrderStatus.COMPLETED,
        keeps=True,
        faults="payment.capture=1x:duplicate",
    ),
    Path(
        "reship",  # the parcel comes back; reconciliation ships it again
        low_risk_order,
        OrderStatus.COMPLETED,
        keeps=True,
        faults="shipping.delivery=1x:returned",
    ),
)


class Killer:
    """The plugin factory: records the boundaries it sees, kills at its target once.

    With ``again``, the recovery dies too: the first function that returns in a
    later invocation is killed before its checkpoint, once.
    """

    def __init__(
        self, target: tuple[Boundary, KillPoint] | None = None, *, again: bool = False
    ) -> None:
        self.target = target
        self.again = again
        self.fired = False
        self.fired_again = False
        self._invocations = 0
        self._killed_in = 0  # the invocation the first kill ended
        self._seen: dict[tuple[str, int | None], Boundary] = {}  # in first-run order
        self._running: dict[str, int | None] = {}  # op id -> attempt last started

    @property
    def boundaries(self) -> list[Boundary]:
        """Every operation attempt whose function ran, in the order they first ran."""
        return list(self._seen.values())

    def create_plugin(
        self, info: InvocationStartInfo, /
    ) -> DurableInstrumentationPlugin:
        """One plugin per invocation, all reporting to this killer."""
        self._invocations += 1
        return _KillPlugin(self)

    def started(self, info: UserFunctionStartInfo) -> None:
        """Record the boundary, then kill before the call if it is the target."""
        attempt = None if info.operation_type is OperationType.CONTEXT else info.attempt
        here = Boundary(info.operation_id, str(info.name), attempt)
        self._seen.setdefault((here.op_id, attempt), here)
        self._running[here.op_id] = attempt
        self._at(here.op_id, attempt, KillPoint.BEFORE_CALL)

    def returned(self, info: UserFunctionEndInfo) -> None:
        """Kill before the checkpoint, unless the function suspended (no result)."""
        if info.outcome is not UserFunctionOutcome.INCOMPLETE:
            attempt = self._running.get(info.operation_id)
            self._at(info.operation_id, attempt, KillPoint.BEFORE_CHECKPOINT)

    def ended(self, info: OperationEndInfo) -> None:
        """Mark the attempt the operation ended on, then kill if it is the target."""
        if info.operation_id not in self._running:
            return  # a callback or a replayed operation: no function ran here
        key = (info.operation_id, self._running[info.operation_id])
        if key in self._seen:
            self._seen[key] = replace(self._seen[key], ends=True)
        self._at(*key, KillPoint.AFTER_CHECKPOINT)

    def _at(self, op_id: str, attempt: int | None, point: KillPoint) -> None:
        if self.target is None:
            return
        boundary, kill_point = self.target
        if not self.fired:
            if (boundary.op_id, boundary.attempt, kill_point) == (
                op_id,
                attempt,
                point,
            ):
                self.fired, self._killed_in = True, self._invocations
                raise ProcessKilled(f"killed {point} {boundary.label}")
        elif (
            self.again
            and not self.fired_again
            and point is KillPoint.BEFORE_CHECKPOINT
            and self._invocations > self._killed_in
        ):
            self.fired_again = True
            raise ProcessKilled(
                f"killed again {point}, recovering from {boundary.label}"
            )


class _KillPlugin(DurableInstrumentationPlugin):
    """The SDK's hooks at the three moments of one operation attempt."""

    def __init__(self, killer: Killer) -> None:
        self._killer = killer

    def on_user_function_start(self, info: UserFunctionStartInfo) -> None:
        self._killer.started(info)

    def on_user_function_end(self, info: UserFunctionEndInfo) -> None:
        self._killer.returned(info)

    def on_operation_end(self, info: OperationEndInfo) -> None:
        self._killer.ended(info)


@dataclass(frozen=True)
class Snapshot:
    """What one run left behind: the result, the read model, the ledgers."""

    execution_status: str
    body: dict[str, Any]
    status: str | None
    history: list[str]
    effects: list[tuple[str, str, str, int, int]]  # key, provider, action, amounts
    books: Books
    approvals: list[tuple[str, str, str]]  # callback id, approver, status
    audit: list[tuple[str, str]]  # action, approver (or actor)
    outbox: int
    decided: list[str]  # callback ids the approver answered, one entry per answer

    @property
    def trail(self) -> list[tuple[str, str]]:
        """Approvals without their (per-execution) callback ids."""
        return [(approver, status) for _, approver, status in self.approvals]


@dataclass
class Run:
    """One run of a path: the killer that watched it and what it left."""

    killer: Killer
    snapshot: Snapshot
    seconds: float


def run_path(
    path: Path,
    target: tuple[Boundary, KillPoint] | None = None,
    *,
    wrap: Callable[[Providers], Providers] | None = None,
    again: bool = False,
) -> Run:
    """Run ``path`` to its end on a fresh store, killing at ``target`` once
    (and its recovery too, with ``again``)."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as home, ExitStack() as stack:
        store = SqliteStore(FsPath(home) / "orderflow.db")
        deps = Deps(
            store=store,
            provider=SandboxProvider(store, path.faults, seed=7, stage_seconds=0),
            settings=Settings(
                store_url=f"sqlite:{store.path}", faults=path.faults, **path.settings
            ),
        )
        killer = Killer(target, again=again)
        h = build_harness(deps, wrap=wrap, plugins=[killer], redelivery_seconds=0)
        stack.callback(h.runner.close)
        arn = h.start(path.order(ORDER_ID))
        decided = [
            h.decide(arn, n, approved=d)
            for n, d in enumerate(path.decisions, 1)
            if d is not None
        ]
        result = h.result(arn)
        record = store.get_subject(ORDER_ID)
        effects = store.list_effects(ORDER_ID)
        snapshot = Snapshot(
            execution_status=str(result.status),
            body=json.loads(result.result) if result.result else {},
            status=record.status if record else None,
            history=history(store, ORDER_ID) if record else [],
            effects=[
                (e.idempotency_key, e.provider, e.action, e.amount_cents, e.quantity)
                for e in effects
            ],
            books=Books.from_effects(effects),
            approvals=[
                (a.callback_id, a.approver, a.status)
                for a in store.list_approvals(subject_id=ORDER_ID)
            ],
            audit=[
                (e.action, str(e.detail.get("approver", e.actor)))
                for e in store.list_audit(ORDER_ID)
            ],
            outbox=len(store.list_outbox(subject_id=ORDER_ID)),
            decided=decided,
        )
    return Run(killer, snapshot, time.perf_counter() - started)


def violations(path: Path, got: Snapshot, clean: Snapshot) -> list[str]:
    """What ``got`` breaks of the path's promises; ``clean`` is the uncrashed run."""
    found: list[str] = []

    def check(ok: bool, text: str) -> None:
        if not ok:
            found.append(text)

    # The order reaches the terminal status the path implies, recorded once each.
    check(
        got.body.get("status") == got.status == path.status,
        f"ended {got.body.get('status')} (read model {got.status}), "
        f"expected {path.status} ({got.execution_status})",
    )
    check(got.history == clean.history, f"status history {got.history}")
    # Each idempotency key produced at most one effect, and no effect appeared
    # under a key the clean run did not use.
    for key, n in Counter(e[0] for e in got.effects).items():
        check(n == 1, f"key {key} produced {n} effects")
    extra = Counter(got.effects) - Counter(clean.effects)
    missing = Counter(clean.effects) - Counter(got.effects)
    check(not extra, f"effects the clean run did not make: {sorted(extra)}")
    check(not missing, f"effects the clean run made, missing: {sorted(missing)}")
    # Money and stock balance as the path implies.
    order = parse_order(path.order(ORDER_ID))
    owed = (order.total_cents, sum(i.quantity for i in order.items))
    net, units = owed if path.keeps else (0, 0)
    b = got.books
    check(b.net_cents == net, f"captured - refunded = {b.net_cents}, not {net}")
    check(b.units_moved == units, f"reserved - released = {b.units_moved}, not {units}")
    check(b.held_cents == 0, f"{b.held_cents} cents still held on the card")
    sums = (b.captured_cents, b.refunded_cents, b.reserved_units, b.released_units)
    c = clean.books
    want = (c.captured_cents, c.refunded_cents, c.reserved_units, c.released_units)
    check(sums == want, f"captured, refunded, reserved, released = {sums}, not {want}")
    # One approval per callback, each answered once, and the same approval trail.
    ids = [callback_id for callback_id, _, _ in got.approvals]
    check(len(set(ids)) == len(ids), f"a callback has two approvals: {ids}")
    check(got.trail == clean.trail, f"approvals {got.trail}, not {clean.trail}")
    check(got.audit == clean.audit, f"audit trail {got.audit}, not {clean.audit}")
    check(got.outbox == clean.outbox, f"{got.outbox} emails, not {clean.outbox}")
    answered = Counter(got.decided)
    check(
        set(answered) <= set(ids) and set(answered.values()) <= {1},
        f"decisions {dict(answered)} for approvals {ids}",
    )
    return found


@dataclass
class PathReport:
    """One path's row of the table."""

    path: Path
    boundaries: list[Boundary]
    runs: int = 0
    seconds: float = 0.0
    violations: list[str] = field(default_factory=list)
    killed_twice: int = 0  # runs whose recovery was killed too (``again``)


def plan(
    boundaries: list[Boundary], runs: int | None
) -> list[tuple[Boundary, KillPoint]]:
    """Every boundary at each of its kill points; or ``runs`` of those, spread evenly.

    The sample takes the boundaries at the middles of ``runs`` equal slices of
    the path and turns through the kill points, so it reaches the middle of the
    path (the provider calls) and every kill point, the same way on every run.
    """
    pairs = [(b, p) for b in boundaries for p in b.points]
    if runs is None or runs >= len(pairs):
        return pairs
    n = len(boundaries)
    picked: dict[tuple[Boundary, KillPoint], None] = {}  # ordered, no repeats
    for k in range(runs):
        b = boundaries[int((k + 0.5) * n / runs)]
        pair = (b, b.points[k % len(b.points)])
        picked[pair] = None
    return list(picked)


def run_matrix(
    paths: Iterable[Path] = PATHS,
    *,
    runs_per_path: int | None = None,
    wrap: Callable[[Providers], Providers] | None = None,
    again: bool = False,
) -> list[PathReport]:
    """Each path clean, then killed once per (sampled) boundary and kill point
    (and, with ``again``, killed once more while it recovers)."""
    reports = []
    for path in paths:
        clean = run_path(path, wrap=wrap)
        report = PathReport(path, clean.killer.boundaries, seconds=clean.seconds)
        report.violations += [
            f"{path.name}/-/clean: {v}"
            for v in violations(path, clean.snapshot, clean.snapshot)
        ]
        for boundary, point in plan(report.boundaries, runs_per_path):
            run = run_path(path, (boundary, point), wrap=wrap, again=again)
            report.runs += 1
            report.killed_twice += run.killer.fired_again
            report.seconds += run.seconds
            where = f"{path.name}/{boundary.label}/{point}"
            if not run.killer.fired:
                report.violations.append(f"{where}: the kill point was not reached")
            report.violations += [
                f"{where}: {v}" for v in violations(path, run.snapshot, clean.snapshot)
            ]
        reports.append(report)
    return reports


def table(reports: list[PathReport]) -> str:
    """The matrix as text: one row per path, the totals, then any violation."""
    rows = [f"{'path':<26}{'boundaries':>11}{'runs':>6}{'violations':>11}{'s':>7}"]
    for r in reports:
        rows.append(
            f"{r.path.name:<26}{len(r.boundaries):>11}{r.runs:>6}"
            f"{len(r.violations):>11}{r.seconds:>7.1f}"
        )
    runs = sum(r.runs for r in reports)
    boundaries = [b for r in reports for b in r.boundaries]
    pairs = sum(len(b.points) for b in boundaries)
    found = [v for r in reports for v in r.violations]
    twice = sum(r.killed_twice for r in reports)
    rows.append(
        f"matrix: {len(reports)} paths, {len(boundaries)} boundaries, "
        f"{pairs} (boundary, kill point) pairs; ran {runs}"
        + (f" ({twice} with the recovery killed too)" if twice else "")
        + f"; violations: {len(found)}"
    )
    return "\n".join(rows + [f"VIOLATION {v}" for v in found])


REDUCED_RUNS_PER_PATH = 8  # the reduced matrix: a sample of each path's boundaries


def main(argv: list[str] | None = None) -> int:
    """Run the matrix, print its table; 1 on any violation."""
    parser = argparse.ArgumentParser(prog="python -m tests.crash.matrix")
    parser.add_argument(
        "--full", action="store_true", help="every boundary (default: a sample)"
    )
    parser.add_argument(
        "--twice",
        action="store_true",
        help="kill each recovery too, before the checkpoint of its first function",
    )
    args = parser.parse_args(argv)
    # The SDK logs each failed step attempt, and the compensate path fails some
    # on purpose: keep the table readable.
    logging.disable(logging.ERROR)
    started = time.perf_counter()
    reports = run_matrix(
        runs_per_path=None if args.full else REDUCED_RUNS_PER_PATH, again=args.twice
    )
    sys.stdout.write(table(reports) + "\n")
    sys.stdout.write(f"runtime: {time.perf_counter() - started:.0f} s\n")
    return 1 if any(r.violations for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
