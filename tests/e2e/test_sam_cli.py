"""The SAM CLI's own durable commands against the local stack's emulator.

`sam local execution get|history` and `sam local callback succeed|fail` talk
to the emulator named by DURABLE_EXECUTIONS_EXTERNAL_EMULATOR_PORT instead of
starting one in Docker. A callback completed with the SAM CLI bypasses the
desk, so the workflow takes it for what it is: not a decision of record.
This runs the real `.venv-sam/bin/sam` against a real `orderflow up` (a
stack of its own, with one injected payment failure per order), then reads
the same history through boto3 as the status_events function does in AWS.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from orderflow.monitoring.history import fetch_history, summarise
from orderflow.processes.orders.status import OrderStatus
from tests.e2e.conftest import StackProcess
from tests.e2e.pages import csrf_in, decide_on_page, fetch, link_of
from tests.utils.orders import high_risk_order, low_risk_order
from tests.utils.tools import SAM, require

pytestmark = pytest.mark.e2e
FAULTS = "payment.capture=1x:transient"  # each order's first capture fails once


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """A local stack of this module's own, with the injected fault."""
    running = StackProcess(
        tmp_path_factory.mktemp("sam-stack"), env={"ORDERFLOW_FAULTS": FAULTS}
    )
    running.start()
    yield running
    running.stop()


def sam(stack: StackProcess, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `sam` from the SAM venv against the stack's emulator."""
    port = urlsplit(stack.endpoints["emulator_url"]).port
    env = {
        **os.environ,
        "DURABLE_EXECUTIONS_EXTERNAL_EMULATOR_PORT": str(port),
        "SAM_CLI_TELEMETRY": "0",
    }
    return subprocess.run(
        [str(require(SAM, "the SAM CLI")), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=stack.home,
        timeout=120,
        check=False,
    )


def sam_json(stack: StackProcess, *args: str) -> Any:
    """Run `sam ... --format json` and parse its output."""
    done = sam(stack, *args, "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def execution_arn(stack: StackProcess, order_id: str) -> str:
    """The order's execution ARN, as GET /orders/{id} shows it."""
    _, body = stack.request("GET", f"/orders/{order_id}")
    return str(body["execution_arn"])


def ended_execution(stack: StackProcess, order_id: str) -> str:
    """The ARN, once the execution itself has ended (a little after the order)."""
    arn = execution_arn(stack, order_id)
    client = stack.lambda_client()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if client.get_durable_execution(DurableExecutionArn=arn)["Status"] != "RUNNING":
            return arn
        time.sleep(0.1)
    raise AssertionError(f"{order_id}'s execution is still running")


def pending_callback(stack: StackProcess, order_id: str) -> str:
    """The callback id of the order's pending approval (the store keeps it)."""
    (pending,) = stack.store.list_approvals(subject_id=order_id, status="PENDING")
    return pending.callback_id


def test_execution_get_and_history_show_a_completed_order(
    stack: StackProcess,
) -> None:
    stack.submit(low_risk_order("SAM-LOW-1"))
    stack.wait_for_status("SAM-LOW-1", OrderStatus.COMPLETED)
    arn = ended_execution(stack, "SAM-LOW-1")

    execution = sam_json(stack, "local", "execution", "get", arn)
    events = sam_json(stack, "local", "execution", "history", arn)["Events"]

    assert execution["Status"] == "SUCCEEDED"
    assert execution["DurableExecutionName"] == "SAM-LOW-1"
    assert json.loads(execution["Result"])["status"] == "COMPLETED"
    started = [e["Name"] for e in events if e["EventType"] == "StepStarted"]
    assert started.count("capture-payment") == 2  # the injected failure, retried
    assert summarise(events).retries == 1


def test_the_monitors_history_reader_agrees_with_sam(stack: StackProcess) -> None:
    stack.submit(low_risk_order("SAM-LOW-2"))
    stack.wait_for_status("SAM-LOW-2", OrderStatus.COMPLETED)
    arn = ended_execution(stack, "SAM-LOW-2")

    ours = fetch_history(stack.lambda_client(), arn)
    theirs = sam_json(stack, "local", "execution", "history", arn)["Events"]

    assert [e["EventType"] for e in ours] == [e["EventType"] for e in theirs]
    summary = summarise(ours)
    assert (summary.retries, summary.failed_steps) == (1, 0)
    assert summary.invocations >= 2  # suspended for the retry's back-off


def next_ask(stack: StackProcess, order_id: str, after: str) -> str:
    """The callback id of the approval asked after the one with ``after``."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pending = stack.store.list_approvals(subject_id=order_id, status="PENDING")
        if pending and pending[-1].callback_id != after:
            return pending[-1].callback_id
        time.sleep(0.1)
    raise AssertionError(f"{order_id}'s approver was not asked again")


def unverified(stack: StackProcess, order_id: str) -> list[dict[str, Any]]:
    """What each completion no decision backed claimed, from the audit trail."""
    return [
        e.detail["claimed"]
        for e in stack.store.list_audit(order_id)
        if e.action == "unverified-completion"
    ]


def test_a_callback_completed_with_sam_decides_nothing_the_page_still_does(
    stack: StackProcess,
) -> None:
    stack.submit(high_risk_order("SAM-HIGH-1"))
    stack.wait_for_status("SAM-HIGH-1", OrderStatus.AWAITING_APPROVAL)
    arn = execution_arn(stack, "SAM-HIGH-1")
    first = pending_callback(stack, "SAM-HIGH-1")
    decision = {"approved": True, "approver": "mallory@example.com"}

    done = sam(
        stack, "local", "callback", "succeed", first, "--result", json.dumps(decision)
    )

    assert done.returncode == 0, done.stderr  # the service took it; orderflow not
    next_ask(stack, "SAM-HIGH-1", after=first)
    assert stack.store.list_effects("SAM-HIGH-1") == []
    [claimed] = unverified(stack, "SAM-HIGH-1")
    assert claimed["approver"] == "mallory@example.com"
    decide_on_page(stack, "SAM-HIGH-1")
    order = stack.wait_for_status("SAM-HIGH-1", OrderStatus.COMPLETED)
    assert "mallory" not in json.dumps(order)
    ended_execution(stack, "SAM-HIGH-1")
    names = [
        e.get("Name")
        for e in sam_json(stack, "local", "execution", "history", arn)["Events"]
    ]
    assert {"verify-approval-1", "wait-for-approval-2", "verify-approval-2"} <= set(
        names
    )


def test_a_callback_failed_with_sam_fails_nothing_the_page_still_decides(
    stack: StackProcess,
) -> None:
    stack.submit(high_risk_order("SAM-HIGH-2"))
    stack.wait_for_status("SAM-HIGH-2", OrderStatus.AWAITING_APPROVAL)
    first = pending_callback(stack, "SAM-HIGH-2")

    done = sam(
        stack,
        "local",
        "callback",
        "fail",
        first,
        "--error-type",
        "ApproverUnavailable",
        "--error-message",
        "the approval service is down",
    )

    assert done.returncode == 0, done.stderr
    next_ask(stack, "SAM-HIGH-2", after=first)
    assert unverified(stack, "SAM-HIGH-2") == [{"failed": True}]
    decide_on_page(stack, "SAM-HIGH-2", "reject", comment="not today")
    order = stack.wait_for_status("SAM-HIGH-2", OrderStatus.REJECTED)
    assert order["effects"] == []


def test_sam_reports_an_unknown_execution_as_an_error(stack: StackProcess) -> None:
    done = sam(stack, "local", "execution", "get", "no-such-execution")

    assert done.returncode != 0
    assert "Durable Execution does not exist" in done.stderr


def test_execution_stop_from_sam_closes_the_order_and_its_link(
    stack: StackProcess,
) -> None:
    """The review's repro: `sam local execution stop` on an order that waits."""
    stack.submit(high_risk_order("SAM-STOP-1"))
    stack.wait_for_status("SAM-STOP-1", OrderStatus.AWAITING_APPROVAL)
    link = link_of(stack, "SAM-STOP-1")
    csrf = csrf_in(fetch(link).body)

    done = sam(stack, "local", "execution", "stop", execution_arn(stack, "SAM-STOP-1"))

    assert done.returncode == 0, done.stderr
    order = stack.wait_for_status("SAM-STOP-1", OrderStatus.FAILED)
    assert order["detail"]["execution_status"] == "STOPPED"
    late = fetch(link, "POST", {"csrf": csrf, "decision": "approve"})
    assert late.status == 410 and "did not take effect" in late.body
    assert "goes on to fulfilment" not in late.body
