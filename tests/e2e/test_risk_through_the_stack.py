"""The sample orders through the real local stack, as the risk model routes them."""

from __future__ import annotations

import html

from orderflow.config import Settings
from orderflow.processes.orders.status import OrderStatus
from tests.e2e.conftest import StackProcess
from tests.e2e.pages import csrf_in, fetch, link_of
from tests.utils.orders import load_event


def test_low_risk_sample_is_auto_approved_and_completes(stack: StackProcess) -> None:
    order = load_event("order-low-risk.json") | {"order_id": "E2E-RISK-LOW"}

    assert stack.submit(order)[0] == 202
    done = stack.wait_for_status("E2E-RISK-LOW", OrderStatus.COMPLETED)

    assert "AWAITING_APPROVAL" not in [h["status"] for h in done["history"]]
    assert stack.store.list_approvals(subject_id="E2E-RISK-LOW") == []


def test_high_risk_sample_waits_for_one_approver_who_sees_score_and_reasons(
    stack: StackProcess,
) -> None:
    model = Settings().model
    order = load_event("order-high-risk.json") | {"order_id": "E2E-RISK-HIGH"}

    assert stack.submit(order)[0] == 202
    waiting = stack.wait_for_status("E2E-RISK-HIGH", OrderStatus.AWAITING_APPROVAL)

    risk = waiting["detail"]["risk"]
    assert risk["score"] == 65
    assert risk["reasons"][0] == (
        "overnight shipping on a 2,899.00 USD order from an account 20 days old"
    )
    assert (risk["model"]["version"], risk["model"]["sha256"]) == (
        model.version,
        model.sha256,
    )
    (message,) = stack.store.list_outbox(subject_id="E2E-RISK-HIGH")
    assert "Risk score: 65/100" in message.body and risk["reasons"][0] in message.body
    assert f"Scored by {model.version}" in message.body

    link = link_of(stack, "E2E-RISK-HIGH")
    page = fetch(link)
    assert page.status == 200
    assert "65/100" in page.body and html.escape(risk["reasons"][0]) in page.body
    assert model.version in page.body and model.sha256[:12] in page.body
    decided = fetch(link, "POST", {"decision": "approve", "csrf": csrf_in(page.body)})
    assert decided.status == 200, decided.body
    done = stack.wait_for_status("E2E-RISK-HIGH", OrderStatus.COMPLETED)
    assert len(stack.store.list_approvals(subject_id="E2E-RISK-HIGH")) == 1
    assert done["detail"]["risk"]["score"] == 65
