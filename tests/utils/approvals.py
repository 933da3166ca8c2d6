"""Shared pieces of the approval tests: a waiting order, completers, the desk.

``RecordingCallbacks`` is a fake at the ``CallbackCompleter`` port (it records
calls); ``RunnerCallbacks`` completes the testing runner's real callbacks, and
``decide_at_desk`` decides through the real ApprovalDesk with the emailed
link, as an approver does. The end-to-end tests complete real callbacks on the
durable emulator.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aws_durable_execution_sdk_python.lambda_service import ErrorObject
from aws_durable_execution_sdk_python_testing.runner import DurableFunctionTestRunner

from orderflow.adapters.lambda_callbacks import CallbackAlreadyClosedError
from orderflow.parts.approvals.desk import ApprovalDesk, Client
from orderflow.parts.approvals.links import csrf_value, token_hash
from orderflow.parts.approvals.mail import links_in
from orderflow.parts.approvals.reissue import reissue_link
from orderflow.parts.approvals.steps import approval_message_id, request_approval
from orderflow.ports import Store
from orderflow.processes.orders.approval import WORDING, order_subject
from orderflow.processes.orders.deps import Deps
from orderflow.registry import approval_views
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


@dataclass
class RunnerCallbacks:
    """The ``CallbackCompleter`` port over the testing runner's callbacks."""

    runner: DurableFunctionTestRunner

    def succeed(self, callback_id: str, result: dict[str, Any]) -> None:
        self.runner.send_callback_success(callback_id, json.dumps(result).encode())

    def fail(self, callback_id: str, *, error_type: str, message: str) -> None:
        error = ErrorObject(
            message=message, type=error_type, data=None, stack_trace=None
        )
        self.runner.send_callback_failure(callback_id, error)


def emailed_token(store: Store, callback_id: str, *, timeout: float = 10) -> str:
    """The token in the email asking for ``callback_id``, once it is sent.

    Where the store withholds links (DynamoDB), a link re-issued by an operator.
    """
    deadline = time.monotonic() + timeout
    while (sent := store.get_outbox(approval_message_id(callback_id))) is None:
        assert time.monotonic() < deadline, "the approval email was never sent"
        time.sleep(0.01)
    if links := links_in(sent.body):
        return links[0].rsplit("/", 1)[1]
    approval = store.get_approval(callback_id)
    assert approval is not None, "the approval was stored before its email"
    issued = reissue_link(
        store,
        approval.subject_id,
        public_url="https://approvals.example.com",
        operator="operator@example.com",
        approver=approval.approver,
    )
    return issued.link.rsplit("/", 1)[1]


def decide_at_desk(
    store: Store,
    callbacks: Any,
    callback_id: str,
    *,
    approved: bool,
    comment: str | None = None,
    now: Callable[[], datetime] | None = None,
) -> str:
    """Decide ``callback_id`` through the desk with its emailed link; who decided."""
    token = emailed_token(store, callback_id)
    link = store.get_link(token_hash(token))
    assert link is not None, "the emailed link is stored"
    desk = ApprovalDesk(
        store,
        callbacks,
        secret=SECRET,
        views=approval_views(),
        now=now or (lambda: datetime.now(UTC)),
    )
    fields = {
        "csrf": csrf_value(SECRET, link),
        "decision": "approve" if approved else "reject",
        "comment": comment or "",
    }
    page = desk.decide(token, fields, Client())
    assert page.status == 200, page.body
    return link.approver


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
