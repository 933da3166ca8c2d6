"""Workflow log lines: one per operation, none repeated on replay, no personal data.

Every recorded path of every registered process (tests/proofs/) runs through its
real handler in the testing runner, with the Powertools logger's lines captured
as the Lambda runtime would ship them (its own JSON formatter). Each line of the
execution must carry the subject's id, the execution ARN, the operation's name
and its attempt; every operation of the execution's history must have its line
(a step or a wait's check: one per attempt; an approval's callback: its answer);
a replayed invocation (every approval suspends the execution, and the next
invocation replays it from the top) must repeat none; and no line may hold the
subject's personal fields, an approver's address, a callback id or a link token.
"""

from __future__ import annotations

import io
import json
import logging
from collections import Counter
from collections.abc import Iterator
from pathlib import Path as FsPath
from typing import Any

import pytest
from aws_durable_execution_sdk_python.lambda_service import OperationType
from aws_durable_execution_sdk_python_testing.runner import (
    ContextOperation,
    Operation,
    StepOperation,
)

from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.parts import logs
from orderflow.parts.approvals.mail import links_in
from tests.proofs import Path, Proof, proofs
from tests.workflow.conftest import body, build_harness, run_path

PATHS = [
    pytest.param(proof, path, id=f"{proof.kind}/{path.name}")
    for proof in proofs()
    for path in proof.recorded
]
KEYS = (logs.SUBJECT, "executionArn", logs.OPERATION, logs.ATTEMPT)
# Input fields that are personal data, wherever they are nested.
PERSONAL = ("email", "name", "line1", "line2", "city", "postal_code", "phone")


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """What the workflows' Powertools logger writes, formatted as it ships it."""
    powertools: Any = logs.powertools()
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(powertools.registered_formatter)
    powertools.addHandler(handler)
    yield sink
    powertools.removeHandler(handler)


def run(proof: Proof[Any], path: Path, tmp_path: FsPath) -> dict[str, Any]:
    """Run ``path`` to its end: its ARN, operations, store and invocations."""
    store = SqliteStore(tmp_path / f"{proof.kind}.db")
    deps = proof.make_deps(store, path, None)
    h = build_harness(proof, deps)
    arn, result = run_path(h, path)
    assert body(result)["status"] == path.status
    return {
        "arn": arn,
        "operations": list(walk(result.operations)),
        "store": store,
        "calls": h.handler_calls,
        "approvers": list(deps.settings.approvers),
    }


def walk(operations: list[Operation], parent: str | None = None) -> Iterator[Any]:
    """Every operation with its parent's name, children after their parent."""
    for op in operations:
        yield op, parent
        if isinstance(op, ContextOperation):
            yield from walk(op.child_operations, op.name)


def lines_of(sink: io.StringIO, arn: str) -> list[dict[str, Any]]:
    """The captured JSON lines of execution ``arn``."""
    parsed = [json.loads(line) for line in sink.getvalue().splitlines() if line]
    return [line for line in parsed if line.get("executionArn") == arn]


def personal(value: Any, key: str = "") -> Iterator[str]:
    """The personal strings in ``value`` (the input), by their field names."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from personal(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from personal(v, key)
    elif isinstance(value, str) and any(p in key for p in PERSONAL) and value:
        yield value


@pytest.mark.parametrize(("proof", "path"), PATHS)
def test_every_operation_logs_once_with_its_keys_and_no_personal_data(
    proof: Proof[Any], path: Path, tmp_path: FsPath, captured: io.StringIO
) -> None:
    ran = run(proof, path, tmp_path)
    lines = lines_of(captured, ran["arn"])
    subject_id = proof.subject_id(path)

    assert lines, "the execution wrote no log line"
    for line in lines:
        missing = [k for k in KEYS if line.get(k) is None]
        assert missing == [], f"{line} lacks {missing}"
        assert line[logs.SUBJECT] == subject_id
        assert line[logs.KIND] == proof.kind
    named = {line[logs.OPERATION] for line in lines}
    for op, parent in ran["operations"]:
        if op.operation_type is OperationType.CALLBACK:
            # The callback's answer is its wait-for-approval-<n>'s line.
            assert parent in named, f"no line for {op.name}'s answer"
            continue
        mine = [line for line in lines if line[logs.OPERATION] == op.name]
        assert mine, f"no line for operation {op.name}"
        if isinstance(op, StepOperation) and op.operation_type is OperationType.STEP:
            attempts = sorted(line[logs.ATTEMPT] for line in mine)
            assert attempts == list(range(1, op.attempt + 1)), (op.name, attempts)

    # Replays: each approval's answer comes in a new invocation, replaying the
    # history from the top; none of the earlier lines is written again.
    if any(op.operation_type is OperationType.CALLBACK for op, _ in ran["operations"]):
        assert ran["calls"] > 1
    seen = Counter(
        (
            line[logs.OPERATION],
            line.get("operationId"),
            line[logs.ATTEMPT],
            line["message"],
        )
        for line in lines
    )
    assert [k for k, n in seen.items() if n > 1] == []

    store: SqliteStore = ran["store"]
    secrets = [
        *personal(path.input),
        *ran["approvers"],
        *(a.callback_id for a in store.list_approvals(subject_id=subject_id)),
        *(
            url.rsplit("/", 1)[1]
            for m in store.list_outbox(subject_id=subject_id)
            for url in links_in(m.body)
        ),
    ]
    if path.decisions:
        assert store.list_approvals(subject_id=subject_id)  # the scan has ids
    text = captured.getvalue()
    assert "@" not in text  # no email address at all
    leaked = [s for s in secrets if s in text]
    assert leaked == []
