"""An approver's click path in a real browser, with JavaScript off, on a phone.

Open the email in the local outbox, follow its link, read the order and its
reasons, decide, see the result, and watch the order finish. The confirmation
page is saved as test-artifacts/approval-confirm.png (docs/img/ keeps a copy).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orderflow.processes.orders.status import OrderStatus
from tests.e2e.conftest import StackProcess
from tests.e2e.pages import actions, csrf_in, fetch, link_of, trail
from tests.utils.orders import high_risk_order, load_event

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
PHONE = {"width": 412, "height": 915}
GREEN = "rgb(20, 108, 46)"  # button.approve in approval.css


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A phone-sized tab with JavaScript disabled; fails on a CSP violation."""
    context = chromium.new_context(java_script_enabled=False, viewport=PHONE)
    tab = context.new_page()
    seen: list[str] = []
    tab.on("console", lambda message: seen.append(message.text))
    yield tab
    context.close()
    assert [m for m in seen if "Content Security Policy" in m] == []


def open_from_outbox(page: Any, stack: StackProcess, order_id: str) -> None:
    """Submit a high-risk order, then follow its email's link from /outbox."""
    assert stack.submit(high_risk_order(order_id))[0] == 202
    stack.wait_for_status(order_id, OrderStatus.AWAITING_APPROVAL)
    page.goto(f"{stack.api}/outbox")
    mail = page.locator("article.mail", has_text=order_id)
    mail.get_by_role("link").click()
    page.wait_for_load_state()


def test_approve_from_the_outbox_link_then_the_order_completes(
    page: Any, stack: StackProcess, artifacts: Path
) -> None:
    open_from_outbox(page, stack, "BROWSER-OK")

    assert "Order BROWSER-OK" in page.locator("h1").inner_text()
    risk = page.locator("section.risk").inner_text()
    assert "65/100" in risk and "overnight shipping" in risk
    assert "LAPTOP-PRO-16" in page.locator("table").inner_text()
    style = "e => getComputedStyle(e).backgroundColor"
    assert page.locator("button.approve").evaluate(style) == GREEN  # CSS loaded
    page.screenshot(path=str(artifacts / "approval-confirm.png"), full_page=True)

    page.fill("#comment", "Checked with the customer by phone.")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_load_state()

    assert "You approved order BROWSER-OK" in page.locator("h1").inner_text()
    page.screenshot(path=str(artifacts / "approval-approved.png"), full_page=True)
    done = stack.wait_for_status("BROWSER-OK", OrderStatus.COMPLETED)
    assert done["detail"]["captured_cents"] == 289_900

    page.go_back()  # no-store: the browser asks again, and the link is spent
    page.wait_for_load_state()
    assert "Already decided" in page.locator("h1").inner_text()
    assert page.get_by_role("button", name="Approve").count() == 0


def test_reject_from_the_outbox_link_then_the_order_is_rejected(
    page: Any, stack: StackProcess, artifacts: Path
) -> None:
    open_from_outbox(page, stack, "BROWSER-NO")

    # Two lines: the browser sends the textarea's line end as CR LF.
    page.fill("#comment", "Address does not match the card.\nCalled the bank.")
    page.get_by_role("button", name="Reject").click()
    page.wait_for_load_state()

    assert "You rejected order BROWSER-NO" in page.locator("h1").inner_text()
    page.screenshot(path=str(artifacts / "approval-rejected.png"), full_page=True)
    done = stack.wait_for_status("BROWSER-NO", OrderStatus.REJECTED)
    assert done["detail"]["comment"] == (
        "Address does not match the card.\nCalled the bank."
    )
    assert done["effects"] == []


def test_a_comment_with_a_right_to_left_override_is_refused_and_says_why(
    page: Any, stack: StackProcess
) -> None:
    open_from_outbox(page, stack, "BROWSER-RLO")

    page.fill("#comment", "fine \u202eyb devorppa")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_load_state()

    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in page.content()
    assert page.get_by_role("button", name="Approve").count() == 1  # decide again
    assert "approved" not in actions(stack, "BROWSER-RLO")
    record = stack.store.get_subject("BROWSER-RLO")
    assert record is not None and record.status == OrderStatus.AWAITING_APPROVAL


def test_an_expense_claim_gets_its_own_page_and_approving_it_closes_it(
    page: Any, stack: StackProcess, artifacts: Path
) -> None:
    claim = load_event("expense-claim.json") | {"expense_id": "BROWSER-EXP"}
    stack.lambda_client().invoke(
        FunctionName="ExpenseWorkflowFunction:live",
        Payload=json.dumps(claim).encode(),
        DurableExecutionName="BROWSER-EXP",
    )
    wait_for_subject(stack, "BROWSER-EXP", "AWAITING_APPROVAL")
    page.goto(f"{stack.api}/outbox")
    page.locator("article.mail", has_text="BROWSER-EXP").get_by_role("link").click()
    page.wait_for_load_state()

    assert "Expense claim BROWSER-EXP" in page.locator("h1").inner_text()
    details = page.locator("main").inner_text()
    assert "Train to the Lyon customer workshop" in details
    assert "184.50 EUR" in details and "EMP-42" in details
    assert page.locator("table").count() == 0  # no order's items here
    page.screenshot(path=str(artifacts / "approval-expense.png"), full_page=True)

    page.get_by_role("button", name="Approve").click()
    page.wait_for_load_state()

    assert "You approved expense claim BROWSER-EXP" in page.locator("h1").inner_text()
    assert "finance pays it" in page.locator("main").inner_text()
    wait_for_subject(stack, "BROWSER-EXP", "APPROVED")


def test_a_form_a_script_submits_decides_nothing_until_a_click(
    chromium: Any, stack: StackProcess, artifacts: Path
) -> None:
    # A sandbox that renders pages and submits their forms from a script: a page
    # at the stack's own origin (answered by Playwright, not by the stack) posts
    # the approval form on load, with the right CSRF value and a decision.
    assert stack.submit(high_risk_order("BROWSER-SCRIPT"))[0] == 202
    stack.wait_for_status("BROWSER-SCRIPT", OrderStatus.AWAITING_APPROVAL)
    link = link_of(stack, "BROWSER-SCRIPT")
    form = (
        f'<form method="post" action="{link}">'
        f'<input type="hidden" name="csrf" value="{csrf_in(fetch(link).body)}">'
        '<input type="hidden" name="decision" value="approve"></form>'
        "<script>document.forms[0].submit()</script>"
    )
    context = chromium.new_context(viewport=PHONE)  # JavaScript on, for the probe
    tab = context.new_page()
    probe = f"{stack.api}/sandbox-probe"
    tab.route(probe, lambda route: route.fulfill(body=form, content_type="text/html"))
    try:
        tab.goto(probe)
        tab.wait_for_url(link)
        tab.wait_for_load_state()

        assert "did not report a click" in tab.locator("p.notice").inner_text()
        tab.screenshot(path=str(artifacts / "approval-not-clicked.png"), full_page=True)
        assert stack.store.get_subject("BROWSER-SCRIPT").status == "AWAITING_APPROVAL"
        assert actions(stack, "BROWSER-SCRIPT") == ["requested", "refused"]
        assert trail(stack, "BROWSER-SCRIPT")[1].detail["reason"] == (
            "no user activation"
        )

        tab.get_by_role("button", name="Approve").click()  # a person, this time
        tab.wait_for_load_state()
        assert "You approved order BROWSER-SCRIPT" in tab.locator("h1").inner_text()
    finally:
        context.close()
    stack.wait_for_status("BROWSER-SCRIPT", OrderStatus.COMPLETED)


def wait_for_subject(stack: StackProcess, subject_id: str, status: str) -> None:
    """Until the read model shows ``status`` (10 s at most)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        record = stack.store.get_subject(subject_id)
        if record is not None and record.status == status:
            return
        time.sleep(0.1)
    raise AssertionError(f"{subject_id} never reached {status}: {record}")
