"""Hypothesis-generated approval requests against the running local stack.

One order waits for its approver. Hypothesis sends requests at /approvals/...:
its real token, damaged copies of it, well-formed tokens nobody was given and
arbitrary text; any method; form bodies with CSRF values that are wrong (or
right, with a decision the form refuses, a comment over the limit or with a
control or format character in it, or a cross-site header), arbitrary bytes;
and arbitrary headers. None of them is a
valid decision, so:

- every answer is 2xx or 4xx, within REQUEST_TIMEOUT_S: never a 5xx, never a hang;
- nothing is decided: after every request the approval is still PENDING, and at
  the end the order still waits and its audit trail holds no decision;
- the stack is healthy afterwards, and the approver's real decision, made
  last, still goes through and the order completes.

With tests/e2e/test_fuzz_api.py this makes well over 1,000 fixed
(derandomized) cases per run.
"""

from __future__ import annotations

import http.client
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field

import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from orderflow.parts.approvals.links import MAX_COMMENT_CHARS, TOKEN_BYTES, mint_token
from orderflow.processes.orders.status import OrderStatus
from tests.e2e.conftest import StackProcess
from tests.e2e.pages import actions, csrf_in, fetch, link_of
from tests.e2e.test_fuzz_api import FUZZ_SETTINGS, REQUEST_TIMEOUT_S
from tests.unit.strategies import with_unshowable
from tests.utils.orders import high_risk_order

pytestmark = pytest.mark.e2e

ORDER_ID = "FUZZ-APPROVAL-1"
EXAMPLES = 500
UNSHOWABLE_EXAMPLES = 60
METHODS = ["GET", "HEAD", "POST", "POST", "POST", "OPTIONS", "PUT", "DELETE", "PATCH"]
header_text = st.text(
    st.characters(min_codepoint=32, max_codepoint=126), max_size=80
).map(str.strip)


@dataclass
class Target:
    """The waiting order's link, its token and its page's CSRF value."""

    link: str
    token: str
    csrf: str
    statuses: Counter[int] = field(default_factory=Counter)


@pytest.fixture(scope="module")
def target(stack: StackProcess) -> Target:
    """An order waiting for its approver, and what its email and page hold."""
    assert stack.submit(high_risk_order(ORDER_ID))[0] == 202
    stack.wait_for_status(ORDER_ID, OrderStatus.AWAITING_APPROVAL)
    link = link_of(stack, ORDER_ID)
    return Target(link, link.rsplit("/", 1)[1], csrf_in(fetch(link).body))


def damaged(value: str) -> st.SearchStrategy[str]:
    """``value`` with one character changed, cut short, reversed or extended."""
    return st.one_of(
        st.integers(0, len(value) - 1).map(
            lambda i: value[:i] + ("A" if value[i] != "A" else "B") + value[i + 1 :]
        ),
        st.integers(0, len(value) - 1).map(lambda i: value[:i]),
        st.just(value[::-1]),
        st.text(max_size=5).map(lambda s: value + (s or "x")),
    )


@st.composite
def requests(draw: st.DrawFn, target: Target) -> tuple[str, str, bytes, dict[str, str]]:
    """(method, path, body, headers) of a request that must decide nothing."""
    token = draw(
        st.one_of(
            st.just(target.token),
            damaged(target.token),
            st.binary(min_size=TOKEN_BYTES, max_size=TOKEN_BYTES).map(mint_token),
            st.text(max_size=60),
        )
    )
    path = "/approvals/" + urllib.parse.quote(token, safe="")
    path += draw(st.sampled_from(["", "", "", "/", "?decision=approve"]))
    headers = draw(
        st.dictionaries(
            st.sampled_from(
                ["User-Agent", "Sec-Fetch-Site", "Origin", "Referer", "Cookie",
                 "X-Forwarded-For", "Content-Type", "Accept"]
            ),
            st.one_of(
                header_text,
                st.sampled_from(["cross-site", "same-origin", "none",
                                 "application/x-www-form-urlencoded",
                                 "application/json", "multipart/form-data"]),
            ),
            max_size=4,
        )
    )  # fmt: skip
    fields: dict[str, str] = {}
    kind = draw(st.sampled_from(["form", "real-csrf", "bytes", "none"]))
    if kind == "form":
        # Any form at all, but never with the right CSRF value.
        fields = draw(st.dictionaries(st.text(max_size=10), st.text(max_size=20)))
        fields["decision"] = draw(
            st.one_of(st.sampled_from(["approve", "reject", " Reject "]), st.text())
        )
        csrf = draw(st.one_of(damaged(target.csrf), st.text(max_size=80), st.none()))
        if csrf is not None and csrf != target.csrf:
            fields["csrf"] = csrf
        else:
            fields.pop("csrf", None)
    elif kind == "real-csrf":
        # The right CSRF value, but a form the page refuses or a cross-site post.
        fields["csrf"] = target.csrf
        how = draw(st.sampled_from(["decision", "comment", "unshowable", "cross-site"]))
        if how == "decision":
            fields["decision"] = draw(
                st.text(max_size=20).filter(
                    lambda d: d.strip().lower() not in ("approve", "reject")
                )
            )
        else:
            fields["decision"] = draw(st.sampled_from(["approve", "reject"]))
        if how == "comment":
            fields["comment"] = "x" * draw(st.integers(MAX_COMMENT_CHARS + 1, 3000))
        if how == "unshowable":
            # A line feed or a tab is a comment's; anything else unshowable is not.
            text = draw(st.text(max_size=40)) or "ok"
            fields["comment"] = draw(
                with_unshowable(text, allowed="\n\t\r", surrogates=False)
            )
        if how == "cross-site":
            headers["Sec-Fetch-Site"] = "cross-site"
    body = b""
    if kind == "bytes":
        body = draw(st.binary(max_size=300))
    elif fields:
        body = urllib.parse.urlencode(fields).encode()
    return draw(st.sampled_from(METHODS)), path, body, headers


def send(
    stack: StackProcess, method: str, path: str, body: bytes, headers: dict[str, str]
) -> int:
    """One request with a hard time-out: a hang fails the test."""
    url = urllib.parse.urlsplit(stack.api)
    conn = http.client.HTTPConnection(
        url.hostname or "127.0.0.1", url.port, timeout=REQUEST_TIMEOUT_S
    )
    try:
        conn.request(method, path, body=body or None, headers=headers)
        answer = conn.getresponse()
        answer.read()
        return answer.status
    finally:
        conn.close()


def pending(stack: StackProcess) -> list[str]:
    """The statuses of the order's approvals."""
    return [a.status for a in stack.store.list_approvals(subject_id=ORDER_ID)]


@settings(max_examples=UNSHOWABLE_EXAMPLES, **FUZZ_SETTINGS)
@given(
    decision=st.sampled_from(["approve", "reject"]),
    comment=st.text(max_size=40).flatmap(
        lambda text: with_unshowable(text or "ok", allowed="\n\t\r", surrogates=False)
    ),
)
def test_a_real_decision_with_an_unshowable_comment_is_refused_and_decides_nothing(
    stack: StackProcess, target: Target, decision: str, comment: str
) -> None:
    # Everything right (the link, its page's CSRF value, the page's own origin)
    # but the comment: what the approver reads would not be what is stored.
    form = {"csrf": target.csrf, "decision": decision, "comment": comment}

    answer = fetch(target.link, "POST", form, {"Origin": stack.api})

    assert answer.status == 400, (answer.status, comment)
    assert "the comment holds U+" in answer.body
    assert pending(stack) == ["PENDING"], comment


def test_generated_approval_requests_get_2xx_or_4xx_and_decide_nothing(
    stack: StackProcess, target: Target
) -> None:
    # A fixed seed: the strategy's repr holds this run's token, so derandomize
    # alone would draw differently each run, and now and then miss a branch
    # (no 403 at all) that the coverage check below asks for.
    @seed(20261202)
    @settings(max_examples=EXAMPLES, **FUZZ_SETTINGS)
    @given(request=requests(target))
    def one(request: tuple[str, str, bytes, dict[str, str]]) -> None:
        status = send(stack, *request)
        target.statuses[status] += 1
        assert 200 <= status < 500, (status, request)
        assert pending(stack) == ["PENDING"], request

    one()

    print(f"fuzzed {target.statuses.total()} approval requests: {target.statuses}")
    assert target.statuses.total() >= EXAMPLES
    assert {200, 400, 403, 404}.issubset(target.statuses), target.statuses
    record = stack.store.get_subject(ORDER_ID)
    assert record is not None and record.status == OrderStatus.AWAITING_APPROVAL
    assert not {"approved", "rejected"} & set(actions(stack, ORDER_ID))
    assert stack.process is not None and stack.process.poll() is None
    assert stack.request("GET", "/health") == (200, {"status": "ok"})

    # The link survived it all: the approver's real decision still goes through.
    form = {"csrf": csrf_in(fetch(target.link).body), "decision": "approve"}
    assert fetch(target.link, "POST", form).status == 200
    stack.wait_for_status(ORDER_ID, OrderStatus.COMPLETED)
