"""Returns and refunds through the running local stack, over HTTP only.

A small return is refunded and restocked; a high-value return waits for its
approvers, its page shows the return, and approving it refunds; bad returns
get a 4xx naming the problem and start nothing; two returns at once for one
unit refund it at most once.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from orderflow.processes.orders.status import OrderStatus
from tests.e2e.conftest import StackProcess
from tests.e2e.pages import csrf_in, fetch, link_of
from tests.utils.orders import high_risk_order, load_event, low_risk_order

pytestmark = pytest.mark.e2e


def post_return(stack: StackProcess, body: dict[str, Any]) -> tuple[int, Any]:
    return stack.request("POST", "/returns", json.dumps(body).encode())


def wait_for_return(
    stack: StackProcess, return_id: str, wanted: str, timeout: float = 60
) -> dict[str, Any]:
    """Poll GET /returns/{id} until it shows ``wanted``."""
    deadline = time.monotonic() + timeout
    body: Any = None
    while time.monotonic() < deadline:
        status, body = stack.request("GET", f"/returns/{return_id}")
        if status == 200 and body["status"] == wanted:
            return dict(body)
        time.sleep(0.2)
    raise AssertionError(f"{return_id} never reached {wanted}; last: {body}")


def completed(stack: StackProcess, order: dict[str, Any]) -> dict[str, Any]:
    """Submit ``order``, approve it if asked, wait until it COMPLETED."""
    assert stack.submit(order)[0] == 202
    order_id = order["order_id"]
    body = stack.wait_for_status(
        order_id, OrderStatus.AWAITING_APPROVAL, OrderStatus.COMPLETED
    )
    while body["status"] == OrderStatus.AWAITING_APPROVAL:
        assert stack.cli("approve", order_id).returncode == 0
        time.sleep(0.3)
        body = stack.wait_for_status(
            order_id, OrderStatus.AWAITING_APPROVAL, OrderStatus.COMPLETED
        )
    return body


def test_a_small_return_is_refunded_and_restocked(stack: StackProcess) -> None:
    completed(stack, low_risk_order("ORD-RET-SMALL"))
    request = load_event("return-small.json") | {
        "return_id": "RET-SMALL",
        "order_id": "ORD-RET-SMALL",
    }

    status, answer = post_return(stack, request)

    assert status == 202, answer
    assert answer["status_url"].endswith("/returns/RET-SMALL")
    done = wait_for_return(stack, "RET-SMALL", "REFUNDED")
    actions = {e["action"] for e in done["effects"]}
    assert {"refund", "restock"} <= actions, done["effects"]
    refund = next(e for e in done["effects"] if e["action"] == "refund")
    assert refund["amount_cents"] == -1250  # one mug at 12.50
    assert stack.request("POST", "/returns", json.dumps(request).encode())[1][
        "duplicate"
    ]


def test_a_high_value_return_waits_shows_the_return_and_refunds_once_approved(
    stack: StackProcess,
) -> None:
    completed(stack, high_risk_order("ORD-RET-BIG"))
    request = load_event("return-needs-approval.json") | {
        "return_id": "RET-BIG",
        "order_id": "ORD-RET-BIG",
    }
    assert post_return(stack, request)[0] == 202
    wait_for_return(stack, "RET-BIG", "AWAITING_APPROVAL")

    page = fetch(link_of(stack, "RET-BIG"))

    assert page.status == 200
    assert 'Return <span class="mono">RET-BIG</span>' in page.body
    assert "LAPTOP-PRO-16" in page.body and "2,899.00" in page.body
    assert "not as described" in page.body and "dead column of pixels" in page.body
    assert "ORD-RET-BIG" in page.body
    assert "Ship to" not in page.body  # no order's form
    answer = fetch(
        link_of(stack, "RET-BIG"),
        "POST",
        {"decision": "approve", "csrf": csrf_in(page.body)},
        headers={"Origin": stack.api},
    )
    assert answer.status == 200 and "You approved return" in answer.body
    # The return needs two approvers (score 66): the second is asked next.
    link_of(stack, "RET-BIG", "manager@example.com")
    assert stack.cli("approve", "RET-BIG").returncode == 0
    done = wait_for_return(stack, "RET-BIG", "REFUNDED")
    refunds = [e for e in done["effects"] if e["action"] == "refund"]
    assert [e["amount_cents"] for e in refunds] == [-289_900]


@pytest.mark.parametrize(
    ("change", "status", "names"),
    [
        ({"order_id": "ORD-NOBODY"}, 404, "ORD-NOBODY"),
        ({"items": [{"sku": "BOOK-DDIA", "quantity": 5}]}, 422, "items.0.quantity"),
        ({"items": [{"sku": "NOT-SOLD-1", "quantity": 1}]}, 422, "items.0.sku"),
        ({"reason": "bored"}, 400, "reason"),
    ],
)
def test_a_bad_return_is_refused_naming_the_problem_and_starts_nothing(
    stack: StackProcess, change: dict[str, Any], status: int, names: str
) -> None:
    if stack.request("GET", "/orders/ORD-RET-BAD")[0] == 404:
        completed(stack, low_risk_order("ORD-RET-BAD"))
    return_id = f"RET-BAD-{status}-{len(names)}"
    body = load_event("return-small.json") | {
        "return_id": return_id,
        "order_id": "ORD-RET-BAD",
        **change,
    }

    got, answer = post_return(stack, body)

    assert got == status, answer
    assert names in json.dumps(answer)
    assert stack.store.get_subject(return_id) is None


def test_a_return_of_an_order_not_completed_is_refused(stack: StackProcess) -> None:
    assert stack.submit(high_risk_order("ORD-RET-WAIT"))[0] == 202
    stack.wait_for_status("ORD-RET-WAIT", OrderStatus.AWAITING_APPROVAL)
    body = load_event("return-needs-approval.json") | {
        "return_id": "RET-WAIT",
        "order_id": "ORD-RET-WAIT",
    }

    status, answer = post_return(stack, body)

    assert status == 409, answer
    assert "order_not_completed" in json.dumps(answer)
    assert stack.store.get_subject("RET-WAIT") is None


def test_two_returns_at_once_for_one_unit_refund_it_at_most_once(
    stack: StackProcess,
) -> None:
    completed(stack, low_risk_order("ORD-RET-RACE"))
    answers: dict[str, tuple[int, Any]] = {}

    def send(return_id: str) -> None:
        body = load_event("return-small.json") | {
            "return_id": return_id,
            "order_id": "ORD-RET-RACE",
            "items": [{"sku": "BOOK-DDIA", "quantity": 1}],
        }
        answers[return_id] = post_return(stack, body)

    racers = [threading.Thread(target=send, args=(f"RET-RACE-{n}",)) for n in (1, 2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()

    first, second = sorted(status for status, _ in answers.values())
    # The loser sees the unit held (422) or loses the claim itself (409).
    assert first == 202 and second in (409, 422), answers
    (winner,) = [r for r, (status, _) in answers.items() if status == 202]
    wait_for_return(stack, winner, "REFUNDED")
    effects = stack.request("GET", "/orders/ORD-RET-RACE")[1]["effects"]
    refunded = -sum(e["amount_cents"] for e in effects if e["action"] == "refund")
    assert refunded == 3999  # the book, once
