"""The approval email: what the approver reads, with the one link to click.

Pure text. The link's token appears here and nowhere else; ``redact_links``
gives a copy worth keeping: the link's id (from its token's hash) in place of
its token, with a note (sent by SES; or withheld, in the deployed outbox, until
an operator re-issues it through the desk).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from orderflow.domain.records import OutboxMessage
from orderflow.parts.approvals.links import token_hash
from orderflow.parts.approvals.subject import Subject, Wording

# A link is <base>/approvals/<36-character token>; see approval_links.
LINK_RE = re.compile(r"(?P<base>https?://\S+?/approvals/)(?P<token>[A-Za-z0-9_-]{36})")
# ... and one ``redact_links`` cut the token out of: <base>/approvals/(link <id>: why)
ANY_LINK_RE = re.compile(
    r"(?P<base>https?://\S+?/approvals/)(?:(?P<token>[A-Za-z0-9_-]{36})"
    r"|\(link (?P<link_id>[0-9a-f]{16}): [^)\n]*\))"
)
SENT = "sent by email"
WITHHELD = "withheld; an operator re-issues it through the approval desk"


def approval_link(public_url: str, token: str) -> str:
    """The link an approver clicks."""
    return f"{public_url.rstrip('/')}/approvals/{token}"


def money(cents: int, currency: str) -> str:
    """``289900, "USD"`` as ``2,899.00 USD``."""
    return f"{cents / 100:,.2f} {currency}"


def _scored_by(model: Mapping[str, Any] | None) -> str:
    if not model:
        return ""
    return (
        f"Scored by {model.get('version')} (sha256 {str(model.get('sha256'))[:12]}).\n"
    )


def approval_message(
    *,
    message_id: str,
    subject: Subject,
    wording: Wording,
    approver: str,
    link: str,
    expires_at: datetime,
    needed: int,
    escalated: bool,
    created_at: str,
    replaces: bool = False,
) -> OutboxMessage:
    """The email asking ``approver`` to decide ``subject`` through ``link``.

    ``escalated``: the person asked before in this stage let the request time
    out, so this one is asked in their place (and the email says so).
    ``replaces``: this link replaces one of theirs that was voided.
    """
    reasons = "\n".join(f"  - {r}" for r in subject.reasons) or "  - none"
    risk = (
        f"Risk score: {subject.risk_score}/100, because:\n{reasons}\n"
        f"{_scored_by(subject.risk.get('model'))}"
        if subject.risk
        else ""
    )
    which = f" (one of {needed} approvals)" if needed > 1 else ""
    amount = money(subject.amount_cents, subject.currency)
    body = (
        f"{subject.title} needs your decision{which}.\n\n"
        f"{wording.amount_label}: {amount}\n"
        f"{risk}\n"
        f"Review the {wording.noun} and approve or reject it here:\n{link}\n\n"
        f"The link works once, for you ({approver}) only, until "
        f"{expires_at:%Y-%m-%d %H:%M:%S} UTC. Do not forward it.\n"
    )
    if escalated:
        body += "You are asked because an earlier request was not answered in time.\n"
    if replaces:
        body += (
            "This link replaces an earlier one, which was closed because the "
            "request was answered outside orderflow. Decide here, once.\n"
        )
    return OutboxMessage(
        message_id=message_id,
        subject_id=subject.subject_id,
        recipient=approver,
        subject=f"Approval needed: {wording.noun} {subject.subject_id} ({amount})",
        body=body,
        created_at=created_at,
    )


def links_in(text: str) -> list[str]:
    """Every approval link in ``text``, in order."""
    return [m.group(0) for m in LINK_RE.finditer(text)]


def redact_links(text: str, why: str = SENT) -> str:
    """``text`` with each link's token replaced by its link id and ``why``.

    A copy safe to store: nobody can rebuild the link from it.
    """
    return LINK_RE.sub(
        lambda m: f"{m.group('base')}(link {token_hash(m.group('token'))[:16]}: {why})",
        text,
    )


def link_ids_in(text: str) -> list[str]:
    """The id of every approval link in ``text``, whole or redacted, in order."""
    return [
        m.group("link_id") or token_hash(m.group("token"))[:16]
        for m in ANY_LINK_RE.finditer(text)
    ]


def relink(text: str, link: str) -> str:
    """``text`` with every approval link in it, whole or redacted, now ``link``."""
    return ANY_LINK_RE.sub(lambda _: link, text)
