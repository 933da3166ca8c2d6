"""What the proof scripts check once the load is over, read from the real stack.

``bench/load.py`` and ``bench/stack_kills.py`` drive a running local stack and
then hand the orders they submitted to ``check_orders``; every broken promise
comes back as one line of text, and a script exits non-zero if there is any:

- every submitted order exists and GET /orders/{id} shows it terminal, with a
  status the script allowed for it;
- one durable execution per order (the emulator's own list, by name);
- each idempotency key made at most one effect, and the books balance: a
  COMPLETED order kept exactly its total and its units and has one delivered
  parcel; a REJECTED or CANCELLED one kept nothing (no money, no hold, no
  stock, no live parcel);
- each approval was decided at most once, with exactly one decision in the
  audit trail per decided link and no completion that the service refused.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.processes.orders.ledger import Books
from orderflow.processes.orders.order import parse_order
from orderflow.processes.orders.status import OrderStatus
from tests.e2e.conftest import StackProcess

DECISIONS = frozenset({"approved", "rejected"})


@dataclass(frozen=True)
class Outcome:
    """Where an order ended, and when (the terminal status's history stamp)."""

    status: OrderStatus
    at: datetime


def wait_terminal(
    stack: StackProcess, order_ids: Iterable[str], *, timeout: float, poll: float = 1
) -> tuple[dict[str, Outcome], list[str]]:
    """Poll GET /orders/{id} until every order is terminal; outcomes and problems."""
    waiting = set(order_ids)
    outcomes: dict[str, Outcome] = {}
    deadline = time.monotonic() + timeout

    def get(order_id: str) -> tuple[str, int, object]:
        try:
            status, body = stack.request("GET", f"/orders/{order_id}")
        except OSError as e:
            return order_id, 0, repr(e)
        return order_id, status, body

    with ThreadPoolExecutor(4) as pool:
        while waiting and time.monotonic() < deadline:
            for order_id, status, body in pool.map(get, sorted(waiting)):
                if status >= 500:
                    return outcomes, [f"GET /orders/{order_id} answered {status}"]
                if status != 200 or not isinstance(body, dict):
                    continue
                current = OrderStatus(body["status"])
                if current.is_terminal:
                    at = next(
                        h["at"] for h in body["history"] if h["status"] == current
                    )
                    outcomes[order_id] = Outcome(current, datetime.fromisoformat(at))
                    waiting.discard(order_id)
            if waiting:
                time.sleep(poll)
    problems = [
        f"{order_id} not terminal after {timeout:.0f} s: "
        f"{stack.store.get_subject(order_id)!r:.300}"
        for order_id in sorted(waiting)
    ]
    return outcomes, problems


def check_orders(
    stack: StackProcess,
    allowed: Mapping[str, frozenset[OrderStatus]],
    outcomes: Mapping[str, Outcome],
    *,
    undo_allowed: bool = False,
) -> list[str]:
    """Every promise above, for the orders in ``allowed``; the broken ones.

    ``undo_allowed``: a decision whose callback could not be completed may have
    been undone (the stack died under it) and decided again; without it, any
    undone decision is a problem.
    """
    problems: list[str] = []
    executions = Counter(stack.execution_names())
    store = stack.store
    for order_id, statuses in sorted(allowed.items()):
        record = store.get_subject(order_id)
        if record is None:
            problems.append(f"{order_id} was submitted but does not exist")
            continue
        if executions[order_id] != 1:
            problems.append(f"{order_id} has {executions[order_id]} executions")
        outcome = outcomes.get(order_id)
        if outcome is not None and outcome.status not in statuses:
            problems.append(f"{order_id} ended {outcome.status}, not in {statuses}")
        problems += _books(order_id, record.status, record.body, store)
        problems += _approvals(order_id, store, undo_allowed=undo_allowed)
    return problems


def _books(
    order_id: str, status: str, body: dict[str, object], store: SqliteStore
) -> list[str]:
    effects = store.list_effects(order_id)
    keys = Counter(e.idempotency_key for e in effects)
    problems = [f"{order_id}: key {k}: {n} effects" for k, n in keys.items() if n > 1]
    order = parse_order(body)
    books = Books.from_effects(effects)
    live = [s for s in books.shipments if s.live]
    if status == OrderStatus.COMPLETED:
        units = sum(item.quantity for item in order.items)
        kept = (books.net_cents, books.held_cents, books.units_moved)
        if kept != (order.total_cents, 0, units):
            problems.append(
                f"{order_id} COMPLETED with money, hold, stock {kept};"
                f" owed {(order.total_cents, 0, units)}"
            )
        if len(live) != 1 or not live[0].delivered:
            problems.append(f"{order_id} COMPLETED with parcels {books.shipments}")
    elif status in (OrderStatus.REJECTED, OrderStatus.CANCELLED):
        kept = (books.net_cents, books.held_cents, books.units_moved, len(live))
        if kept != (0, 0, 0, 0):
            problems.append(
                f"{order_id} {status} kept money, hold, stock, parcels {kept}"
            )
    return problems


def _approvals(order_id: str, store: SqliteStore, *, undo_allowed: bool) -> list[str]:
    trail = store.list_audit(order_id)
    decided = Counter(e.link_id for e in trail if e.action in DECISIONS)
    decided.subtract(e.link_id for e in trail if e.action == "completion-failed")
    problems = [
        f"{order_id}: link {link} has {n} standing decisions in the audit trail"
        for link, n in decided.items()
        if n not in (0, 1)
    ]
    human = [
        a
        for a in store.list_approvals(subject_id=order_id)
        if a.status in ("APPROVED", "REJECTED")
    ]
    if len(human) != sum(decided.values()):
        problems.append(
            f"{order_id}: {len(human)} approvals decided,"
            f" {sum(decided.values())} decisions audited"
        )
    if not undo_allowed and any(e.action == "completion-failed" for e in trail):
        problems.append(f"{order_id}: a decision's callback completion failed")
    return problems
