"""Replay every recorded execution history against the current workflow code.

Each history of every registered process (tests/replay/histories/<kind>/,
written by ``python -m tests.replay.record``) becomes the existing state of a
new execution in the testing SDK's runner; the runner's first invocation of the
current handler replays it, and the SDK checks every recorded operation against
the one the code asks for at its position (``validate_checkpoint``: type,
subtype, name, parent). A mismatch fails the execution with a
NonDeterministicExecutionError naming both operations, as it would fail an
execution in flight after a deploy. docs/changing-workflows.md says
what to do when one of these fails.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aws_durable_execution_sdk_python import DurableContext
from aws_durable_execution_sdk_python.exceptions import NonDeterministicExecutionError
from aws_durable_execution_sdk_python.lambda_service import (
    ErrorObject,
    InvocationStatus,
)
from aws_durable_execution_sdk_python.serdes import ExtendedTypeSerDes
from aws_durable_execution_sdk_python_testing.runner import DurableFunctionTestResult

import functions.order_workflow.app as workflow_app
from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.domain.records import (
    ApprovalLink,
    ApprovalRequest,
    Effect,
    OutboxMessage,
)
from orderflow.parts.approvals.links import TOKEN_BYTES, mint_token, token_hash
from orderflow.parts.approvals.mail import approval_link
from orderflow.parts.approvals.steps import approval_message_id
from orderflow.parts.durable import workflow_version
from orderflow.registry import PROCESSES
from tests.proofs import Path as ProofPath
from tests.proofs import proof
from tests.replay.history import SeededStore, load, names, to_json
from tests.replay.record import stopped_clock
from tests.workflow.conftest import RESULT_TIMEOUT_SECONDS, Harness, body, build_harness

NAMES = [name for p in PROCESSES for name in names(p.kind)]
COMPLETED = [n for n in NAMES if n.endswith("-completed")]
IN_FLIGHT = [n for n in NAMES if not n.endswith("-completed")]


@dataclass
class Replay:
    """One recorded history, started as an execution of the current handler."""

    name: str
    history: dict[str, Any]
    harness: Harness[Any]
    executions: SeededStore
    arn: str

    def first_output(self) -> dict[str, Any]:
        """What the replaying (first) invocation returned, once it has ended."""
        deadline = time.monotonic() + RESULT_TIMEOUT_SECONDS
        while not (self.harness.outputs and self.executions.suspensions):
            assert time.monotonic() < deadline, f"{self.name}: never invoked"
            time.sleep(0.01)
        return self.harness.outputs[0]

    def first_invocation(self) -> list[dict[str, Any]]:
        """The operations once the replaying invocation has ended; fail on an error."""
        if error := self.first_output().get("Error"):
            self.fail_with(ErrorObject.from_dict(error))
        return to_json(self.executions.suspensions[0][0])

    def result(self) -> DurableFunctionTestResult:
        """Wait for the execution to end."""
        return self.harness.result(self.arn)

    def assert_no_error(self, result: DurableFunctionTestResult) -> None:
        """The execution did not fail."""
        if result.error is not None:
            self.fail_with(result.error)

    def fail_with(self, error: ErrorObject) -> None:
        """Fail the test saying which history, which recorded operation and why."""
        where = ""
        if found := re.search(r"at id='(\w+)'", error.message or ""):
            ids = [op["Id"] for op in self.history["operations"]]
            if found[1] in ids:
                n = ids.index(found[1])
                op = self.history["operations"][n]
                where = f", recorded operation #{n + 1}, {op['Type']} {op['Name']!r}"
        pytest.fail(f"{self.name}{where}: {error.type}: {error.message}")

    def version(self) -> int:
        """The workflow version the history's first step recorded."""
        first = self.history["operations"][0]["StepDetails"]["Result"]
        return workflow_version(ExtendedTypeSerDes().deserialize(first))

    def seed_ask(self, round_no: int, approver: str) -> None:
        """What asking approval ``round_no`` stored, if the recording asked it.

        The recording's store is not kept with its history: the subject, the
        approval and its emailed link are stored again, as the callback's
        submitter stored them, for the desk to decide.
        """
        store = self.harness.store
        callback_id = self.harness.callback_id(self.arn, round_no)
        if store.get_approval(callback_id) is not None:
            return  # asked after the resume: the submitter stored it
        kind, _ = self.name.split("/", 1)
        of_kind = proof(kind)
        subject_id = str(self.history["input"][of_kind.process.id_field])
        now = stopped_clock()
        at, until = now.isoformat(), (now + timedelta(days=1)).isoformat()
        if store.get_subject(subject_id) is None:
            store.create_subject(kind, subject_id, self.history["input"], at=at)
        store.put_approval(
            ApprovalRequest(callback_id, subject_id, approver, at, until)
        )
        token = mint_token(secrets.token_bytes(TOKEN_BYTES))
        store.put_link(
            ApprovalLink(
                token_hash=token_hash(token),
                callback_id=callback_id,
                subject_id=subject_id,
                approver=approver,
                created_at=at,
                expires_at=until,
                round=round_no,
            )
        )
        store.add_outbox(
            OutboxMessage(
                approval_message_id(callback_id),
                subject_id,
                approver,
                "Approval needed",
                approval_link("https://replay.example.com", token),
                at,
            )
        )

    def operations(self) -> list[dict[str, Any]]:
        """The execution's operations now, as a history holds them."""
        return to_json(self.executions.load(self.arn).operations)


@pytest.fixture
def replay(tmp_path: Path) -> Iterator[Callable[..., Replay]]:
    """Start a history as a new execution: ``replay("<kind>/<name>", history=None)``."""
    with ExitStack() as stack:

        def start(name: str, history: dict[str, Any] | None = None) -> Replay:
            history = history or load(name)
            kind, stem = name.split("/", 1)
            store = SqliteStore(tmp_path / f"{kind}-{stem}.db")
            for row in history.get("ledger", []):
                store.record_effect(Effect(**row))
            settings = {
                key: tuple(v) if isinstance(v, list) else v
                for key, v in history["settings"].items()
            }
            path = ProofPath(
                stem,
                history["input"],
                history.get("status") or history["result"]["status"],
                faults=history["faults"],
                settings=settings,
            )
            of_kind = proof(kind)
            deps = of_kind.make_deps(store, path, stopped_clock)
            executions = SeededStore(history["operations"])
            h = build_harness(of_kind, deps, execution_store=executions)
            stack.callback(h.runner.close)
            arn = h.start(history["input"])
            return Replay(name, history, h, executions, arn)

        yield start


@pytest.mark.parametrize("name", COMPLETED)
def test_completed_history_replays_to_its_result_in_one_invocation_adding_nothing(
    replay: Callable[..., Replay], name: str
) -> None:
    r = replay(name)

    result = r.result()

    r.assert_no_error(result)
    assert body(result) == r.history["result"]
    assert r.operations() == r.history["operations"]  # no step ran or was added
    assert r.harness.handler_calls == 1


@pytest.mark.parametrize("name", IN_FLIGHT)
def test_in_flight_history_resumes_and_the_subject_reaches_its_recorded_status(
    replay: Callable[..., Replay], name: str
) -> None:
    r = replay(name)

    # The replay suspends where the recording did, having changed nothing...
    assert r.first_invocation() == r.history["operations"]
    # ...and carries on once the approver answers or the wait is over: through
    # the desk from version 2, whose workflow acts only on its claims; with the
    # raw result the page of version 1 sent, before.
    for d in r.history["then"]:
        if r.version() >= 2:
            r.seed_ask(d["round"], d["approver"])
            r.harness.decide(
                r.arn, d["round"], approved=d["approved"], approver=d["approver"]
            )
        else:
            r.harness.complete_raw(
                r.arn,
                d["round"],
                {"approved": d["approved"], "approver": d["approver"]},
            )
    result = r.result()

    r.assert_no_error(result)
    assert body(result)["status"] == r.history["status"]
    now = r.operations()
    recorded_ids = [op["Id"] for op in r.history["operations"]]
    assert [op["Id"] for op in now[: len(recorded_ids)]] == recorded_ids
    assert len(now) > len(recorded_ids)


def _failure(r: Replay) -> str:
    """The replay's NonDeterministicExecutionError message; fails if there is none."""
    output = r.first_output()
    assert output["Status"] == "FAILED", f"{r.name} replayed without an error"
    error = ErrorObject.from_dict(output["Error"])
    expected = NonDeterministicExecutionError
    assert error.type == f"{expected.__module__}.{expected.__qualname__}", error
    assert r.result().status is InvocationStatus.FAILED  # the execution ends
    return str(error.message)


@pytest.mark.parametrize("kind", [p.kind for p in PROCESSES])
def test_a_history_whose_first_operation_was_named_otherwise_fails_to_replay(
    replay: Callable[..., Replay], kind: str
) -> None:
    [name, *_] = [n for n in IN_FLIGHT if n.startswith(f"{kind}/")]
    history = load(name)
    first = history["operations"][0]
    was = first["Name"]
    first["Name"] = f"old-{was}"  # recorded by a version that called it so

    message = _failure(replay(f"{kind}/renamed", history))

    assert f"name checkpoint='old-{was}' current=" in message
    assert was in message


def test_a_renamed_operation_fails_the_replay_naming_it(
    replay: Callable[..., Replay],
) -> None:
    history = load("order/one-approver-awaiting-approval")
    for op in history["operations"]:  # recorded by a version that called it so
        op["Name"] = op["Name"].replace("wait-for-approval-1", "ask-approver-1")

    message = _failure(replay("order/renamed", history))

    assert "name checkpoint='ask-approver-1' current='wait-for-approval-1'" in message


def test_reordered_operations_fail_the_replay_naming_both(
    replay: Callable[..., Replay],
) -> None:
    history = load("order/auto-approve-completed")
    ops = history["operations"]
    reserve, authorize = ops[3], ops[4]  # ids come from positions: swap the rest
    for key in ("Name", "StepDetails"):
        reserve[key], authorize[key] = authorize[key], reserve[key]

    message = _failure(replay("order/reordered", history))

    # The code passes an Op (a StrEnum): the SDK shows its repr.
    assert "name checkpoint='authorize-payment' current=" in message
    assert "'reserve-inventory'" in message


def test_code_that_inserts_a_step_fails_the_replay_of_an_order_in_flight(
    replay: Callable[..., Replay], monkeypatch: pytest.MonkeyPatch
) -> None:
    collect = workflow_app._approve

    def with_fraud_check(ctx: DurableContext, *args: Any) -> Any:
        ctx.step(lambda _: "ok", name="check-fraud")
        return collect(ctx, *args)

    monkeypatch.setattr(workflow_app, "_approve", with_fraud_check)

    message = _failure(replay("order/one-approver-awaiting-approval"))

    assert "type checkpoint='CONTEXT' current='STEP'" in message
    assert "name checkpoint='wait-for-approval-1' current='check-fraud'" in message
