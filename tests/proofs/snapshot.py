"""What one run left behind of one subject, and the checks every process shares."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from aws_durable_execution_sdk_python_testing.runner import DurableFunctionTestResult

from orderflow.domain.records import Effect
from orderflow.parts.approvals.steps import approval_message_id
from orderflow.parts.process import Process
from orderflow.ports import Store


@dataclass(frozen=True)
class Snapshot:
    """The result, the read model, the ledger, the approvals and the emails."""

    execution_status: str
    body: dict[str, Any]
    status: str | None
    history: list[str]
    effects: tuple[Effect, ...]
    approvals: list[tuple[str, str, str]]  # callback id, approver, status
    audit: list[tuple[str, str]]  # action, approver (or actor)
    outbox: list[tuple[str, str]]  # message id, recipient
    decided: list[str]  # callback ids the approver answered, one entry per answer

    @property
    def trail(self) -> list[tuple[str, str]]:
        """Approvals without their (per-execution) callback ids."""
        return [(approver, status) for _, approver, status in self.approvals]

    @property
    def ledger(self) -> list[tuple[str, str, str, int, int]]:
        """The effects as key, provider, action, amount and quantity."""
        return [
            (e.idempotency_key, e.provider, e.action, e.amount_cents, e.quantity)
            for e in self.effects
        ]


def take(
    store: Store,
    subject_id: str,
    result: DurableFunctionTestResult,
    decided: list[str],
    ledger_id: str | None = None,
) -> Snapshot:
    """What the store holds of ``subject_id`` once its execution has ended; its
    effects are the ledger partition ``ledger_id`` (default: its own)."""
    record = store.get_subject(subject_id)
    return Snapshot(
        execution_status=str(result.status),
        body=json.loads(result.result) if result.result else {},
        status=record.status if record else None,
        history=[change.status for change in record.history] if record else [],
        effects=tuple(store.list_effects(ledger_id or subject_id)),
        approvals=[
            (a.callback_id, a.approver, a.status)
            for a in store.list_approvals(subject_id=subject_id)
        ],
        audit=[
            (e.action, str(e.detail.get("approver", e.actor)))
            for e in store.list_audit(subject_id)
        ],
        outbox=[
            (m.message_id, m.recipient)
            for m in store.list_outbox(subject_id=subject_id)
        ],
        decided=decided,
    )


def shared_violations(status: str, got: Snapshot, clean: Snapshot) -> list[str]:
    """What ``got`` breaks of what every process promises; ``clean`` is uncrashed.

    The subject ends in ``status``, in the result and in the read model, with
    the clean run's status history; one approval per callback, the clean run's
    approvals, audit trail and emails, and each decision sent once, to an
    approval that exists.
    """
    found: list[str] = []

    def check(ok: bool, text: str) -> None:
        if not ok:
            found.append(text)

    check(
        got.body.get("status") == got.status == status,
        f"ended {got.body.get('status')} (read model {got.status}), "
        f"expected {status} ({got.execution_status})",
    )
    check(got.history == clean.history, f"status history {got.history}")
    ids = [callback_id for callback_id, _, _ in got.approvals]
    check(len(set(ids)) == len(ids), f"a callback has two approvals: {ids}")
    check(got.trail == clean.trail, f"approvals {got.trail}, not {clean.trail}")
    check(got.audit == clean.audit, f"audit trail {got.audit}, not {clean.audit}")
    check(
        len(got.outbox) == len(clean.outbox),
        f"{len(got.outbox)} emails, not {len(clean.outbox)}",
    )
    answered = Counter(got.decided)
    check(
        set(answered) <= set(ids) and set(answered.values()) <= {1},
        f"decisions {dict(answered)} for approvals {ids}",
    )
    return found


def ended_once(process: Process, got: Snapshot) -> list[str]:
    """An ended subject: one terminal status, last; no approval left open; one
    email per ask, and none that is not an ask's."""
    found: list[str] = []
    ends = [s for s in got.history if process.is_terminal(s)]
    if len(ends) != 1 or got.history[-1:] != ends:
        found.append(f"terminal statuses {ends} in history {got.history}")
    if pending := [cb for cb, _, status in got.approvals if status == "PENDING"]:
        found.append(f"{len(pending)} approvals still PENDING after {got.status}")
    asks = {approval_message_id(cb) for cb, _, _ in got.approvals}
    sent = Counter(message_id for message_id, _ in got.outbox)
    if extra := sorted(m for m in sent if m not in asks):
        found.append(f"emails that answer no ask: {extra}")
    if twice := sorted(m for m, n in sent.items() if n > 1):
        found.append(f"asks emailed more than once: {twice}")
    return found
