"""Load on the local stack: many orders at once, and approval POSTs racing per link.

``python -m bench.load`` starts the real local stack (``orderflow up
--skip-time`` in a child process, as the end-to-end tests do), then:

1. submits ``--orders`` orders, ``--links`` of them (spread evenly) needing one
   approver and the rest auto-approved, at most ``--in-flight`` POSTs at a time;
2. for each approval order, reads its emailed link and its page's CSRF value,
   then fires two POSTs per link at once, all links together: approve against
   reject on even links, approve twice on odd ones;
3. polls GET /orders/{id} until every order is terminal, and checks what
   bench/proof.py checks, plus: exactly one POST per link won (200) and the
   other got the "Already decided" page (409), and the order ended as the
   winner decided.

It prints the figures (orders per minute, auto-approve latency p50/p95 from
POST to the COMPLETED stamp, the racing POSTs' outcomes) and
exits 1 on any violation. tests/e2e/test_load.py runs it small.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.proof import check_orders, wait_terminal
from bench.ratios import percentile
from orderflow.processes.orders.status import OrderStatus
from tests.e2e.conftest import StackProcess
from tests.e2e.pages import Answer, csrf_in, fetch, link_of
from tests.utils.orders import high_risk_order, low_risk_order

ALREADY_DECIDED = "Already decided"


@dataclass
class LoadResult:
    """What a load run measured, and every promise it found broken."""

    orders: int
    wall_s: float = 0.0
    auto_latencies_ms: list[float] = field(default_factory=list)
    races: Counter[str] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)

    @property
    def per_minute(self) -> float:
        """Orders per minute, first POST to the last order terminal."""
        return self.orders / self.wall_s * 60 if self.wall_s else 0.0

    def summary(self) -> str:
        """The figures, one per line."""
        auto = self.auto_latencies_ms
        lines = [
            f"orders: {self.orders}, all terminal in {self.wall_s:.1f} s:"
            f" {self.per_minute:,.0f} orders/min",
            f"auto-approve latency, POST to COMPLETED ({len(auto)} orders):"
            f" p50 {percentile(auto, 50):,.0f} ms, p95 {percentile(auto, 95):,.0f} ms",
            "racing POSTs: "
            + ", ".join(f"{k}: {n}" for k, n in sorted(self.races.items())),
            f"violations: {len(self.violations)}",
            *(f"  {v}" for v in self.violations[:50]),
        ]
        return "\n".join(lines)


def _submit_all(
    stack: StackProcess, order_ids: list[str], approval: set[str], in_flight: int
) -> tuple[dict[str, datetime], list[str]]:
    """POST every order, at most ``in_flight`` at a time; when each was sent."""
    posted: dict[str, datetime] = {}
    problems: list[str] = []

    def one(order_id: str) -> None:
        make = high_risk_order if order_id in approval else low_risk_order
        posted[order_id] = datetime.now(UTC)
        status, body = stack.submit(make(order_id))
        if status != 202:
            problems.append(f"POST {order_id} answered {status}: {body}")

    with ThreadPoolExecutor(in_flight) as pool:
        list(pool.map(one, order_ids))
    return posted, problems


@dataclass(frozen=True)
class Race:
    """One link, the two decisions posted to it at once, and their answers."""

    order_id: str
    decisions: tuple[str, str]
    answers: tuple[Answer, Answer]


def _race(stack: StackProcess, order_ids: list[str]) -> list[Race]:
    """Two POSTs per link, every link at once, each with its page's CSRF value."""
    prepared = []
    for n, order_id in enumerate(order_ids):
        stack.wait_for_status(order_id, OrderStatus.AWAITING_APPROVAL, timeout=600)
        link = link_of(stack, order_id)
        page = fetch(link)
        assert page.status == 200, (order_id, page.status)
        pair = ("approve", "reject") if n % 2 == 0 else ("approve", "approve")
        prepared.append((order_id, link, pair, csrf_in(page.body)))

    start = threading.Barrier(2 * len(prepared))
    answers: dict[tuple[str, int], Answer] = {}

    def post(order_id: str, link: str, decision: str, csrf: str, slot: int) -> None:
        start.wait()
        form = {"csrf": csrf, "decision": decision}
        answers[order_id, slot] = fetch(link, "POST", form)

    with ThreadPoolExecutor(2 * len(prepared)) as pool:
        posts = [
            pool.submit(post, order_id, link, decision, csrf, slot)
            for order_id, link, pair, csrf in prepared
            for slot, decision in enumerate(pair)
        ]
    for done in posts:
        done.result()  # a POST that raised (no answer at all) ends the run here
    return [
        Race(order_id, pair, (answers[order_id, 0], answers[order_id, 1]))
        for order_id, _, pair, _ in prepared
    ]


def _judge_races(
    races: list[Race], result: LoadResult
) -> dict[str, frozenset[OrderStatus]]:
    """Tally the races, note what is wrong; the final status each order may have."""
    allowed: dict[str, frozenset[OrderStatus]] = {}
    for race in races:
        kind = "approve-vs-reject" if "reject" in race.decisions else "double-approve"
        codes = sorted(a.status for a in race.answers)
        result.races[f"{kind} {codes[0]}+{codes[1]}"] += 1
        pairs = zip(race.decisions, race.answers, strict=True)
        winners = [d for d, a in pairs if a.status == 200]
        losers = [a for a in race.answers if a.status != 200]
        if codes != [200, 409] or any(ALREADY_DECIDED not in a.body for a in losers):
            result.violations.append(
                f"{race.order_id}: racing POSTs answered {codes}, not one 200 and"
                " one 'Already decided' 409"
            )
            allowed[race.order_id] = frozenset()
            continue
        winner = winners[0]
        result.races[f"{kind} won by {winner}"] += 1
        final = OrderStatus.COMPLETED if winner == "approve" else OrderStatus.REJECTED
        allowed[race.order_id] = frozenset({final})
    return allowed


def run_load(
    stack: StackProcess,
    *,
    orders: int,
    links: int,
    in_flight: int,
    prefix: str = "LOAD",
    timeout: float = 1800,
) -> LoadResult:
    """Drive the running ``stack`` as described above; what it measured and found."""
    assert 0 < links <= orders
    order_ids = [f"{prefix}-{n:05d}" for n in range(orders)]
    racing = [order_ids[n * orders // links] for n in range(links)]
    approval = set(racing)
    result = LoadResult(orders)

    posted, result.violations = _submit_all(stack, order_ids, approval, in_flight)
    races = _race(stack, racing)
    outcomes, problems = wait_terminal(stack, order_ids, timeout=timeout)
    result.violations += problems
    if outcomes:
        last = max(o.at for o in outcomes.values())
        result.wall_s = (last - min(posted.values())).total_seconds()
    result.auto_latencies_ms = [
        (o.at - posted[i]).total_seconds() * 1000
        for i, o in outcomes.items()
        if i not in approval and o.status == OrderStatus.COMPLETED
    ]
    allowed = {i: frozenset({OrderStatus.COMPLETED}) for i in order_ids}
    allowed.update(_judge_races(races, result))
    result.violations += check_orders(stack, allowed, outcomes)
    return result


def main(argv: list[str] | None = None) -> int:
    """Start a stack in a temporary home, run the load, print, exit 1 on violations."""
    parser = argparse.ArgumentParser(prog="python -m bench.load")
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--links", type=int, default=100)
    parser.add_argument("--in-flight", type=int, default=16)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as home:
        stack = StackProcess(Path(home))
        stack.start()
        started = time.monotonic()
        try:
            result = run_load(
                stack, orders=args.orders, links=args.links, in_flight=args.in_flight
            )
        finally:
            stack.stop()
    print(
        f"load: {args.orders} orders ({args.in_flight} POSTs in flight), "
        f"{2 * args.links} racing approval POSTs over {args.links} links, "
        f"run in {time.monotonic() - started:.0f} s"
    )
    print(result.summary())
    return 1 if result.violations else 0


if __name__ == "__main__":
    sys.exit(main())
