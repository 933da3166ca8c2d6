"""The crash matrix: kill the orchestrator at every checkpoint boundary of every path.

Every registered process's paths (``PROOF.paths`` in tests/proofs/<kind>.py:
for the order auto-approve, approve, two approvers, reject, time-out then
escalate then cancel, fulfilment failure with compensation, reconciliation
repair, a returned parcel shipped again; for the expense claim approved,
rejected, time-out then escalate then cancel) run once cleanly in the testing
SDK's runner, on a SQLite store (and, for the order, the sandbox providers).
The clean run lists the path's boundaries: every attempt of every durable
operation whose function ran (steps, approval contexts, delivery polls), so a
new step, or a new process, joins the matrix by itself. Then the path runs
again once per boundary and kill point (tests/crash/killer.py):

- ``before-call``: the operation's function is about to start, nothing done;
- ``before-checkpoint``: the function returned (its effect made), its
  checkpoint not yet sent;
- ``after-checkpoint``: the terminal checkpoint is written, the workflow has
  not moved on.

The kill is ``ProcessKilled`` raised from the SDK's own instrumentation-plugin
hooks, whose documented places are exactly those three moments; the SDK itself
runs unchanged. The runner then invokes the handler again, as Lambda does after
a dead invocation, and approvals are answered as the path says. After every run
the store must show what the path implies: the checks every process shares
(``shared_violations``) and the process's own (``PROOF.invariants``: the
order's books and ledger). ``--twice`` kills each recovery as well, before the
checkpoint of the first function it runs. ``python -m tests.crash.matrix
[--full] [--twice] [--kind KIND]`` prints the table and exits 1 on any
violation; docs/crash-matrix.md has the figures.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from orderflow.adapters.sqlite_store import SqliteStore
from tests.crash.killer import Boundary, Killer, KillPoint
from tests.proofs import Path, Proof, proofs
from tests.proofs.snapshot import Snapshot, shared_violations, take
from tests.workflow.conftest import build_harness

__all__ = ["Boundary", "KillPoint", "run_matrix", "run_path", "table", "violations"]


@dataclass
class Run:
    """One run of a path: the killer that watched it and what it left."""

    killer: Killer
    snapshot: Snapshot
    seconds: float


def run_path(
    proof: Proof[Any],
    path: Path,
    target: tuple[Boundary, KillPoint] | None = None,
    *,
    adapt: Callable[[Any], Any] | None = None,
    again: bool = False,
) -> Run:
    """Run ``path`` of ``proof``'s process to its end on a fresh store, killing
    at ``target`` once (and its recovery too, with ``again``); ``adapt`` changes
    the deps first (a provider without idempotency, say)."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as home, ExitStack() as stack:
        store = SqliteStore(FsPath(home) / "orderflow.db")
        deps = proof.make_deps(store, path, None)
        if adapt is not None:
            deps = adapt(deps)
        killer = Killer(target, again=again)
        h = build_harness(proof, deps, plugins=[killer], redelivery_seconds=0)
        stack.callback(h.runner.close)
        arn = h.start(path.input)
        decided = [
            h.decide(arn, d.round, approved=d.approved, approver=d.approver)
            for d in path.decisions
        ]
        result = h.result(arn)
        snapshot = take(
            store, proof.subject_id(path), result, decided, proof.ledger_id(path)
        )
    return Run(killer, snapshot, time.perf_counter() - started)


def violations(
    proof: Proof[Any], path: Path, got: Snapshot, clean: Snapshot
) -> list[str]:
    """What ``got`` breaks of the path's promises; ``clean`` is the uncrashed run."""
    return shared_violations(path.status, got, clean) + proof.invariants(
        path, got, clean
    )


@dataclass
class PathReport:
    """One path's row of the table."""

    kind: str
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
    chosen: Iterable[tuple[Proof[Any], Path]] | None = None,
    *,
    runs_per_path: int | None = None,
    adapt: Callable[[Any], Any] | None = None,
    again: bool = False,
) -> list[PathReport]:
    """Each path (every registered process's, unless ``chosen``) clean, then
    killed once per (sampled) boundary and kill point (and, with ``again``,
    killed once more while it recovers)."""
    if chosen is None:
        chosen = [(proof, path) for proof in proofs() for path in proof.paths]
    reports = []
    for proof, path in chosen:
        clean = run_path(proof, path, adapt=adapt)
        report = PathReport(
            proof.kind, path, clean.killer.boundaries, seconds=clean.seconds
        )
        name = f"{proof.kind}/{path.name}"
        report.violations += [
            f"{name}/-/clean: {v}"
            for v in violations(proof, path, clean.snapshot, clean.snapshot)
        ]
        for boundary, point in plan(report.boundaries, runs_per_path):
            run = run_path(proof, path, (boundary, point), adapt=adapt, again=again)
            report.runs += 1
            report.killed_twice += run.killer.fired_again
            report.seconds += run.seconds
            where = f"{name}/{boundary.label}/{point}"
            if not run.killer.fired:
                report.violations.append(f"{where}: the kill point was not reached")
            report.violations += [
                f"{where}: {v}"
                for v in violations(proof, path, run.snapshot, clean.snapshot)
            ]
        reports.append(report)
    return reports


def table(reports: list[PathReport]) -> str:
    """The matrix as text: one row per path, the totals, then any violation."""
    head = f"{'process':<9}{'path':<26}{'boundaries':>11}{'runs':>6}"
    rows = [f"{head}{'violations':>11}{'s':>7}"]
    for r in reports:
        rows.append(
            f"{r.kind:<9}{r.path.name:<26}{len(r.boundaries):>11}{r.runs:>6}"
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
    parser.add_argument(
        "--kind", action="append", help="only this process's paths (repeatable)"
    )
    args = parser.parse_args(argv)
    chosen = [
        (proof, path)
        for proof in proofs()
        if not args.kind or proof.kind in args.kind
        for path in proof.paths
    ]
    # The SDK logs each failed step attempt, and the compensate path fails some
    # on purpose: keep the table readable.
    logging.disable(logging.ERROR)
    started = time.perf_counter()
    reports = run_matrix(
        chosen,
        runs_per_path=None if args.full else REDUCED_RUNS_PER_PATH,
        again=args.twice,
    )
    sys.stdout.write(table(reports) + "\n")
    sys.stdout.write(f"runtime: {time.perf_counter() - started:.0f} s\n")
    return 1 if any(r.violations for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
