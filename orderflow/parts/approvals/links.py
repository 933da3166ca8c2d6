"""Approval links: opaque tokens, their hashes, CSRF values and a link's state.

A link is ``<public_url>/approvals/<token>``. The token is 192 random bits in
base64url (32 characters) plus a 4-character checksum, so a mistyped or edited
link is told apart from one that was never issued. The store keeps only the
token's SHA-256; whoever reads the store cannot rebuild a link.

The CSRF value of a link's form is an HMAC of the token's hash and the link's
approver under a server secret: only a page the server rendered carries it, it
needs no cookie and no JavaScript, and it is the same on every server instance.

Pure: randomness and time come in as arguments.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from orderflow.domain.errors import OrderflowError
from orderflow.domain.records import ApprovalLink, ApprovalRequest
from orderflow.parts.text import UnshowableTextError, checked

TOKEN_BYTES = 24  # 192 bits: far past the 128 the design asks for
TOKEN_LENGTH = 36  # 32 characters of randomness + 4 of checksum
_TOKEN_RE = re.compile(rf"^[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}$")
_CHECK_SALT = b"orderflow-link-check:v1:"
_CSRF_SALT = b"orderflow-csrf:v1:"
MAX_COMMENT_CHARS = 1000
# A link stops a little before its callback times out (a tenth of the time-out,
# at most a minute), so the page never offers a decision the service refuses.
MAX_EXPIRY_MARGIN = timedelta(minutes=1)


class LinkState(StrEnum):
    """What a link can still do, as its page says it."""

    OPEN = "open"  # decide now
    DECIDED = "decided"  # somebody decided this approval already
    EXPIRED = "expired"  # timed out, escalated, or the order ended
    UNKNOWN = "unknown"  # well-formed, but never issued here
    TAMPERED = "tampered"  # malformed or its checksum fails


class Decision(StrEnum):
    """What an approver may answer."""

    APPROVE = "approve"
    REJECT = "reject"


class InvalidDecisionError(OrderflowError):
    """A decision form that cannot be acted on; the message says why."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _checksum(body: str) -> str:
    return _b64(hashlib.sha256(_CHECK_SALT + body.encode()).digest()[:3])


def mint_token(random_bytes: bytes) -> str:
    """A link token from ``TOKEN_BYTES`` random bytes (``secrets.token_bytes``)."""
    if len(random_bytes) != TOKEN_BYTES:
        raise ValueError(f"a token needs {TOKEN_BYTES} random bytes")
    body = _b64(random_bytes)
    return body + _checksum(body)


def is_well_formed(token: str) -> bool:
    """True when ``token`` has the shape and checksum of one we issue."""
    if not _TOKEN_RE.match(token):
        return False
    body, check = token[:-4], token[-4:]
    return hmac.compare_digest(_checksum(body), check)


def token_hash(token: str) -> str:
    """The SHA-256 of a token, hex: the only form the store keeps."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_value(secret: bytes, link: ApprovalLink) -> str:
    """The form's CSRF value for ``link``: HMAC(secret, token hash, approver)."""
    message = _CSRF_SALT + f"{link.token_hash}\n{link.approver}".encode()
    return _b64(hmac.new(secret, message, hashlib.sha256).digest())


def csrf_ok(secret: bytes, link: ApprovalLink, candidate: str | None) -> bool:
    """True when ``candidate`` is the CSRF value of ``link`` (constant time).

    Compared as UTF-8 bytes: ``compare_digest`` raises TypeError on a str with
    anything but ASCII in it, and a form may carry any text.
    """
    return bool(candidate) and hmac.compare_digest(
        csrf_value(secret, link).encode(),
        (candidate or "").encode("utf-8", "surrogatepass"),
    )


def link_expiry(created: datetime, timeout_seconds: int) -> datetime:
    """When a link made at ``created`` stops: before its callback times out."""
    timeout = timedelta(seconds=timeout_seconds)
    return created + timeout - min(MAX_EXPIRY_MARGIN, timeout / 10)


def link_state(
    link: ApprovalLink | None, approval: ApprovalRequest | None, now: datetime
) -> LinkState:
    """What ``link`` can do at ``now``, given its approval's record."""
    if link is None or approval is None:
        return LinkState.UNKNOWN
    if approval.status in ("APPROVED", "REJECTED"):
        return LinkState.DECIDED
    if approval.status != "PENDING" or now >= datetime.fromisoformat(link.expires_at):
        return LinkState.EXPIRED
    return LinkState.OPEN


def time_left(expires_at: str, now: datetime) -> str:
    """Time until ``expires_at`` in words: "3 h 12 min", "45 s", "no time"."""
    seconds = int((datetime.fromisoformat(expires_at) - now).total_seconds())
    if seconds <= 0:
        return "no time"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else f"{secs} s"


@dataclass(frozen=True)
class DecisionForm:
    """A parsed, checked decision form."""

    decision: Decision
    comment: str | None


def parse_decision(fields: Mapping[str, str], link: ApprovalLink) -> DecisionForm:
    """The decision and comment of a POSTed form, within the link's scope.

    Any approver named in the form is ignored: the link decides who decides.

    Raises:
        InvalidDecisionError: no decision, one outside the scope, or a comment
            that is too long or holds a control or format character.
    """
    raw = (fields.get("decision") or "").strip().lower()
    if raw not in {d.value for d in Decision}:
        raise InvalidDecisionError("choose Approve or Reject")
    if raw not in link.scope:
        raise InvalidDecisionError(f"this link cannot {raw}")
    try:
        comment = checked((fields.get("comment") or "").strip(), multiline=True)
    except UnshowableTextError as e:
        raise InvalidDecisionError(f"the comment {e}") from e
    if len(comment) > MAX_COMMENT_CHARS:
        raise InvalidDecisionError(
            f"the comment is {len(comment)} characters; the limit is "
            f"{MAX_COMMENT_CHARS}"
        )
    return DecisionForm(Decision(raw), comment or None)


def callback_result(
    form: DecisionForm, link: ApprovalLink, decided_at: str
) -> dict[str, object]:
    """The JSON the callback completes with: a rejection is a success too."""
    return {
        "approved": form.decision is Decision.APPROVE,
        "approver": link.approver,
        "comment": form.comment,
        "decided_at": decided_at,
    }


def recorded_result(approval: ApprovalRequest) -> dict[str, object]:
    """The callback result of the human decision ``approval`` records.

    The same JSON ``callback_result`` made when the decision was taken: the
    store keeps the decision, its approver, comment and time.
    """
    return {
        "approved": approval.status == "APPROVED",
        "approver": approval.approver,
        "comment": approval.comment,
        "decided_at": approval.decided_at,
    }
