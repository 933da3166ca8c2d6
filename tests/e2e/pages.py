"""Helpers for driving approval pages over HTTP on a running local stack."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from orderflow.domain.records import AuditEntry
from orderflow.parts.approvals.mail import links_in
from tests.e2e.conftest import StackProcess


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, as text."""

    status: int
    headers: dict[str, str]
    body: str


def fetch(
    url: str,
    method: str = "GET",
    form: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """One request; never raises for an HTTP error status."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers=headers or {}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            body = answer.read().decode()
            return Answer(answer.status, dict(answer.headers.items()), body)
    except urllib.error.HTTPError as e:
        return Answer(e.code, dict(e.headers.items()), e.read().decode())


def link_of(
    stack: StackProcess, order_id: str, approver: str | None = None, timeout: float = 30
) -> str:
    """The newest approval link emailed for ``order_id`` (to ``approver``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = [
            m
            for m in stack.store.list_outbox(subject_id=order_id)
            if approver in (None, m.recipient)
        ]
        links = [link for m in messages for link in links_in(m.body)]
        if links:
            return links[-1]
        time.sleep(0.2)
    raise AssertionError(f"no approval link for {order_id} ({approver})")


def csrf_in(page: str) -> str:
    """The CSRF value of a confirmation page's form."""
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def decide(link: str, decision: str = "approve", **extra: str) -> Answer:
    """Open the page and post a decision with its CSRF value."""
    page = fetch(link)
    assert page.status == 200, page.body
    return fetch(
        link, "POST", {"csrf": csrf_in(page.body), "decision": decision, **extra}
    )


def decide_on_page(
    stack: StackProcess, order_id: str, decision: str = "approve", **extra: str
) -> None:
    """The approver asked last opens their emailed link and decides.

    The link is opened on ``stack``: one emailed before a restart names the
    port the stack had then.
    """
    link = stack.api + urllib.parse.urlsplit(link_of(stack, order_id)).path
    answer = decide(link, decision, **extra)
    assert answer.status == 200, answer.body


def trail(stack: StackProcess, order_id: str) -> list[AuditEntry]:
    """The order's audit trail, read from the stack's store."""
    return stack.store.list_audit(order_id)


def actions(stack: StackProcess, order_id: str) -> list[str]:
    """The order's audit actions, oldest first."""
    return [e.action for e in trail(stack, order_id)]
