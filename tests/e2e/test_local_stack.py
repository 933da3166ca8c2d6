"""The local stack end to end, through HTTP and the Lambda API, as a user drives it."""

from __future__ import annotations

import pytest

from orderflow.processes.orders.status import OrderStatus
from tests.e2e.conftest import StackProcess
from tests.e2e.pages import decide_on_page
from tests.utils.orders import high_risk_order, low_risk_order

pytestmark = pytest.mark.e2e


def test_health_answers_json(stack: StackProcess) -> None:
    assert stack.request("GET", "/health") == (200, {"status": "ok"})


def test_low_risk_order_completes_without_a_human(stack: StackProcess) -> None:
    status, body = stack.submit(low_risk_order("E2E-LOW-1"))

    assert status == 202
    assert body["order_id"] == "E2E-LOW-1"
    assert body["status_url"] == f"{stack.api}/orders/E2E-LOW-1"
    done = stack.wait_for_status("E2E-LOW-1", OrderStatus.COMPLETED)
    assert [h["status"] for h in done["history"]] == [
        "RECEIVED",
        "APPROVED",
        "FULFILLING",
        "RECONCILING",
        "COMPLETED",
    ]
    assert sorted(e["action"] for e in done["effects"]) == [
        "authorize",
        "capture",
        "create",
        "delivered",
        "in_transit",
        "reserve",
    ]
    assert done["execution_arn"]


def test_duplicate_submit_is_one_execution_with_one_set_of_effects(
    stack: StackProcess,
) -> None:
    order = low_risk_order("E2E-DUP-1")
    first = stack.submit(order)
    second = stack.submit(order)

    assert first[0] == second[0] == 202
    assert (first[1]["duplicate"], second[1]["duplicate"]) == (False, True)
    stack.wait_for_status("E2E-DUP-1", OrderStatus.COMPLETED)
    third = stack.submit(order)
    assert third[0] == 202 and third[1]["status"] == "COMPLETED"
    assert len(stack.executions_named("E2E-DUP-1")) == 1
    effects = stack.store.list_effects("E2E-DUP-1")
    assert len(effects) == 6 == len({e.idempotency_key for e in effects})


def test_same_order_id_with_another_body_is_a_conflict(stack: StackProcess) -> None:
    stack.submit(low_risk_order("E2E-CONFLICT-1"))
    other = low_risk_order("E2E-CONFLICT-1", currency="EUR")

    status, body = stack.submit(other)

    assert status == 409
    assert "E2E-CONFLICT-1" in body["message"]
    assert len(stack.executions_named("E2E-CONFLICT-1")) == 1


def test_unknown_order_is_404(stack: StackProcess) -> None:
    status, body = stack.request("GET", "/orders/NOPE-404")
    assert status == 404
    assert "NOPE-404" in body["message"]


def test_high_risk_order_waits_then_completes_when_approved(
    stack: StackProcess,
) -> None:
    stack.submit(high_risk_order("E2E-HIGH-1"))
    waiting = stack.wait_for_status("E2E-HIGH-1", OrderStatus.AWAITING_APPROVAL)
    assert waiting["effects"] == []

    decide_on_page(stack, "E2E-HIGH-1")

    done = stack.wait_for_status("E2E-HIGH-1", OrderStatus.COMPLETED)
    assert "AWAITING_APPROVAL" in [h["status"] for h in done["history"]]


def test_rejected_order_ends_rejected_with_no_effects(stack: StackProcess) -> None:
    stack.submit(high_risk_order("E2E-HIGH-2"))
    stack.wait_for_status("E2E-HIGH-2", OrderStatus.AWAITING_APPROVAL)

    decide_on_page(stack, "E2E-HIGH-2", "reject", comment="e2e")

    done = stack.wait_for_status("E2E-HIGH-2", OrderStatus.REJECTED)
    assert done["effects"] == []
    assert done["detail"]["reason"].startswith("rejected by")


def test_a_second_completion_of_the_same_callback_is_refused(
    stack: StackProcess,
) -> None:
    stack.submit(high_risk_order("E2E-HIGH-3"))
    stack.wait_for_status("E2E-HIGH-3", OrderStatus.AWAITING_APPROVAL)
    (pending,) = stack.store.list_approvals(subject_id="E2E-HIGH-3", status="PENDING")
    client = stack.lambda_client()
    decide_on_page(stack, "E2E-HIGH-3")
    stack.wait_for_status("E2E-HIGH-3", OrderStatus.COMPLETED)

    with pytest.raises(client.exceptions.ClientError):
        client.send_durable_execution_callback_success(
            CallbackId=pending.callback_id, Result=b'{"approved": false}'
        )
    assert stack.wait_for_status("E2E-HIGH-3", OrderStatus.COMPLETED)
