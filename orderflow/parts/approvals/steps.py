"""Asking a human: the approval request a callback submitter makes, and its time-out.

``request_approval`` runs as the submitter of ``wait-for-approval-N`` (a step):
it stores the pending approval, mints the link (the store keeps its hash),
sends the email once, writes the audit entry and marks the subject, in that order.
``expire_request`` runs as ``expire-approval-N`` when nobody answered in time.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from orderflow.domain.records import ApprovalLink, ApprovalRequest, AuditEntry
from orderflow.parts.approvals.escalation import AuditAction
from orderflow.parts.approvals.links import (
    TOKEN_BYTES,
    link_expiry,
    mint_token,
    token_hash,
)
from orderflow.parts.approvals.mail import approval_link, approval_message, links_in
from orderflow.parts.approvals.subject import AWAITING_APPROVAL, Subject, Wording
from orderflow.ports import Notifier, Store


class ApprovalSettings(Protocol):
    """The settings approvals read."""

    @property
    def approval_timeout_seconds(self) -> int:
        """How long one approver has to decide."""
        ...

    @property
    def public_url(self) -> str:
        """The base of the links in approval emails."""
        ...


class ApprovalDeps(Protocol):
    """What the approval steps need: a store, a notifier, settings and a clock."""

    @property
    def store(self) -> Store:
        """Approvals, links, the audit trail and the outbox."""
        ...

    @property
    def notifier(self) -> Notifier | None:
        """How approval emails go out."""
        ...

    @property
    def settings(self) -> ApprovalSettings:
        """The approval time-out and the links' base."""
        ...

    @property
    def now(self) -> Callable[[], datetime]:
        """The clock."""
        ...

    def stamp(self) -> str:
        """The current time as ISO 8601, UTC."""
        ...


def approval_key(callback_id: str) -> str:
    """A stable public name for one approval request, revealing nothing."""
    return hashlib.sha256(callback_id.encode()).hexdigest()[:32]


def approval_message_id(callback_id: str) -> str:
    """The id of the approval's email: one per callback, however often retried."""
    return "approval-" + approval_key(callback_id)


def request_approval(
    deps: ApprovalDeps,
    callback_id: str,
    *,
    subject: Subject,
    wording: Wording,
    approver: str,
    round_no: int,
    needed: int,
    escalated: bool,
) -> None:
    """Store the approval, send its link once, mark the subject; idempotent.

    Keyed on the callback id: a retried submitter finds the approval and the
    sent message, and sends nothing twice. A retry after a crash between
    minting a link and delivering it mints another; the first was never sent.
    """
    subject_id = subject.subject_id
    created = deps.now()
    deps.store.put_approval(
        ApprovalRequest(
            callback_id=callback_id,
            subject_id=subject_id,
            approver=approver,
            created_at=created.isoformat(),
            expires_at=link_expiry(
                created, deps.settings.approval_timeout_seconds
            ).isoformat(),
        )
    )
    # The first attempt's times stand: a retry must not stretch the expiry.
    stored = deps.store.get_approval(callback_id)
    assert stored is not None, "the approval was just stored"
    message_id = approval_message_id(callback_id)
    sent = deps.store.get_outbox(message_id)
    link_id: str | None
    if sent is None:
        link = Ask(subject, wording, round_no, needed, escalated)
        link_id = _send_link(deps, stored, link, message_id)
    else:
        tokens = [u.rsplit("/", 1)[1] for u in links_in(sent.body)]
        link_id = token_hash(tokens[0])[:16] if tokens else None
    deps.store.add_audit(
        AuditEntry(
            entry_id=f"{subject_id}:{round_no}:requested",
            subject_id=subject_id,
            at=stored.created_at,
            actor="orderflow",
            action=AuditAction.REQUESTED,
            link_id=link_id,
            detail={
                "approver": approver,
                "round": round_no,
                "needed": needed,
                "expires_at": stored.expires_at,
            },
        )
    )
    # Who must decide, and by when, is read from the approvals themselves (the
    # subject's status answer lists them), so a second approver never shows
    # stale. The risk (score, reasons, model) never changes: the read model
    # may show it.
    deps.store.set_status(
        subject_id,
        AWAITING_APPROVAL,
        at=deps.stamp(),
        detail={"risk": dict(subject.risk)},
    )


@dataclass(frozen=True)
class Ask:
    """What one email asks: the subject, in its process's words, and which round."""

    subject: Subject
    wording: Wording
    round_no: int
    needed: int
    escalated: bool


def _send_link(
    deps: ApprovalDeps, approval: ApprovalRequest, ask: Ask, message_id: str
) -> str:
    """Mint a link for ``approval``, store its hash, deliver the email; its id."""
    token = mint_token(secrets.token_bytes(TOKEN_BYTES))
    link = ApprovalLink(
        token_hash=token_hash(token),
        callback_id=approval.callback_id,
        subject_id=approval.subject_id,
        approver=approval.approver,
        created_at=approval.created_at,
        expires_at=approval.expires_at,
        round=ask.round_no,
        needed=ask.needed,
        risk_score=ask.subject.risk_score,
        reasons=ask.subject.reasons,
    )
    deps.store.put_link(link)
    assert deps.notifier is not None, "Deps sets a notifier"
    deps.notifier.deliver(
        approval_message(
            message_id=message_id,
            subject=ask.subject,
            wording=ask.wording,
            approver=approval.approver,
            link=approval_link(deps.settings.public_url, token),
            expires_at=datetime.fromisoformat(approval.expires_at),
            needed=ask.needed,
            escalated=ask.escalated,
            created_at=approval.created_at,
        )
    )
    return link.link_id


def expire_request(
    deps: ApprovalDeps,
    *,
    subject_id: str,
    approver: str,
    round_no: int,
    escalate_to: str | None,
) -> None:
    """Close a request nobody answered: EXPIRED, then escalate or give up."""
    at = deps.stamp()
    note = f"escalated to {escalate_to}" if escalate_to else "no approver left"
    for pending in deps.store.list_approvals(subject_id=subject_id, status="PENDING"):
        deps.store.decide_approval(
            pending.callback_id,
            status="EXPIRED",
            decided_by="orderflow",
            at=at,
            comment=f"not decided in time; {note}",
        )
    entries: list[tuple[AuditAction, str, dict[str, object]]] = [
        (AuditAction.TIMED_OUT, approver, {"round": round_no})
    ]
    if escalate_to:
        detail = {"from": approver, "to": escalate_to, "round": round_no + 1}
        entries.append((AuditAction.ESCALATED, "orderflow", detail))
    else:
        detail = {"reason": "no approver left to ask"}
        entries.append((AuditAction.CANCELLED, "orderflow", detail))
    for action, actor, data in entries:
        deps.store.add_audit(
            AuditEntry(
                entry_id=f"{subject_id}:{round_no}:{action}",
                subject_id=subject_id,
                at=at,
                actor=actor,
                action=action,
                detail=data,
            )
        )
