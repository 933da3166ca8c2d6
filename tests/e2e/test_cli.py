"""The `orderflow` command against a running local stack."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from orderflow.processes.orders.status import OrderStatus
from tests.e2e.conftest import StackProcess
from tests.e2e.pages import fetch
from tests.utils.orders import EVENTS, high_risk_order

pytestmark = pytest.mark.e2e


def test_submit_prints_the_order_id_and_status(stack: StackProcess) -> None:
    result = stack.cli("submit", str(EVENTS / "order-low-risk.json"))

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ORD-1001 ")
    assert "/orders/ORD-1001" in result.stdout


def test_submit_of_an_invalid_order_is_one_line_and_non_zero(
    stack: StackProcess,
) -> None:
    result = stack.cli("submit", str(EVENTS / "order-invalid.json"))

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "items.0.quantity" in result.stderr and "currency" in result.stderr


def test_status_json_has_the_read_model_and_the_ledger(stack: StackProcess) -> None:
    stack.cli("submit", str(EVENTS / "order-low-risk.json"))
    stack.wait_for_status("ORD-1001", OrderStatus.COMPLETED)

    result = stack.cli("status", "ORD-1001", "--json")

    data = json.loads(result.stdout)
    assert data["status"] == "COMPLETED"
    assert {e["action"] for e in data["effects"]} == {
        "reserve",
        "authorize",
        "create",
        "capture",
        "in_transit",
        "delivered",
    }


def test_approvals_then_approve_completes_the_order(
    stack: StackProcess, tmp_path: Path
) -> None:
    order_file = tmp_path / "order.json"
    order_file.write_text(json.dumps(high_risk_order("CLI-HIGH-1")))
    stack.cli("submit", str(order_file))
    stack.wait_for_status("CLI-HIGH-1", OrderStatus.AWAITING_APPROVAL)

    listed = json.loads(stack.cli("approvals", "--json").stdout)
    mine = [a for a in listed if a["order_id"] == "CLI-HIGH-1"]
    assert len(mine) == 1 and "callback_id" not in mine[0]

    approved = stack.cli("approve", "CLI-HIGH-1", "--comment", "looks fine")
    assert approved.returncode == 0, approved.stderr
    assert approved.stdout.startswith("CLI-HIGH-1: You approved order CLI-HIGH-1. ")
    stack.wait_for_status("CLI-HIGH-1", OrderStatus.COMPLETED)

    again = stack.cli("approve", "CLI-HIGH-1")
    assert again.returncode == 1
    assert "no pending approval" in again.stderr


def test_report_splits_compute_from_waiting(
    stack: StackProcess, tmp_path: Path
) -> None:
    order_file = tmp_path / "order.json"
    order_file.write_text(json.dumps(high_risk_order("CLI-REPORT-1")))
    stack.cli("submit", str(order_file))
    stack.wait_for_status("CLI-REPORT-1", OrderStatus.AWAITING_APPROVAL)
    stack.cli("approve", "CLI-REPORT-1")
    stack.wait_for_status("CLI-REPORT-1", OrderStatus.COMPLETED)

    report = json.loads(stack.cli("report", "CLI-REPORT-1", "--json").stdout)

    assert report["status"] == "SUCCEEDED"
    assert report["invocations"] >= 2  # suspended on the approval, then resumed
    assert 0 < report["compute_ms"] <= report["wall_ms"]
    assert report["wait_ms"] == pytest.approx(report["wall_ms"] - report["compute_ms"])
    timeline = report["timeline"]
    computed = [s for s in timeline if s["kind"] == "compute"]
    assert len(computed) == report["invocations"]
    assert sum(s["ms"] for s in computed) == pytest.approx(report["compute_ms"])
    assert any(s["kind"] == "wait" and s["ms"] > 0 for s in timeline)
    offsets = [s["offset_ms"] for s in timeline]
    assert offsets == sorted(offsets)

    text = stack.cli("report", "CLI-REPORT-1").stdout
    assert "invocation 1" in text and "wait" in text

    page = fetch(f"{stack.api}/timeline?order=CLI-REPORT-1")
    assert page.status == 200
    assert page.body.count("<rect") == len(timeline)
    assert "invocation 2" in page.body and "completed" in page.body
    assert page.headers["Cache-Control"] == "no-store"
    unknown = fetch(f"{stack.api}/timeline?order=NOPE-9")
    assert unknown.status == 404 and "No order &#39;NOPE-9&#39;" in unknown.body


def test_status_of_an_unknown_order_is_one_line_and_non_zero(
    stack: StackProcess,
) -> None:
    result = stack.cli("status", "NOPE-1")
    assert result.returncode == 1
    assert result.stderr.strip() == "orderflow: no order, claim or return NOPE-1"


def test_an_expense_claim_started_by_invoke_is_decided_with_orderflow_approve(
    stack: StackProcess,
) -> None:
    claim = json.loads((EVENTS / "expense-claim.json").read_text())
    started = stack.lambda_client().invoke(
        FunctionName="ExpenseWorkflowFunction:live",
        Payload=json.dumps(claim).encode(),
        DurableExecutionName=claim["expense_id"],
    )
    assert started["StatusCode"] in (200, 202)
    deadline = time.monotonic() + 15
    while (record := stack.store.get_subject("EXP-1001")) is None or (
        record.status != "AWAITING_APPROVAL"
    ):
        assert time.monotonic() < deadline, record
        time.sleep(0.1)

    result = stack.cli("approve", "EXP-1001")

    assert result.returncode == 0, result.stderr
    deadline = time.monotonic() + 15
    while (record := stack.store.get_subject("EXP-1001")) and (
        record.status != "APPROVED"
    ):
        assert time.monotonic() < deadline, record
        time.sleep(0.1)
    status = json.loads(stack.cli("status", "EXP-1001", "--json").stdout)
    assert status["expense_id"] == "EXP-1001"
    assert status["expense"]["description"].startswith("Train to the Lyon")
    assert [a["status"] for a in status["approvals"]] == ["APPROVED"]


def test_logs_prints_one_orders_lines_from_every_function_in_time_order(
    stack: StackProcess, tmp_path: Path
) -> None:
    order = {**json.loads((EVENTS / "order-low-risk.json").read_text())}
    order["order_id"] = "CLI-LOGS-1"
    order_file = tmp_path / "order.json"
    order_file.write_text(json.dumps(order))
    stack.cli("submit", str(order_file))
    stack.wait_for_status("CLI-LOGS-1", OrderStatus.COMPLETED)

    raw = stack.cli("logs", "CLI-LOGS-1", "--json")
    plain = stack.cli("logs", "CLI-LOGS-1")

    assert raw.returncode == 0, raw.stderr
    lines = [json.loads(line) for line in raw.stdout.splitlines()]
    accepted = [line for line in lines if line.get("message") == "order accepted"]
    assert len(accepted) == 1  # StartOrderFunction's line, beside the workflow's
    assert accepted[0]["function_name"] == "StartOrderFunction"
    assert accepted[0]["service"] != workflow_service(lines)  # another function
    ops = [line["operationName"] for line in lines if "operationName" in line]
    assert ops[0] == "validate-order" and ops[-1] == "record-completed"
    assert {"reserve-inventory", "capture-payment", "wait-for-delivery"} <= set(ops)
    workflow = [line for line in lines if "executionArn" in line]
    assert workflow
    assert {line["subjectId"] for line in workflow} == {"CLI-LOGS-1"}
    stamps = [line["timestamp"] for line in lines]
    assert stamps == sorted(stamps)
    assert "@" not in raw.stdout  # the customer's email is in no line
    assert plain.returncode == 0
    assert "validate-order#1 attempt succeeded" in plain.stdout
    assert len(plain.stdout.splitlines()) == len(lines)
    assert stack.cli("logs", "NO-SUCH-ORDER").returncode == 1


def workflow_service(lines: list[dict[str, object]]) -> object:
    """The service name on the workflow's lines."""
    return next(line["service"] for line in lines if "executionArn" in line)
