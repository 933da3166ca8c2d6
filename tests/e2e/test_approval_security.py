"""Security of approval links, against the real local stack.

The pages are served by functions/approval_api through the local HTTP API, and
decisions complete real callbacks on AWS's durable-execution emulator. "Changes
nothing" is checked where it would show: the order still waits, its approval
is still PENDING, the audit trail has no decision, and a later real decision
still works.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from orderflow.parts.approvals.links import TOKEN_BYTES, mint_token
from orderflow.parts.approvals.pages import SECURITY_HEADERS
from orderflow.processes.orders.status import OrderStatus
from tests.e2e.conftest import StackProcess
from tests.e2e.pages import Answer, actions, csrf_in, decide, fetch, link_of, trail
from tests.utils.orders import high_risk_order, low_risk_order

pytestmark = pytest.mark.e2e
BIG = [{"sku": "WATCH-GOLD", "quantity": 1, "unit_price": "12000.00"}]


def waiting(stack: StackProcess, order: dict[str, Any]) -> str:
    """Submit ``order``, wait until it waits for a human; its first link."""
    assert stack.submit(order)[0] == 202
    stack.wait_for_status(order["order_id"], OrderStatus.AWAITING_APPROVAL)
    return link_of(stack, order["order_id"])


def still_waiting(stack: StackProcess, order_id: str) -> None:
    """Nothing was decided: the order waits and its approval is pending."""
    time.sleep(0.5)  # room for a wrongly started completion to land
    record = stack.store.get_subject(order_id)
    assert record is not None and record.status == OrderStatus.AWAITING_APPROVAL
    assert [a.status for a in stack.store.list_approvals(subject_id=order_id)] == [
        "PENDING"
    ]
    assert not {"approved", "rejected"} & set(actions(stack, order_id))


def test_get_head_options_and_prefetch_decide_nothing(stack: StackProcess) -> None:
    link = waiting(stack, high_risk_order("SEC-PREFETCH"))

    for method in ("GET", "HEAD", "OPTIONS", "GET"):
        assert fetch(link, method).status in (200, 204)
    prefetch = {"Sec-Purpose": "prefetch", "Purpose": "prefetch"}
    assert fetch(link, headers=prefetch).status == 200

    still_waiting(stack, "SEC-PREFETCH")
    assert decide(link).status == 200  # the link was live all along
    stack.wait_for_status("SEC-PREFETCH", OrderStatus.COMPLETED)


def test_tampered_and_unknown_links_get_their_pages_and_change_nothing(
    stack: StackProcess,
) -> None:
    link = waiting(stack, high_risk_order("SEC-TAMPER"))
    csrf = csrf_in(fetch(link).body)
    base, token = link.rsplit("/", 1)
    flipped = token[:5] + ("x" if token[5] != "x" else "y") + token[6:]
    cases = {
        f"{base}/{flipped}": (400, "This link is damaged"),
        f"{base}/{token[:-3]}": (400, "This link is damaged"),
        f"{base}/{mint_token(bytes(TOKEN_BYTES))}": (404, "We do not know this link"),
    }

    for url, (status, headline) in cases.items():
        for answer in (
            fetch(url),
            fetch(url, "POST", {"csrf": csrf, "decision": "approve"}),
        ):
            assert answer.status == status
            assert headline in answer.body

    still_waiting(stack, "SEC-TAMPER")


def test_a_post_without_or_with_a_wrong_csrf_value_is_refused(
    stack: StackProcess,
) -> None:
    link = waiting(stack, high_risk_order("SEC-CSRF"))
    good = csrf_in(fetch(link).body)
    attempts = [
        ({"decision": "approve"}, {}),
        ({"decision": "approve", "csrf": good[::-1]}, {}),
        ({"decision": "approve", "csrf": good}, {"Sec-Fetch-Site": "cross-site"}),
    ]

    for form, headers in attempts:
        answer = fetch(link, "POST", form, headers)
        assert answer.status == 403
        assert "could not be verified" in answer.body

    still_waiting(stack, "SEC-CSRF")
    assert actions(stack, "SEC-CSRF") == ["requested", "refused", "refused", "refused"]


def test_a_replayed_post_completes_the_callback_once(stack: StackProcess) -> None:
    link = waiting(stack, high_risk_order("SEC-REPLAY"))
    form = {"csrf": csrf_in(fetch(link).body), "decision": "approve"}

    first = fetch(link, "POST", form)
    second = fetch(link, "POST", form)
    third = fetch(link, "POST", {**form, "decision": "reject"})

    assert first.status == 200 and "You approved order" in first.body
    assert second.status == third.status == 409
    assert "Already decided" in second.body
    done = stack.wait_for_status("SEC-REPLAY", OrderStatus.COMPLETED)
    assert [e["action"] for e in done["effects"]].count("capture") == 1
    # A second completion would have been refused by the service and logged
    # as completion-failed; it never reached it.
    assert actions(stack, "SEC-REPLAY") == [
        "requested",
        "approved",
        "refused",
        "refused",
    ]
    (approval,) = stack.store.list_approvals(subject_id="SEC-REPLAY")
    assert approval.status == "APPROVED"


def test_two_concurrent_posts_complete_the_callback_once(
    stack: StackProcess,
) -> None:
    link = waiting(stack, high_risk_order("SEC-RACE"))
    csrf = csrf_in(fetch(link).body)
    barrier = threading.Barrier(2)
    answers: list[Answer] = []

    def post(decision: str) -> None:
        barrier.wait()
        answers.append(fetch(link, "POST", {"csrf": csrf, "decision": decision}))

    threads = [threading.Thread(target=post, args=(d,)) for d in ("approve", "reject")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sorted(a.status for a in answers) == [200, 409]
    winner = next(a for a in answers if a.status == 200)
    approved = "You approved order" in winner.body
    final = OrderStatus.COMPLETED if approved else OrderStatus.REJECTED
    stack.wait_for_status("SEC-RACE", final)
    decisions = [a for a in actions(stack, "SEC-RACE") if a in ("approved", "rejected")]
    assert decisions == ["approved" if approved else "rejected"]
    assert "completion-failed" not in actions(stack, "SEC-RACE")


def test_a_link_for_approver_a_cannot_record_approver_b(stack: StackProcess) -> None:
    a_link = waiting(stack, low_risk_order("SEC-BIND", items=BIG))  # two approvers

    answer = decide(a_link, approver="manager@example.com", comment="as A")
    assert answer.status == 200
    b_link = link_of(stack, "SEC-BIND", "manager@example.com")

    first, second = stack.store.list_approvals(subject_id="SEC-BIND")
    assert (first.status, first.decided_by) == ("APPROVED", "approver@example.com")
    assert (second.approver, second.status) == ("manager@example.com", "PENDING")
    assert fetch(a_link, "POST", {"decision": "approve"}).status == 409  # spent
    assert decide(b_link).status == 200
    stack.wait_for_status("SEC-BIND", OrderStatus.COMPLETED)
    decided = [
        (e.actor, e.link_id) for e in trail(stack, "SEC-BIND") if e.action == "approved"
    ]
    requested = [e.link_id for e in trail(stack, "SEC-BIND") if e.action == "requested"]
    assert decided == [
        ("approver@example.com", requested[0]),
        ("manager@example.com", requested[1]),
    ]


def test_html_and_script_in_order_fields_render_as_text(stack: StackProcess) -> None:
    order = high_risk_order("SEC-XSS")
    order["shipping_address"]["name"] = '<script>alert("pwned")</script>'
    order["shipping_address"]["line1"] = "<img src=x onerror=alert(1)>"
    link = waiting(stack, order)

    page = fetch(link).body

    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    outbox = fetch(stack.api + "/outbox").body
    assert "<script>" not in outbox


def test_every_page_carries_the_security_headers(stack: StackProcess) -> None:
    link = waiting(stack, high_risk_order("SEC-HEADERS"))
    base, token = link.rsplit("/", 1)
    answers = {
        "confirm": fetch(link),
        "head": fetch(link, "HEAD"),
        "options": fetch(link, "OPTIONS"),
        "forbidden": fetch(link, "POST", {"decision": "approve"}),
        "tampered": fetch(f"{base}/{token[:-1]}"),
        "unknown": fetch(f"{base}/{mint_token(bytes(TOKEN_BYTES))}"),
        "stylesheet": fetch(f"{base}/static/approval.css"),
        "outbox": fetch(stack.api + "/outbox"),
        "result": decide(link),
        "decided": fetch(link),
    }

    for name, answer in answers.items():
        for header, value in SECURITY_HEADERS.items():
            assert answer.headers.get(header) == value, (name, header)
    csp = answers["confirm"].headers["Content-Security-Policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert {k: a.status for k, a in answers.items()} == (
        {
            "confirm": 200,
            "head": 200,
            "options": 204,
            "forbidden": 403,
            "tampered": 400,
            "unknown": 404,
            "stylesheet": 200,
            "outbox": 200,
            "result": 200,
            "decided": 409,
        }
    )
    # Let the order finish: the stack then stops without work in flight.
    stack.wait_for_status("SEC-HEADERS", OrderStatus.COMPLETED)


def _callback_ids(value: Any) -> list[str]:
    """Every CallbackId in an execution history's events, in order."""
    if isinstance(value, dict):
        own = [value["CallbackId"]] if isinstance(value.get("CallbackId"), str) else []
        return own + [c for v in value.values() for c in _callback_ids(v)]
    if isinstance(value, list):
        return [c for v in value for c in _callback_ids(v)]
    return []


def test_a_callback_id_read_from_the_history_decides_nothing_for_mallory(
    stack: StackProcess,
) -> None:
    # The review's repro: whoever may read the execution's history and complete
    # its callbacks completes one, naming another approver.
    link = waiting(stack, high_risk_order("SEC-RAW"))
    _, order = stack.request("GET", "/orders/SEC-RAW")
    client = stack.lambda_client()
    history = client.get_durable_execution_history(
        DurableExecutionArn=order["execution_arn"]
    )
    [callback_id, *_] = _callback_ids(history["Events"])
    forged = {"approved": True, "approver": "mallory@example.com", "comment": "ok"}

    client.send_durable_execution_callback_success(
        CallbackId=callback_id, Result=json.dumps(forged).encode()
    )

    deadline = time.monotonic() + 30
    while (fresh := link_of(stack, "SEC-RAW")) == link:
        assert time.monotonic() < deadline, "the approver was not asked again"
        time.sleep(0.2)
    record = stack.store.get_subject("SEC-RAW")
    assert record is not None and record.status == OrderStatus.AWAITING_APPROVAL
    assert stack.store.list_effects("SEC-RAW") == []
    [attempt] = [
        e for e in trail(stack, "SEC-RAW") if e.action == "unverified-completion"
    ]
    assert attempt.detail["claimed"]["approver"] == "mallory@example.com"
    assert "approved" not in actions(stack, "SEC-RAW")
    old = fetch(link)
    assert old.status == 410 and "answered outside orderflow" in old.body

    assert decide(fresh).status == 200
    done = stack.wait_for_status("SEC-RAW", OrderStatus.COMPLETED)
    assert "mallory" not in json.dumps(done)
    [approved] = [e for e in trail(stack, "SEC-RAW") if e.action == "approved"]
    assert approved.actor == "approver@example.com"
