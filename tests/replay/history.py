"""Recorded execution histories: what the SDK checkpointed, as readable JSON.

A history is the execution's operations in the service's own JSON shape
(``Operation.to_json_dict``: Id, ParentId, Type, SubType, Name, Status and the
details holding the result or error) minus what differs from run to run: the
timestamps and the callback ids, which embed the execution's ARN.

Each process's histories sit in histories/<kind>/ (tests/proofs/<kind>.py
names its recorded paths). Two execution stores for the runner:

- ``RecordingStore`` keeps the operations as they stood each time an invocation
  ended (each suspension), for the recorder (tests/replay/record.py);
- ``SeededStore`` gives a new execution the recorded operations as its existing
  state, so the runner's first invocation of the current handler replays them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from aws_durable_execution_sdk_python.lambda_service import Operation, OperationType
from aws_durable_execution_sdk_python_testing.execution import Execution
from aws_durable_execution_sdk_python_testing.stores.memory import (
    InMemoryExecutionStore,
)
from aws_durable_execution_sdk_python_testing.token import CallbackToken

from orderflow.parts.approvals.flow import VERIFY_APPROVAL

HISTORIES = Path(__file__).parent / "histories"
SDK = "aws-durable-execution-sdk-python"
_VOLATILE = ("StartTimestamp", "EndTimestamp")
_ENDED = {"SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED", "CANCELLED"}
# verify-approval-<n>'s result: "key": the approval_key of the claim it counted.
_CLAIM_KEY = re.compile(r'("key":\{"t":"s","v":")[0-9a-f]{32}(")')
_DETAIL_TIMES = {
    "StepDetails": "NextAttemptTimestamp",
    "WaitDetails": "ScheduledEndTimestamp",
}


def to_json(operations: list[Operation]) -> list[dict[str, Any]]:
    """The operations but EXECUTION, as stable JSON: no times, no ARN-bound ids."""
    out = []
    for op in operations:
        if op.operation_type is OperationType.EXECUTION:
            continue
        data = dict(op.to_json_dict())
        for key in _VOLATILE:
            data.pop(key, None)
        for details, stamp in _DETAIL_TIMES.items():
            if details in data and stamp in data[details]:
                data[details][stamp] = "<due>"
        if "CallbackDetails" in data:
            data["CallbackDetails"]["CallbackId"] = "<callback id>"
        result = data.get("StepDetails", {}).get("Result")
        if str(op.name).startswith(VERIFY_APPROVAL) and result:
            # The claim's key hashes its callback id, which embeds the ARN.
            data["StepDetails"]["Result"] = _CLAIM_KEY.sub(r"\1<claim key>\2", result)
        out.append(data)
    return out


def from_json(
    data: list[dict[str, Any]], *, arn: str, now: datetime
) -> list[Operation]:
    """Recorded operations for the execution ``arn``, their times all ``now``."""
    due = int(now.timestamp() * 1000)
    operations = []
    for recorded in data:
        op = json.loads(json.dumps(recorded))
        op["StartTimestamp"] = due
        if op["Status"] in _ENDED:
            op["EndTimestamp"] = due
        for details, stamp in _DETAIL_TIMES.items():
            if op.get(details, {}).get(stamp) == "<due>":
                op[details][stamp] = due
        if "CallbackDetails" in op:
            token = CallbackToken(execution_arn=arn, operation_id=op["Id"])
            op["CallbackDetails"]["CallbackId"] = token.to_str()
        operations.append(Operation.from_json_dict(op))
    return operations


def names(kind: str) -> list[str]:
    """The histories of process ``kind``, as ``<kind>/<file stem>``.

    Only the top level of histories/<kind>/ counts: histories/<kind>/retired/
    keeps the histories of executions another function version still serves.
    """
    return sorted(f"{kind}/{p.stem}" for p in (HISTORIES / kind).glob("*.json"))


def load(name: str) -> dict[str, Any]:
    """The history file ``name`` (``<kind>/<stem>``, without .json), parsed."""
    parsed: dict[str, Any] = json.loads((HISTORIES / f"{name}.json").read_text())
    return parsed


def save(name: str, history: dict[str, Any]) -> Path:
    """Write ``history`` as histories/``name``.json, with the SDK version."""
    path = HISTORIES / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"sdk": version(SDK), **history}, indent=1) + "\n")
    return path


class RecordingStore(InMemoryExecutionStore):
    """The runner's store for one execution, noting its state after each invocation.

    Each entry of ``suspensions`` is the operations as the invocation left them
    and what ``world()`` returned then (the provider ledger, say): the handler
    has returned, so both are at rest.
    """

    def __init__(self, world: Callable[[], Any]) -> None:
        super().__init__()
        self._world = world
        self.suspensions: list[tuple[list[Operation], Any]] = []

    def save(self, execution: Execution) -> None:
        """Save; snapshot the operations when an invocation has just ended."""
        if len(execution.invocation_completions) > len(self.suspensions):
            self.suspensions.append((list(execution.operations), self._world()))
        super().save(execution)


class SeededStore(RecordingStore):
    """The runner's store, giving the next execution ``operations`` as its state.

    The runner creates the execution (its EXECUTION operation holds the input);
    the recorded operations are appended when it is first saved, before the
    first invocation, as the service would hand them to a replaying handler.
    """

    def __init__(self, operations: list[dict[str, Any]]) -> None:
        super().__init__(world=lambda: None)
        self._pending: list[dict[str, Any]] | None = operations

    def save(self, execution: Execution) -> None:
        """Save; the first execution saved gets the recorded operations."""
        if self._pending is not None:
            execution.operations.extend(
                from_json(
                    self._pending,
                    arn=execution.durable_execution_arn,
                    now=datetime.now(UTC),
                )
            )
            self._pending = None
        super().save(execution)
