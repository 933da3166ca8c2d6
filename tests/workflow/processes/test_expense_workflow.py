"""The smallest process, end to end in the testing runner: a claim, one manager.

It is here to show a new process costs no part an edit: it is its folder
(orderflow/processes/expenses/), one registry entry, its template function and
its view. Time is skipped; the callback time-out is one second.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from aws_durable_execution_sdk_python import durable_execution
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner

from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.config import Settings
from orderflow.parts.approvals.mail import links_in
from orderflow.parts.deps import StepDeps
from orderflow.processes.expenses.workflow import make_workflow
from tests.utils.approvals import RunnerCallbacks, decide_at_desk
from tests.utils.orders import load_event

CLAIM = load_event("expense-claim.json")
CALLBACK = "wait-for-approval-{n} create callback id"


@pytest.fixture
def deps(store: SqliteStore) -> StepDeps:
    """The claim's dependencies on the test's store: two managers, 1 s each."""
    settings = Settings(
        store_url=f"sqlite:{store.path}",
        approvers=("mia@example.com", "noor@example.com"),
        approval_timeout_seconds=1,
        public_url="https://claims.example.com",
    )
    return StepDeps(store=store, settings=settings)


@pytest.fixture
def runner(deps: StepDeps) -> Iterator[DurableFunctionTestRunner]:
    """The real workflow handler in the SDK's runner."""
    handler = durable_execution(make_workflow(lambda: deps))
    with DurableFunctionTestRunner(handler=handler, poll_interval=0.02) as running:
        yield running


def decide(
    runner: DurableFunctionTestRunner, deps: StepDeps, arn: str, approved: bool
) -> None:
    """The asked manager decides through the desk, with the emailed link."""
    callback = runner.wait_for_callback(arn, name=CALLBACK.format(n=1), timeout=10)
    who = decide_at_desk(
        deps.store, RunnerCallbacks(runner), callback, approved=approved
    )
    assert who == "mia@example.com"


def outcome(runner: DurableFunctionTestRunner, arn: str) -> dict[str, Any]:
    result = runner.wait_for_result(arn, timeout=30)
    answer: dict[str, Any] = json.loads(result.result or "{}")
    return answer


@pytest.mark.parametrize(
    ("approved", "status"), [(True, "APPROVED"), (False, "REJECTED")]
)
def test_a_claim_waits_for_its_manager_and_ends_as_decided(
    runner: DurableFunctionTestRunner, deps: StepDeps, approved: bool, status: str
) -> None:
    arn = runner.run_async(input=json.dumps(CLAIM), execution_name="EXP-1001")
    decide(runner, deps, arn, approved)

    assert outcome(runner, arn)["status"] == status
    record = deps.store.get_subject("EXP-1001")
    assert record is not None and record.kind == "expense"
    assert [h.status for h in record.history] == [
        "RECEIVED",
        "AWAITING_APPROVAL",
        status,
    ]
    (message,) = deps.store.list_outbox(subject_id="EXP-1001")
    assert message.recipient == "mia@example.com"
    assert message.body.startswith("Expense claim EXP-1001 needs your decision.")
    assert "Amount: 184.50 EUR" in message.body
    assert links_in(message.body)[0].startswith("https://claims.example.com/")


def test_an_unanswered_claim_escalates_to_the_next_manager_then_is_cancelled(
    runner: DurableFunctionTestRunner, deps: StepDeps
) -> None:
    arn = runner.run_async(input=json.dumps(CLAIM), execution_name="EXP-1001")

    answer = outcome(runner, arn)

    assert answer["status"] == "CANCELLED"
    assert "did not decide in time" in answer["reason"]
    first, second = deps.store.list_outbox(subject_id="EXP-1001")
    assert (first.recipient, second.recipient) == (
        "mia@example.com",
        "noor@example.com",
    )
    assert "earlier request was not answered in time" in second.body
    assert "earlier request" not in first.body
    assert {a.status for a in deps.store.list_approvals(subject_id="EXP-1001")} == {
        "EXPIRED"
    }


def test_a_malformed_claim_fails_naming_the_field_and_records_nothing(
    runner: DurableFunctionTestRunner, deps: StepDeps
) -> None:
    bad = CLAIM | {"amount_cents": -5}

    result = runner.run(input=json.dumps(bad), execution_name="EXP-1001")

    answer = json.loads(result.result or "{}")
    assert answer["status"] == "FAILED"
    assert "amount_cents" in answer["reason"]
    assert deps.store.get_subject("EXP-1001") is None


def test_a_claim_without_a_risk_score_is_asked_without_one(
    runner: DurableFunctionTestRunner, deps: StepDeps
) -> None:
    arn = runner.run_async(input=json.dumps(CLAIM), execution_name="EXP-1001")
    decide(runner, deps, arn, approved=True)
    outcome(runner, arn)

    (message,) = deps.store.list_outbox(subject_id="EXP-1001")
    assert "Risk score" not in message.body
