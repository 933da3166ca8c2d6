"""Whole-stack kills under load: nothing lost, nothing doubled.

``python -m bench.stack_kills`` starts the real local stack (``orderflow up
--skip-time`` in a child process of its own process group) with provider faults
injected (``ORDERFLOW_FAULTS``: throttling, time-outs that act and lose the
answer, outages, a few card refusals that make the saga compensate), and drives
a batch of orders through it like a client and its approvers would:

- a submitter POSTs every order until it gets its 202 (a POST whose answer
  died with the stack is sent again: POST /orders is idempotent);
- an approver opens each emailed link (on whatever port the stack now has),
  reads the CSRF value and POSTs the decision the seed scripted for it, until
  it gets the result page or "Already decided".

At ``--kills`` random moments (seeded) it SIGKILLs the whole process group:
`orderflow up` with its HTTP API and Lambda endpoint, and the durable emulator,
at the same instant. It restarts the stack on the same state directory and
carries on. At the end every order must be terminal, with what bench/proof.py
checks: every submitted order exists, one execution each, each idempotency key
at most one effect, money and stock balanced, each approval decided once, and
the order ended as its approver decided. Exits 1 on any violation.
tests/e2e/test_stack_kills.py runs it small.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.proof import check_orders, wait_terminal
from orderflow.parts.approvals.mail import links_in
from orderflow.processes.orders.status import OrderStatus
from tests.e2e.conftest import StackProcess
from tests.e2e.pages import csrf_in, fetch
from tests.utils.orders import high_risk_order, low_risk_order

FAULTS = ",".join(
    [
        "inventory.reserve=0.2:throttled",
        "payment.authorize=0.2:timeout",
        "shipping.create=0.2:unavailable",
        "payment.capture=0.1:timeout",  # acted: its retry must never be refused
        "payment.capture=0.03:card_declined",
        "payment.capture=0.2:unavailable",
        "shipping.track=0.2:throttled",
    ]
)
APPROVAL_EVERY = 4  # one order in four waits for a human
REJECT_SHARE = 0.25  # of those, the scripted approver rejects about a quarter
DONE = frozenset({OrderStatus.COMPLETED, OrderStatus.CANCELLED})  # refusals cancel


@dataclass
class Driver:
    """The client and the approvers: what is still to send, and what happened."""

    orders: dict[str, dict[str, Any]]
    decisions: dict[str, str]  # approval order -> "approve" | "reject"
    accepted: set[str] = field(default_factory=set)
    decided: set[str] = field(default_factory=set)
    tally: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, stack: StackProcess, stop: threading.Event) -> None:
        """Submit and decide against ``stack`` until ``stop`` or everything is in."""
        with ThreadPoolExecutor(2) as pool:
            work = [pool.submit(self._submit, stack, stop)]
            work.append(pool.submit(self._approve, stack, stop))
        for done in work:
            done.result()

    def _note(self, what: str) -> None:
        with self.lock:
            self.tally[what] += 1

    def _submit(self, stack: StackProcess, stop: threading.Event) -> None:
        def one(order_id: str) -> None:
            if stop.is_set():
                return
            try:
                status, _ = stack.submit(self.orders[order_id])
            except OSError:
                self._note("POST /orders lost with the stack")
                return
            if status == 202:
                with self.lock:
                    self.accepted.add(order_id)
            else:
                self._note(f"POST /orders answered {status}")

        while not stop.is_set() and len(self.accepted) < len(self.orders):
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(one, sorted(set(self.orders) - self.accepted)))
            stop.wait(0.2)

    def _approve(self, stack: StackProcess, stop: threading.Event) -> None:
        store = stack.store
        while not stop.is_set() and not self.decided >= set(self.decisions):
            for order_id in sorted(set(self.decisions) - self.decided):
                if stop.is_set():
                    return
                links = [
                    link
                    for m in store.list_outbox(subject_id=order_id)
                    for link in links_in(m.body)
                ]
                if links:
                    self._decide(stack, order_id, links[-1])
            stop.wait(0.2)

    def _decide(self, stack: StackProcess, order_id: str, emailed: str) -> None:
        # The email names the port the stack had then; the token is what counts.
        link = f"{stack.api}/approvals/{emailed.rsplit('/', 1)[1]}"
        try:
            page = fetch(link)
            if page.status != 200:
                self._note(f"approval page answered {page.status}")
                if "Already decided" in page.body:
                    with self.lock:
                        self.decided.add(order_id)
                return
            form = {"csrf": csrf_in(page.body), "decision": self.decisions[order_id]}
            answer = fetch(link, "POST", form)
        except OSError:
            self._note("approval request lost with the stack")
            return
        self._note(f"approval POST answered {answer.status}")
        if answer.status in (200, 409):
            with self.lock:
                self.decided.add(order_id)


@dataclass
class KillsResult:
    """What a run did and found."""

    orders: int
    kills: list[float] = field(default_factory=list)  # seconds into each life
    redriven: list[int] = field(default_factory=list)  # per restart
    tally: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    settle_s: float = 0.0
    violations: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """The figures, one per line."""
        kills = ", ".join(f"{k:.1f}" for k in self.kills)
        return "\n".join(
            [
                f"orders: {self.orders}; whole-stack SIGKILLs: {len(self.kills)},"
                f" at {kills} s into each life",
                f"executions re-driven by each restart: {self.redriven}",
                "client side: "
                + ", ".join(f"{k}: {n}" for k, n in sorted(self.tally.items())),
                "final statuses: "
                + ", ".join(f"{k} {n}" for k, n in sorted(self.statuses.items())),
                f"all terminal {self.settle_s:.1f} s after the last restart",
                f"violations: {len(self.violations)}",
                *(f"  {v}" for v in self.violations[:50]),
            ]
        )


def _redriven(home: Path) -> list[int]:
    text = (home / "emulator.log").read_text()
    return [int(n) for n in re.findall(r"re-driving (\d+) incomplete", text)]


def run_kills(
    home: Path,
    *,
    orders: int,
    kills: int,
    seed: int,
    life: tuple[float, float] = (2.0, 8.0),
    timeout: float = 600,
) -> KillsResult:
    """Run the batch through ``kills`` whole-stack kills; what happened and broke."""
    rng = random.Random(seed)
    order_ids = [f"KILL-{n:05d}" for n in range(orders)]
    approval = order_ids[::APPROVAL_EVERY]
    driver = Driver(
        orders={
            i: (high_risk_order if i in approval else low_risk_order)(i)
            for i in order_ids
        },
        decisions={
            i: "reject" if rng.random() < REJECT_SHARE else "approve" for i in approval
        },
    )
    result = KillsResult(orders)
    env = {"ORDERFLOW_FAULTS": FAULTS}
    for _ in range(kills):
        stack = StackProcess(home, env=env, own_group=True)
        stack.start()
        stop = threading.Event()
        thread = threading.Thread(target=driver.run, args=(stack, stop))
        thread.start()
        result.kills.append(rng.uniform(*life))
        time.sleep(result.kills[-1])
        stop.set()  # what is in flight now dies with the stack
        stack.kill_group()
        thread.join()

    stack = StackProcess(home, env=env, own_group=True)
    stack.start()
    restarted = time.monotonic()
    try:
        stop = threading.Event()
        deadline = threading.Timer(timeout, stop.set)  # a stuck approval ends it
        deadline.start()
        driver.run(stack, stop)
        deadline.cancel()
        outcomes, result.violations = wait_terminal(stack, order_ids, timeout=timeout)
        result.settle_s = time.monotonic() - restarted
        allowed = {i: DONE for i in order_ids}
        for order_id, decision in driver.decisions.items():
            if decision == "reject":
                allowed[order_id] = frozenset({OrderStatus.REJECTED})
        result.violations += check_orders(stack, allowed, outcomes, undo_allowed=True)
        result.statuses = Counter(o.status.value for o in outcomes.values())
    finally:
        stack.stop()
    result.redriven = _redriven(home)
    result.tally = driver.tally
    return result


def main(argv: list[str] | None = None) -> int:
    """Run in a temporary home, print the figures, exit 1 on any violation."""
    parser = argparse.ArgumentParser(prog="python -m bench.stack_kills")
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as home:
        result = run_kills(
            Path(home), orders=args.orders, kills=args.kills, seed=args.seed
        )
    print(
        f"stack kills: {args.orders} orders, faults {FAULTS}, seed {args.seed},"
        f" run in {time.monotonic() - started:.0f} s"
    )
    print(result.summary())
    return 1 if result.violations else 0


if __name__ == "__main__":
    sys.exit(main())
