"""Shared pieces of the approval page tests: a waiting order and a fake completer.

The completer is a fake at the ``CallbackCompleter`` port (it records calls);
the end-to-end tests complete real callbacks on the durable emulator.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from orderflow.adapters.lambda_callbacks import CallbackAlreadyClosedError
from orderflow.parts.approvals.mail import links_in
from orderflow.parts.approvals.steps import request_approval
from orderflow.processes.orders.approval import WORDING, order_subject
from orderflow.processes.orders.deps import Deps
from tests.utils.orders import high_risk_order

SECRET = b"test-secret-" * 3


@dataclass
class RecordingCallbacks:
    """Records completions; ``error`` makes the next ``succeed`` raise it."""

    succeeded: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)
    error: BaseException | None = None
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def succeed(self, callback_id: str, result: dict[str, Any]) -> None:
        time.sleep(self.delay)  # widens any race window
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        with self.lock:
            if any(done == callback_id for done, _ in self.succeeded):
                # As the service does: a callback completes once.
                raise CallbackAlreadyClosedError("completed already")
            self.succeeded.append((callback_id, result))

    def fail(self, callback_id: str, *, error_type: str, message: str) -> None:
        self.failed.append((callback_id, error_type, message))


def waiting_order(
    deps: Deps,
    order_id: str = "ORD-P",
    *,
    callback_id: str = "cb-secret-P",
    approver: str = "ana@example.com",
    round_no: int = 1,
    needed: int = 1,
    **changes: Any,
) -> str:
    """Record ``order_id`` and ask ``approver``; the link's token."""
    order = high_risk_order(order_id, **changes)
    deps.store.create_subject(
        "order", order_id, order, at=datetime.now(UTC).isoformat()
    )
    request_approval(
        deps,
        callback_id,
        subject=order_subject(
            {
                "order_id": order_id,
                "total_cents": 289_900,
                "currency": "USD",
                "risk": {"score": 65, "reasons": ["overnight <b>shipping</b>"]},
            }
        ),
        wording=WORDING,
        approver=approver,
        round_no=round_no,
        needed=needed,
        escalated=False,
    )
    messages = [
        m
        for m in deps.store.list_outbox(subject_id=order_id)
        if m.recipient == approver
    ]
    return links_in(messages[-1].body)[0].rsplit("/", 1)[1]
