"""Record the workflow's execution histories: ``python -m tests.replay.record``.

Runs each path of the order workflow through the real handler in the testing
SDK's runner (a SQLite store, the sandbox providers, the clock fixed at EPOCH)
and writes what the runner's backend stored for the execution to
tests/replay/histories/:

- ``<path>-completed.json``: every operation once the execution has ended, and
  the workflow's result;
- ``<path>-<point>.json`` for each scenario with an ``in_flight`` point: the
  operations as they stood when the handler suspended there (waiting on an
  approval, between two delivery polls, in a compensation's back-off), the
  provider ledger then, the approvals still to come and the status the order
  went on to reach.

The output is deterministic: running it twice writes the same files. Re-record
only after an intended change that is versioned for executions in flight
(docs/changing-workflows.md, "Re-recording after an intended, versioned
change"). Name scenarios to record only those:
``python -m tests.replay.record two-approvers``.
"""

from __future__ import annotations

import logging
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aws_durable_execution_sdk_python.lambda_service import Operation, OperationStatus

from orderflow.adapters.sandbox import SandboxProvider
from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.processes.orders.deps import Deps
from orderflow.processes.orders.operations import Op
from tests.conftest import sandbox_deps
from tests.replay.history import RecordingStore, save, to_json
from tests.utils.orders import high_risk_order, low_risk_order
from tests.utils.risky import policy_reject_order, value_10k_order
from tests.workflow.conftest import body, build_harness

EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
A, B = "approver@example.com", "manager@example.com"
_OVER = {
    OperationStatus.SUCCEEDED,
    OperationStatus.FAILED,
    OperationStatus.TIMED_OUT,
    OperationStatus.STOPPED,
    OperationStatus.CANCELLED,
}


@dataclass(frozen=True)
class Decision:
    """An approver's answer to round ``round`` of the approval."""

    round: int
    approved: bool
    approver: str


@dataclass(frozen=True)
class Scenario:
    """One path of the workflow, and where to take its in-flight history."""

    name: str
    order: dict[str, Any]
    decisions: tuple[Decision, ...] = ()
    faults: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    # (point, operation): record the first suspension with ``operation`` unfinished.
    in_flight: tuple[str, str] | None = None


SCENARIOS = [
    Scenario(
        "auto-approve",
        low_risk_order("ORD-H-AUTO"),
        in_flight=("awaiting-delivery", Op.WAIT_FOR_DELIVERY),
    ),
    Scenario(
        "one-approver",
        high_risk_order("ORD-H-ONE"),
        (Decision(1, True, A),),
        in_flight=("awaiting-approval", f"{Op.WAIT_FOR_APPROVAL}-1"),
    ),
    Scenario(
        "two-approvers",
        value_10k_order("ORD-H-TWO"),
        (Decision(1, True, A), Decision(2, True, B)),
        in_flight=("awaiting-second-approval", f"{Op.WAIT_FOR_APPROVAL}-2"),
    ),
    Scenario(
        "rejected-by-approver", high_risk_order("ORD-H-REJ"), (Decision(1, False, A),)
    ),
    Scenario("rejected-by-policy", policy_reject_order("ORD-H-POLICY")),
    Scenario(
        "approval-timed-out",
        high_risk_order("ORD-H-LATE"),
        settings={"approval_timeout_seconds": 1},  # real seconds
    ),
    Scenario(
        "escalated",
        high_risk_order("ORD-H-ESC"),
        (Decision(2, True, B),),  # the first approver lets it time out
        settings={"approval_timeout_seconds": 1},  # real seconds
        in_flight=("awaiting-escalated-approval", f"{Op.WAIT_FOR_APPROVAL}-2"),
    ),
    Scenario(
        "fulfilment-compensated",
        low_risk_order("ORD-H-UNDO"),
        faults="payment.capture=9x:timeout,inventory.release=2x:throttled",
        in_flight=("compensation-back-off", Op.RELEASE_INVENTORY),
    ),
    Scenario(
        "reconciliation-repaired",
        low_risk_order("ORD-H-TWICE"),
        faults="payment.capture=1x:duplicate",
    ),
]


def _unfinished(operations: list[Operation], name: str) -> bool:
    return any(op.name == name and op.status not in _OVER for op in operations)


def _decided(operations: list[Operation], decision: Decision) -> bool:
    name = f"{Op.WAIT_FOR_APPROVAL}-{decision.round}"
    return any(op.name == name and op.status in _OVER for op in operations)


def fixed_clock_deps(store: SqliteStore, faults: str, settings: dict[str, Any]) -> Deps:
    """The sandbox Deps on ``store``, every clock stopped at EPOCH."""
    deps = sandbox_deps(store, faults, **settings)
    deps.now = lambda: EPOCH
    deps.provider = SandboxProvider(store, faults, seed=7, clock=deps.now)
    return deps


def record(scenario: Scenario, workdir: Path) -> list[Path]:
    """Run ``scenario`` to its end; write its histories; the files written."""
    store = SqliteStore(workdir / f"{scenario.name}.db")
    deps = fixed_clock_deps(store, scenario.faults, scenario.settings)
    order_id = scenario.order["order_id"]
    executions = RecordingStore(
        lambda: [asdict(e) for e in store.list_effects(order_id)]
    )
    h = build_harness(deps, execution_store=executions)
    try:
        arn = h.start(scenario.order)
        for d in scenario.decisions:
            h.decide(arn, d.round, approved=d.approved, approver=d.approver)
        result = h.result(arn)
    finally:
        h.runner.close()
    common = {
        "path": scenario.name,
        "input": scenario.order,
        "faults": scenario.faults,
        "settings": scenario.settings,
    }
    ended = executions.load(arn).operations
    written = [
        save(
            f"{scenario.name}-completed",
            common
            | {
                "point": "completed",
                "result": body(result),
                "operations": to_json(ended),
            },
        )
    ]
    if scenario.in_flight is not None:
        point, waiting_on = scenario.in_flight
        operations, ledger = next(
            (ops, world)
            for ops, world in executions.suspensions
            if _unfinished(ops, waiting_on)
        )
        then = [asdict(d) for d in scenario.decisions if not _decided(operations, d)]
        history = common | {
            "point": point,
            "waiting_on": waiting_on,
            "ledger": ledger,
            "then": then,
            "status": body(result)["status"],
            "operations": to_json(operations),
        }
        written.append(save(f"{scenario.name}-{point}", history))
    return written


def main(names: list[str]) -> None:
    """Record the scenarios named (all when none are)."""
    chosen = [s for s in SCENARIOS if not names or s.name in names]
    logging.disable(logging.ERROR)  # the injected faults' tracebacks, as expected
    with tempfile.TemporaryDirectory() as workdir:
        for scenario in chosen:
            for path in record(scenario, Path(workdir)):
                sys.stdout.write(f"wrote {path}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
