"""Local-stack throughput and latency on the auto-approve path.

The real local stack (``orderflow up --skip-time`` in a child process, as the
end-to-end tests start it) takes N low-risk orders, at most IN_FLIGHT at a time:
a slot is held from the POST until the order is COMPLETED. An order's latency
runs from just before its POST to the COMPLETED entry of its status history
(stamped by the workflow's ``record-completed`` step on the same machine's
clock), so how often completion is polled does not blur the figure.

The baseline is the same number of bare ``GET /health`` requests with the same
bound, against the same running stack: one HTTP request through the local API
into a handler that reads the store. The ratios say how many bare requests' worth
of time and capacity one whole order costs: the POST, the execution's start in
the emulator, one handler invocation running nine steps, and a checkpoint round
trip to the emulator for each.
"""

from __future__ import annotations

import sqlite3
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from bench.ratios import QUICK, Figure, percentile, report
from orderflow.processes.orders.status import TERMINAL_STATUSES, OrderStatus
from tests.e2e.conftest import StackProcess
from tests.utils.orders import low_risk_order

ORDERS = 6 if QUICK else 200
IN_FLIGHT = 8
SERIAL = 3 if QUICK else 30  # one at a time: latency without queueing
ORDER_TIMEOUT_S = 120
POLL_S = 0.025


def health_requests(
    stack: StackProcess, n: int, in_flight: int
) -> tuple[list[float], float]:
    """Latencies (ms) of n GET /health, in_flight at a time; and the wall time."""

    def one(_: int) -> float:
        started = time.perf_counter()
        status, _body = stack.request("GET", "/health")
        assert status == 200, status
        return (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    with ThreadPoolExecutor(in_flight) as pool:
        latencies = list(pool.map(one, range(n)))
    return latencies, time.perf_counter() - started


def orders(
    stack: StackProcess, n: int, in_flight: int, first: int = 0
) -> tuple[list[float], float]:
    """Latencies (ms) of n orders, POST to COMPLETED; and the wall time."""
    store = stack.store
    first_post: list[datetime] = []
    lock = threading.Lock()

    def one(i: int) -> tuple[datetime, datetime]:
        order_id = f"LOAD-{i:05d}"
        posted = datetime.now(UTC)
        with lock:
            first_post.append(posted)
        status, body = stack.submit(low_risk_order(order_id))
        assert status == 202, (status, body)
        deadline = time.monotonic() + ORDER_TIMEOUT_S
        while time.monotonic() < deadline:
            record = store.get_subject(order_id)
            if record is not None and record.status in TERMINAL_STATUSES:
                assert record.status == OrderStatus.COMPLETED, record
                done = next(
                    h.at for h in record.history if h.status == OrderStatus.COMPLETED
                )
                return posted, datetime.fromisoformat(done)
            time.sleep(POLL_S)
        raise AssertionError(f"{order_id} did not complete in {ORDER_TIMEOUT_S} s")

    with ThreadPoolExecutor(in_flight) as pool:
        spans = list(pool.map(one, range(first, first + n)))
    latencies = [(done - posted).total_seconds() * 1000 for posted, done in spans]
    wall = (max(done for _, done in spans) - min(first_post)).total_seconds()
    return latencies, wall


def invocations_per_order(home: Path, n: int) -> dict[str, float]:
    """Handler invocations the stack's Lambda endpoint ran, per order, by function.

    An invocation is logged when it returns, a moment after its last checkpoint:
    wait (bounded) until every order's workflow invocation is in.
    """
    query = "SELECT function, COUNT(*) FROM invocations GROUP BY function"
    deadline = time.monotonic() + 30
    while True:
        with sqlite3.connect(home / "lambda.db") as db:
            counts = {str(fn): int(count) for fn, count in db.execute(query)}
        if counts.get("OrderWorkflowFunction", 0) >= n or time.monotonic() > deadline:
            return {fn: count / n for fn, count in counts.items()}
        time.sleep(0.1)


def main() -> None:
    """Start the stack, run the baseline and the orders, report."""
    with tempfile.TemporaryDirectory() as tmp:
        stack = StackProcess(Path(tmp))
        stack.start()
        try:
            health_requests(stack, 20, 1)  # warm: handlers imported, store open
            orders(stack, 2, 1, first=900_000)
            serial_health, _ = health_requests(stack, SERIAL, 1)
            serial_orders, _ = orders(stack, SERIAL, 1, first=800_000)
            health_ms, health_wall = health_requests(stack, ORDERS, IN_FLIGHT)
            order_ms, order_wall = orders(stack, ORDERS, IN_FLIGHT)
            per_order = invocations_per_order(stack.home, ORDERS + SERIAL + 2)
        finally:
            stack.stop()
    per_minute = ORDERS / order_wall * 60
    health_per_minute = ORDERS / health_wall * 60
    figures = [
        Figure(
            "order latency p50, one at a time",
            percentile(serial_orders, 50),
            percentile(serial_health, 50),
            "ms",
            "GET /health p50, one at a time",
        ),
        Figure(
            f"orders per minute, {IN_FLIGHT} in flight",
            per_minute,
            health_per_minute,
            "/min",
            f"GET /health per minute, {IN_FLIGHT} in flight",
        ),
        Figure(
            f"order latency p50, {IN_FLIGHT} in flight",
            percentile(order_ms, 50),
            percentile(health_ms, 50),
            "ms",
            f"GET /health p50, {IN_FLIGHT} in flight",
        ),
        Figure(
            f"order latency p95, {IN_FLIGHT} in flight",
            percentile(order_ms, 95),
            percentile(health_ms, 95),
            "ms",
            f"GET /health p95, {IN_FLIGHT} in flight",
        ),
    ]
    invoked = ", ".join(f"{fn} {count:.2f}" for fn, count in sorted(per_order.items()))
    notes = [
        f"{SERIAL} orders and {SERIAL} GET /health one at a time, then {ORDERS} of"
        f" each at most {IN_FLIGHT} in flight; latency = POST to COMPLETED;"
        " the stack runs with --skip-time",
        f"handler invocations per order (health requests included): {invoked}",
    ]
    report(
        "local_stack",
        "Local stack: auto-approve throughput and latency",
        figures,
        notes=notes,
        extra={
            "order_latencies_ms": order_ms,
            "health_latencies_ms": health_ms,
            "serial_order_latencies_ms": serial_orders,
            "serial_health_latencies_ms": serial_health,
        },
    )


if __name__ == "__main__":
    main()
