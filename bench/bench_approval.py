"""Approval decision latency: POST /approvals/{token} until the order moves on.

The real local stack (``orderflow up --skip-time`` in a child process) takes N
orders that need one approver and waits on each. Then, one order at a time:
GET its approval page (the approver opening the emailed link), and POST
"approve" with the page's CSRF value. The decision latency runs from just
before the POST to the APPROVED entry of the order's status history, which the
workflow stamps in its ``record-approved`` step once the completed callback has
resumed it: the POST's page, the callback completed on the emulator, the
workflow invoked again, replayed, and one step checkpointed. Each order is let
finish before the next decision, so decisions are measured on an idle stack.

The baseline is the GET of the same page, one request through the local HTTP
API into the same function reading the same records: the ratios say how many
page loads one decision costs until the order moves on.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.ratios import QUICK, Figure, percentile, report
from orderflow.processes.orders.status import OrderStatus
from tests.e2e.conftest import StackProcess
from tests.e2e.pages import csrf_in, fetch, link_of
from tests.utils.orders import high_risk_order

ORDERS = 4 if QUICK else 40
WARM_UP = 1
POLL_S = 0.01
TIMEOUT_S = 120


def decide_one(stack: StackProcess, order_id: str) -> tuple[float, float, float]:
    """GET the page, POST approve, wait for APPROVED; page, POST and decision ms."""
    link = link_of(stack, order_id)
    started = time.perf_counter()
    page = fetch(link)
    page_ms = (time.perf_counter() - started) * 1000
    assert page.status == 200, page.status
    form = {"csrf": csrf_in(page.body), "decision": "approve"}
    posted_at = datetime.now(UTC)
    started = time.perf_counter()
    answer = fetch(link, "POST", form)
    post_ms = (time.perf_counter() - started) * 1000
    assert answer.status == 200, (answer.status, answer.body[-500:])
    store = stack.store
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        record = store.get_subject(order_id)
        assert record is not None
        approved = [h.at for h in record.history if h.status == OrderStatus.APPROVED]
        if approved:
            moved_on = datetime.fromisoformat(approved[0])
            # Let it finish: the next decision is then measured on an idle stack.
            stack.wait_for_status(order_id, OrderStatus.COMPLETED, timeout=TIMEOUT_S)
            return page_ms, post_ms, (moved_on - posted_at).total_seconds() * 1000
        time.sleep(POLL_S)
    raise AssertionError(f"{order_id} did not move on within {TIMEOUT_S} s")


def main() -> None:
    """Start the stack, make orders wait, decide them one by one, report."""
    order_ids = [f"BENCH-APPROVAL-{n:04d}" for n in range(WARM_UP + ORDERS)]
    with tempfile.TemporaryDirectory() as tmp:
        stack = StackProcess(Path(tmp))
        stack.start()
        try:
            for order_id in order_ids:
                assert stack.submit(high_risk_order(order_id))[0] == 202
            for order_id in order_ids:
                stack.wait_for_status(
                    order_id, OrderStatus.AWAITING_APPROVAL, timeout=TIMEOUT_S
                )
            samples = [decide_one(stack, order_id) for order_id in order_ids]
        finally:
            stack.stop()
    samples = samples[WARM_UP:]
    page_ms = [s[0] for s in samples]
    post_ms = [s[1] for s in samples]
    decision_ms = [s[2] for s in samples]
    page = "GET of the same page"
    figures = [
        Figure(
            "decision latency p50, POST to APPROVED",
            percentile(decision_ms, 50),
            percentile(page_ms, 50),
            "ms",
            f"{page} p50",
        ),
        Figure(
            "decision latency p95, POST to APPROVED",
            percentile(decision_ms, 95),
            percentile(page_ms, 95),
            "ms",
            f"{page} p95",
        ),
        Figure(
            "decision POST answered p50",
            percentile(post_ms, 50),
            percentile(page_ms, 50),
            "ms",
            f"{page} p50",
        ),
    ]
    notes = [
        f"{ORDERS} orders with one approver, decided one at a time after"
        f" {WARM_UP} warm-up; each finishes before the next decision;"
        " the stack runs with --skip-time",
        "decision latency: just before the POST to the APPROVED stamp of"
        " record-approved (callback completed, workflow resumed)",
    ]
    report(
        "approval",
        "Approval decision latency on the local stack",
        figures,
        notes=notes,
        extra={
            "decision_latencies_ms": decision_ms,
            "post_latencies_ms": post_ms,
            "page_latencies_ms": page_ms,
        },
    )


if __name__ == "__main__":
    main()
