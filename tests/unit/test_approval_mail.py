"""The approval email: content, the link in it, and the redacted copy."""

from __future__ import annotations

from datetime import UTC, datetime

from orderflow.parts.approvals.links import TOKEN_BYTES, mint_token, token_hash
from orderflow.parts.approvals.mail import (
    WITHHELD,
    approval_link,
    approval_message,
    link_ids_in,
    links_in,
    redact_links,
    relink,
)
from orderflow.processes.orders.approval import WORDING, order_subject

TOKEN = mint_token(bytes(range(TOKEN_BYTES)))
ORDER = {
    "order_id": "ORD-1",
    "total_cents": 289_900,
    "currency": "USD",
    "risk": {"score": 65, "reasons": ["overnight shipping", "total is 2,899.00"]},
}


def message(*, needed: int = 1, escalated: bool = False) -> str:
    return approval_message(
        message_id="m-1",
        subject=order_subject(ORDER),
        wording=WORDING,
        approver="ana@example.com",
        link=approval_link("https://api.example.com/", TOKEN),
        expires_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
        needed=needed,
        escalated=escalated,
        created_at="t0",
    ).body


def test_the_email_has_the_order_the_reasons_the_link_and_the_deadline() -> None:
    body = message()

    assert "Order ORD-1 needs your decision." in body
    assert "Total: 2,899.00 USD" in body
    assert "Risk score: 65/100" in body and "  - overnight shipping" in body
    assert f"https://api.example.com/approvals/{TOKEN}" in body
    assert "until 2025-01-02 03:04:05 UTC" in body
    assert "earlier request" not in body


def test_a_second_approval_says_so_and_blames_no_time_out() -> None:
    body = message(needed=2)

    assert "(one of 2 approvals)" in body
    assert "earlier request" not in body


def test_an_escalation_says_an_earlier_request_timed_out() -> None:
    body = message(needed=2, escalated=True)

    assert "earlier request was not answered in time" in body


def test_links_are_found_and_redacted() -> None:
    body = message()

    assert links_in(body) == [f"https://api.example.com/approvals/{TOKEN}"]
    redacted = redact_links(body)
    assert TOKEN not in redacted
    link_id = token_hash(TOKEN)[:16]
    assert f"example.com/approvals/(link {link_id}: sent by email)" in redacted
    assert links_in(redacted) == []
    assert link_ids_in(redacted) == link_ids_in(body) == [token_hash(TOKEN)[:16]]


def test_local_links_are_found_too() -> None:
    text = f"go to http://127.0.0.1:3000/approvals/{TOKEN} now"

    assert links_in(text) == [f"http://127.0.0.1:3000/approvals/{TOKEN}"]


def test_a_withheld_link_keeps_its_id_and_is_relinked_like_a_whole_one() -> None:
    body = message()
    withheld = redact_links(body, WITHHELD)
    new = "http://127.0.0.1:3000/approvals/" + mint_token(bytes(TOKEN_BYTES))

    assert TOKEN not in withheld and WITHHELD in withheld
    assert link_ids_in(withheld) == [token_hash(TOKEN)[:16]]
    assert links_in(relink(withheld, new)) == links_in(relink(body, new)) == [new]
    assert relink(withheld, new) == relink(body, new)
