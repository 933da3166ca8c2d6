"""The callback submitter's body: one email per callback, however often retried."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from orderflow.adapters.notifiers import OutboxNotifier
from orderflow.domain.records import OutboxMessage
from orderflow.parts.approvals.links import is_well_formed, token_hash
from orderflow.parts.approvals.mail import links_in
from orderflow.parts.approvals.steps import (
    approval_message_id,
    expire_request,
    request_approval,
)
from orderflow.processes.orders.approval import WORDING, order_subject
from orderflow.processes.orders.deps import Deps

ORDER = {
    "order_id": "ORD-R",
    "total_cents": 289_900,
    "currency": "USD",
    "risk": {"score": 65, "reasons": ["overnight shipping"]},
}


class CountingNotifier(OutboxNotifier):
    """The outbox notifier, counting deliveries; optionally failing the first."""

    def __init__(self, deps: Deps, *, fail_first: bool = False) -> None:
        super().__init__(deps.store)
        self.delivered: list[OutboxMessage] = []
        self.fail_first = fail_first

    def deliver(self, message: OutboxMessage) -> None:
        if self.fail_first:
            self.fail_first = False
            raise ConnectionError("mail relay down")
        self.delivered.append(message)
        super().deliver(message)


def ask(deps: Deps, callback_id: str = "cb-secret-1", round_no: int = 1) -> None:
    request_approval(
        deps,
        callback_id,
        subject=order_subject(ORDER),
        wording=WORDING,
        approver="ana@example.com",
        round_no=round_no,
        needed=1,
        escalated=round_no > 1,
    )


def test_a_request_stores_the_hash_sends_one_link_and_audits_it(
    make_deps: Callable[..., Deps],
) -> None:
    deps = make_deps(public_url="https://api.example.com")
    deps.notifier = notifier = CountingNotifier(deps)

    ask(deps)

    (message,) = notifier.delivered
    (link,) = links_in(message.body)
    token = link.rsplit("/", 1)[1]
    assert link.startswith("https://api.example.com/approvals/")
    assert is_well_formed(token)
    stored = deps.store.get_link(token_hash(token))
    assert stored is not None
    assert (stored.callback_id, stored.approver, stored.risk_score) == (
        "cb-secret-1",
        "ana@example.com",
        65,
    )
    assert stored.reasons == ("overnight shipping",)
    (approval,) = deps.store.list_approvals(subject_id="ORD-R")
    assert stored.expires_at == approval.expires_at
    (entry,) = deps.store.list_audit("ORD-R")
    assert (entry.action, entry.link_id) == ("requested", stored.link_id)
    assert "cb-secret-1" not in message.body + message.subject + message.message_id


def test_a_retried_submitter_sends_nothing_twice(
    make_deps: Callable[..., Deps],
) -> None:
    deps = make_deps()
    deps.notifier = notifier = CountingNotifier(deps)

    for _ in range(3):
        ask(deps)

    assert len(notifier.delivered) == 1
    assert len(deps.store.list_outbox(subject_id="ORD-R")) == 1
    assert len(deps.store.list_approvals(subject_id="ORD-R")) == 1
    assert [e.action for e in deps.store.list_audit("ORD-R")] == ["requested"]


def test_a_retry_after_a_failed_delivery_sends_exactly_one_email(
    make_deps: Callable[..., Deps],
) -> None:
    deps = make_deps()
    deps.notifier = notifier = CountingNotifier(deps, fail_first=True)

    with pytest.raises(ConnectionError):
        ask(deps)
    ask(deps)

    (message,) = notifier.delivered
    assert deps.store.list_outbox(subject_id="ORD-R") == [message]
    assert deps.store.get_outbox(approval_message_id("cb-secret-1")) == message
    token = links_in(message.body)[0].rsplit("/", 1)[1]
    (entry,) = deps.store.list_audit("ORD-R")
    assert entry.link_id == token_hash(token)[:16]  # the link that went out


def test_a_retry_keeps_the_first_expiry(make_deps: Callable[..., Deps]) -> None:
    deps = make_deps()
    ask(deps)
    first = deps.store.list_approvals(subject_id="ORD-R")[0].expires_at

    later = replace(deps, now=lambda: deps.now().replace(year=2099))
    ask(later)

    assert [a.expires_at for a in deps.store.list_approvals(subject_id="ORD-R")] == [
        first
    ]


def test_expiring_a_request_closes_it_and_audits_the_escalation(
    make_deps: Callable[..., Deps],
) -> None:
    deps = make_deps()
    ask(deps)

    for _ in range(2):  # a retried step writes nothing twice
        expire_request(
            deps,
            subject_id="ORD-R",
            approver="ana@example.com",
            round_no=1,
            escalate_to="bob@example.com",
        )

    (approval,) = deps.store.list_approvals(subject_id="ORD-R")
    assert (approval.status, approval.decided_by) == ("EXPIRED", "orderflow")
    assert approval.comment == "not decided in time; escalated to bob@example.com"
    trail = [(e.action, e.actor, e.detail) for e in deps.store.list_audit("ORD-R")]
    assert trail[1:] == [
        ("timed-out", "ana@example.com", {"round": 1}),
        (
            "escalated",
            "orderflow",
            {"from": "ana@example.com", "to": "bob@example.com", "round": 2},
        ),
    ]


def test_expiring_the_last_request_audits_the_cancellation(
    make_deps: Callable[..., Deps],
) -> None:
    deps = make_deps()
    ask(deps)

    expire_request(
        deps,
        subject_id="ORD-R",
        approver="ana@example.com",
        round_no=1,
        escalate_to=None,
    )

    assert [e.action for e in deps.store.list_audit("ORD-R")] == [
        "requested",
        "timed-out",
        "cancelled",
    ]
