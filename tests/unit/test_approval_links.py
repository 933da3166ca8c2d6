"""Approval links in the pure domain: tokens, CSRF values, expiry, state, forms."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from orderflow.domain.records import ApprovalLink, ApprovalRequest
from orderflow.parts.approvals.links import (
    MAX_COMMENT_CHARS,
    TOKEN_BYTES,
    TOKEN_LENGTH,
    Decision,
    DecisionForm,
    InvalidDecisionError,
    LinkState,
    callback_result,
    csrf_ok,
    csrf_value,
    is_well_formed,
    link_expiry,
    link_state,
    mint_token,
    parse_decision,
    recorded_result,
    time_left,
    token_hash,
)

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
SECRET = b"k" * 32


def make_link(**changes: Any) -> ApprovalLink:
    fields: dict[str, Any] = {
        "token_hash": token_hash(mint_token(bytes(TOKEN_BYTES))),
        "callback_id": "cb-1",
        "subject_id": "o-1",
        "approver": "ana@example.com",
        "created_at": NOW.isoformat(),
        "expires_at": (NOW + timedelta(hours=1)).isoformat(),
    }
    return ApprovalLink(**(fields | changes))


def make_approval(**changes: Any) -> ApprovalRequest:
    fields: dict[str, Any] = {
        "callback_id": "cb-1",
        "subject_id": "o-1",
        "approver": "ana@example.com",
        "created_at": NOW.isoformat(),
        "expires_at": (NOW + timedelta(hours=1)).isoformat(),
    }
    return ApprovalRequest(**(fields | changes))


def test_a_token_carries_192_random_bits_and_is_url_safe() -> None:
    token = mint_token(secrets.token_bytes(TOKEN_BYTES))

    assert TOKEN_BYTES * 8 >= 128
    assert len(token) == TOKEN_LENGTH
    assert is_well_formed(token)
    assert token.replace("-", "").replace("_", "").isalnum()


def test_tokens_from_different_randomness_differ() -> None:
    tokens = {mint_token(secrets.token_bytes(TOKEN_BYTES)) for _ in range(200)}

    assert len(tokens) == 200


@pytest.mark.parametrize("size", [0, 16, TOKEN_BYTES - 1, TOKEN_BYTES + 1])
def test_minting_from_the_wrong_amount_of_randomness_is_refused(size: int) -> None:
    with pytest.raises(ValueError, match="random bytes"):
        mint_token(bytes(size))


def test_any_single_character_changed_or_dropped_is_caught() -> None:
    token = mint_token(bytes(range(TOKEN_BYTES)))
    for i, char in enumerate(token):
        other = "A" if char != "A" else "B"
        assert not is_well_formed(token[:i] + other + token[i + 1 :]), i
    assert not is_well_formed(token[:-1])
    assert not is_well_formed(token + "A")


@pytest.mark.parametrize(
    "bad", ["", "short", "<script>" * 5, "../../etc/passwd", "a" * 36, " " * 36]
)
def test_malformed_tokens_are_not_well_formed(bad: str) -> None:
    assert not is_well_formed(bad)


def test_the_token_format_is_pinned_by_known_answers() -> None:
    # Links sit in mailboxes across deploys, and the CSRF value must match on
    # every instance of a rolling deploy: a change to either derivation (salt,
    # checksum length, padding) would turn live links into "damaged" ones.
    token = mint_token(bytes(range(TOKEN_BYTES)))
    link = make_link(token_hash=token_hash(token))

    assert token == "AAECAwQFBgcICQoLDA0ODxAREhMUFRYX" + "gYjF"
    assert token_hash(token) == (
        "a0423ec89a2a7d18b72502fbed6950c5751a45f7b764a3b1890973b6a4c1161e"
    )
    # HMAC-SHA256 of salt, token hash, newline, approver; base64url, unpadded.
    assert csrf_value(SECRET, link) == "4g_S8FsMqrpZQh7BvFBXe9YDS7YVnhNMGFEOYQEy2Z8"


def test_the_store_key_is_a_sha256_that_does_not_contain_the_token() -> None:
    token = mint_token(bytes(range(TOKEN_BYTES)))

    digest = token_hash(token)

    assert len(digest) == 64 and int(digest, 16) >= 0
    assert token not in digest
    assert token_hash(token) == digest


def test_csrf_value_checks_only_for_its_own_link_approver_and_secret() -> None:
    link = make_link()
    value = csrf_value(SECRET, link)

    assert csrf_ok(SECRET, link, value)
    assert not csrf_ok(SECRET, link, None)
    assert not csrf_ok(SECRET, link, "")
    assert not csrf_ok(SECRET, link, value[:-1] + ("A" if value[-1] != "A" else "B"))
    assert not csrf_ok(SECRET, link, value + "\x80")  # not ASCII: refused, not raised
    assert not csrf_ok(SECRET, link, "\udc80")
    assert not csrf_ok(b"other-secret", link, value)
    assert not csrf_ok(SECRET, make_link(token_hash="0" * 64), value)
    assert not csrf_ok(SECRET, make_link(approver="bob@example.com"), value)


@pytest.mark.parametrize("timeout", [1, 10, 600, 3600, 86400])
def test_a_link_expires_before_its_callback_times_out(timeout: int) -> None:
    expiry = link_expiry(NOW, timeout)

    assert expiry < NOW + timedelta(seconds=timeout)
    assert NOW + timedelta(seconds=timeout) - expiry <= timedelta(minutes=1)
    assert expiry > NOW


@pytest.mark.parametrize(
    ("timeout", "margin"),
    [(10, 1), (300, 30), (599, 59.9), (600, 60), (3600, 60), (86400, 60)],
)
def test_a_link_stops_a_tenth_of_its_time_out_early_at_most_a_minute(
    timeout: int, margin: float
) -> None:
    expected = NOW + timedelta(seconds=timeout) - timedelta(seconds=margin)

    assert link_expiry(NOW, timeout) == expected


@pytest.mark.parametrize(
    ("approval", "at", "state"),
    [
        (make_approval(), NOW, LinkState.OPEN),
        (make_approval(status="APPROVED"), NOW, LinkState.DECIDED),
        (make_approval(status="REJECTED"), NOW, LinkState.DECIDED),
        (make_approval(status="EXPIRED"), NOW, LinkState.EXPIRED),
        (make_approval(), NOW + timedelta(hours=1), LinkState.EXPIRED),
        (make_approval(status="APPROVED"), NOW + timedelta(days=9), LinkState.DECIDED),
        (None, NOW, LinkState.UNKNOWN),
    ],
)
def test_link_state(
    approval: ApprovalRequest | None, at: datetime, state: LinkState
) -> None:
    assert link_state(make_link(), approval, at) is state


def test_an_unknown_link_is_unknown_whatever_the_approval() -> None:
    assert link_state(None, make_approval(), NOW) is LinkState.UNKNOWN


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (-5, "no time"),
        (0, "no time"),
        (1, "1 s"),
        (45, "45 s"),
        (59, "59 s"),
        (60, "1 min"),
        (3600, "1 h 0 min"),
        (600, "10 min"),
        (7500, "2 h 5 min"),
    ],
)
def test_time_left_in_words(seconds: int, words: str) -> None:
    assert time_left((NOW + timedelta(seconds=seconds)).isoformat(), NOW) == words


def test_a_form_decides_within_the_scope_and_ignores_any_approver_it_names() -> None:
    form = parse_decision(
        {"decision": " Approve ", "comment": "  fine  ", "approver": "bob@x.com"},
        make_link(),
    )

    assert (form.decision, form.comment) == (Decision.APPROVE, "fine")
    result = callback_result(form, make_link(), NOW.isoformat())
    assert result == {
        "approved": True,
        "approver": "ana@example.com",
        "comment": "fine",
        "decided_at": NOW.isoformat(),
    }


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_a_recorded_decision_gives_the_result_it_was_taken_with(decision: str) -> None:
    form = parse_decision({"decision": decision, "comment": "ok"}, make_link())
    approval = make_approval(
        status="APPROVED" if decision == "approve" else "REJECTED",
        decided_by="ana@example.com",
        decided_at="t",
        comment="ok",
    )

    assert recorded_result(approval) == callback_result(form, make_link(), "t")


def test_a_rejection_is_a_result_with_approved_false() -> None:
    form = parse_decision({"decision": "reject"}, make_link())

    assert form.comment is None
    assert callback_result(form, make_link(), "t")["approved"] is False


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "choose Approve or Reject"),
        ({"decision": ""}, "choose Approve or Reject"),
        ({"decision": "maybe"}, "choose Approve or Reject"),
        (
            {"decision": "approve", "comment": "x" * 1001},
            "the comment is 1001 characters; the limit is 1000",
        ),
    ],
)
def test_bad_forms_say_what_is_wrong(fields: dict[str, str], message: str) -> None:
    # The page shows the message as it is: "Not recorded: <message>."
    with pytest.raises(InvalidDecisionError) as raised:
        parse_decision(fields, make_link())

    assert str(raised.value) == message


def test_a_comment_of_exactly_the_limit_is_kept_whole() -> None:
    comment = "x" * MAX_COMMENT_CHARS

    form = parse_decision(
        {"decision": "reject", "comment": f" {comment} "}, make_link()
    )

    assert form == DecisionForm(Decision.REJECT, comment)


def test_a_decision_outside_the_links_scope_is_refused() -> None:
    with pytest.raises(InvalidDecisionError, match="cannot approve"):
        parse_decision({"decision": "approve"}, make_link(scope=("reject",)))
