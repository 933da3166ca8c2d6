"""Re-issuing a link: how an operator gets an approver a link that works.

The deployed table keeps no token: with no mail sender configured (the
default), nothing emails the approver, and the outbox keeps the email with its
link withheld. An operator then re-issues a link for the PENDING approval
(``orderflow reissue SUBJECT_ID``, against the deployed table or the local
store) and hands it to the approver, who decides on the page as with any link.

A re-issue mints a new token and stores its hash in place of the old link's
(``Store.replace_link``: the old link's page then says it has expired). The
approval itself is not touched, and the new link keeps the old one's approver,
round, scope and expiry: a decision through it is the desk's claim by the
approver asked, which the workflow verifies (``verify-approval-N``). The
re-issue is audited (``reissued``: by whom, for whom, through which link) in the
same write, and the email is queued again with the new link: the local outbox
keeps it; the table withholds it, as it withholds every link.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from orderflow.domain.errors import OrderflowError
from orderflow.domain.records import (
    ApprovalLink,
    ApprovalRequest,
    AuditEntry,
    OutboxMessage,
)
from orderflow.parts.approvals.escalation import AuditAction
from orderflow.parts.approvals.links import TOKEN_BYTES, mint_token, token_hash
from orderflow.parts.approvals.mail import approval_link, relink
from orderflow.parts.approvals.steps import approval_message_id
from orderflow.ports import Store


class ReissueError(OrderflowError):
    """No link can be re-issued; the message says why."""


@dataclass(frozen=True)
class Reissued:
    """A re-issued link: for the operator to hand to its approver, once."""

    subject_id: str
    approver: str
    link: str
    link_id: str
    expires_at: str


def _utcnow() -> datetime:
    return datetime.now(UTC)


def reissue_link(
    store: Store,
    subject_id: str,
    *,
    public_url: str,
    operator: str,
    approver: str | None = None,
    now: Callable[[], datetime] = _utcnow,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> Reissued:
    """A fresh link for ``subject_id``'s pending approval (``approver``'s, if named).

    Raises:
        ReissueError: nothing pending (for that approver), more than one
            approver pending and none named, the request has expired, or its
            link was replaced a moment ago (try again).
    """
    approval = _pending(store, subject_id, approver)
    at = now()
    if at >= datetime.fromisoformat(approval.expires_at):
        raise ReissueError(f"{subject_id}: the request has expired")
    token = mint_token(random_bytes(TOKEN_BYTES))
    new_hash = token_hash(token)
    stamp = at.isoformat()
    link = store.replace_link(
        approval.callback_id,
        new_hash,
        at=stamp,
        audit=AuditEntry(
            entry_id=uuid.uuid4().hex,
            subject_id=subject_id,
            at=stamp,
            actor=operator,
            action=AuditAction.REISSUED,
            link_id=new_hash[:16],
            detail={"approver": approval.approver, "expires_at": approval.expires_at},
        ),
    )
    if link is None:
        raise ReissueError(
            f"{subject_id}: no live link to replace (it expired, or was re-issued "
            "a moment ago: try again)"
        )
    url = approval_link(public_url, token)
    store.add_outbox(_email(store, approval, link, url))
    return Reissued(subject_id, link.approver, url, link.link_id, link.expires_at)


def _pending(store: Store, subject_id: str, approver: str | None) -> ApprovalRequest:
    """The one pending approval to re-issue, read again by its key."""
    listed = store.list_approvals(subject_id=subject_id, status="PENDING")
    pending = [
        fresh
        for a in listed
        if approver is None or a.approver.lower() == approver.lower()
        if (fresh := store.get_approval(a.callback_id)) and fresh.status == "PENDING"
    ]
    if not pending:
        whose = f" for {approver}" if approver else ""
        raise ReissueError(f"{subject_id} has no pending approval{whose}")
    if len(pending) > 1:
        names = ", ".join(a.approver for a in pending)
        raise ReissueError(f"{subject_id} waits for {names}: name one approver")
    return pending[0]


def _email(
    store: Store, approval: ApprovalRequest, link: ApprovalLink, url: str
) -> OutboxMessage:
    """The approval's email again, with the new link in place of the old."""
    first = store.get_outbox(approval_message_id(approval.callback_id))
    subject = first.subject if first else f"Approval needed: {approval.subject_id}"
    text = relink(first.body, url) if first else f"Decide here:\n{url}\n"
    return OutboxMessage(
        message_id=f"{approval_message_id(approval.callback_id)}-{link.link_id}",
        subject_id=approval.subject_id,
        recipient=approval.approver,
        subject=subject,
        body=text
        + f"An operator re-issued this link at {link.created_at}; earlier links "
        "for this request no longer work.\n",
        created_at=link.created_at,
    )
