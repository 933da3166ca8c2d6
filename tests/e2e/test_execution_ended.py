"""An execution that ends outside its workflow, on the real local stack.

Someone stops an order's execution while it waits for an approver (as
``sam local execution stop`` or ``StopDurableExecution`` would). The emulator
reports the ending to the status-events function, as EventBridge does in AWS:
the order takes the ending's status, its link is closed, and a decision posted
through the page says it did not take effect. The emulator itself refuses a
callback of the ended execution, as Lambda does, so nothing can move it.
"""

from __future__ import annotations

import pytest

from orderflow.processes.orders.status import OrderStatus
from tests.e2e.conftest import StackProcess
from tests.e2e.pages import actions, csrf_in, fetch, link_of
from tests.utils.orders import high_risk_order

pytestmark = pytest.mark.e2e


def test_a_stopped_execution_closes_its_order_and_its_link(
    stack: StackProcess,
) -> None:
    assert stack.submit(high_risk_order("END-STOP-1"))[0] == 202
    waiting = stack.wait_for_status("END-STOP-1", OrderStatus.AWAITING_APPROVAL)
    link = link_of(stack, "END-STOP-1")
    csrf = csrf_in(fetch(link).body)  # the approver opened the page, then ...
    (pending,) = stack.store.list_approvals(subject_id="END-STOP-1")
    client = stack.lambda_client()

    client.stop_durable_execution(DurableExecutionArn=waiting["execution_arn"])

    order = stack.wait_for_status("END-STOP-1", OrderStatus.FAILED, timeout=30)
    assert order["detail"]["execution_status"] == "STOPPED"
    (approval,) = order["approvals"]
    assert approval["status"] == "EXPIRED"
    assert "stopped" in (approval["comment"] or "")
    page = fetch(link)
    assert page.status == 410
    assert "was closed" in page.body and "END-STOP-1" in page.body
    late = fetch(link, "POST", {"csrf": csrf, "decision": "approve"})
    assert late.status == 410
    assert "did not take effect" in late.body
    assert "goes on to fulfilment" not in late.body
    assert not {"approved", "rejected"} & set(actions(stack, "END-STOP-1"))
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.send_durable_execution_callback_success(
            CallbackId=pending.callback_id, Result=b'{"approved": true}'
        )
    after = stack.wait_for_status("END-STOP-1", OrderStatus.FAILED)
    assert after["effects"] == []
