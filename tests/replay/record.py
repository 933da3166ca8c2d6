"""Record the workflows' execution histories: ``python -m tests.replay.record``.

Runs each recorded path of every registered process (``PROOF.recorded`` in
tests/proofs/<kind>.py) through its real handler in the testing SDK's runner
(a SQLite store, the order's sandbox providers, every clock fixed at EPOCH)
and writes what the runner's backend stored for the execution to
tests/replay/histories/<kind>/:

- ``<path>-completed.json``: every operation once the execution has ended, and
  the workflow's result;
- ``<path>-<point>.json`` for each path with an ``in_flight`` point: the
  operations as they stood when the handler suspended there (waiting on an
  approval, between two delivery polls, in a compensation's back-off), the
  provider ledger then, the approvals still to come and the status the subject
  went on to reach.

The output is deterministic: running it twice writes the same files. Re-record
only after an intended change that is versioned for executions in flight
(docs/changing-workflows.md, "Re-recording after an intended, versioned
change"). Name kinds or paths to record only those:
``python -m tests.replay.record expense order/two-approvers``.
"""

from __future__ import annotations

import logging
import sys
import tempfile
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path as FsPath
from typing import Any

from aws_durable_execution_sdk_python.lambda_service import Operation, OperationStatus

from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.parts.approvals.flow import WAIT_FOR_APPROVAL
from tests.proofs import Decision, Path, Proof, proofs
from tests.replay.history import RecordingStore, save, to_json
from tests.workflow.conftest import body, build_harness, run_path

EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
_OVER = {
    OperationStatus.SUCCEEDED,
    OperationStatus.FAILED,
    OperationStatus.TIMED_OUT,
    OperationStatus.STOPPED,
    OperationStatus.CANCELLED,
}


def stopped_clock() -> datetime:
    """The recorder's and the replayer's clock: always EPOCH."""
    return EPOCH


def _unfinished(operations: list[Operation], name: str) -> bool:
    return any(op.name == name and op.status not in _OVER for op in operations)


def _decided(operations: list[Operation], decision: Decision) -> bool:
    name = f"{WAIT_FOR_APPROVAL}-{decision.round}"
    return any(op.name == name and op.status in _OVER for op in operations)


def record(proof: Proof[Any], path: Path, workdir: FsPath) -> list[FsPath]:
    """Run ``path`` to its end; write its histories; the files written."""
    store = SqliteStore(workdir / f"{proof.kind}-{path.name}.db")
    deps = proof.make_deps(store, path, stopped_clock)
    ledger_id = proof.ledger_id(path)
    executions = RecordingStore(
        lambda: [asdict(e) for e in store.list_effects(ledger_id)]
    )
    h = build_harness(proof, deps, execution_store=executions)
    arn, result = run_path(h, path)
    ended_in = body(result)["status"]
    assert ended_in == path.status, f"{proof.kind}/{path.name} ended {ended_in}"
    common = {
        "path": path.name,
        "input": path.input,
        "faults": path.faults,
        "settings": path.settings,
    }
    ended = executions.load(arn).operations
    name = f"{proof.kind}/{path.name}"
    written = [
        save(
            f"{name}-completed",
            common
            | {
                "point": "completed",
                "result": body(result),
                "operations": to_json(ended),
            },
        )
    ]
    if path.in_flight is not None:
        point, waiting_on = path.in_flight
        operations, ledger = next(
            (ops, world)
            for ops, world in executions.suspensions
            if _unfinished(ops, waiting_on)
        )
        then = [asdict(d) for d in path.decisions if not _decided(operations, d)]
        history = common | {
            "point": point,
            "waiting_on": waiting_on,
            "ledger": ledger,
            "then": then,
            "status": ended_in,
            "operations": to_json(operations),
        }
        written.append(save(f"{name}-{point}", history))
    return written


def main(names: list[str]) -> None:
    """Record the kinds or ``<kind>/<path>``s named (all when none are)."""
    chosen = [
        (proof, path)
        for proof in proofs()
        for path in proof.recorded
        if not names or {proof.kind, f"{proof.kind}/{path.name}"} & set(names)
    ]
    logging.disable(logging.ERROR)  # the injected faults' tracebacks, as expected
    with tempfile.TemporaryDirectory() as workdir:
        for proof, path in chosen:
            for written in record(proof, path, FsPath(workdir)):
                sys.stdout.write(f"wrote {written}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
