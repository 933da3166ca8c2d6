"""Asking a human: the approval request a callback submitter makes, and its time-out.

``request_approval`` runs as the submitter of ``wait-for-approval-N`` (a step):
it stores the pending approval, mints the link (the store keeps its hash),
sends the email once, writes the audit entry and marks the subject, in that order.
``verify_decision`` runs as ``verify-approval-N`` once the callback completes:
the workflow acts on the desk's claimed decision, never on the callback's result.
``expire_request`` runs as ``expire-approval-N`` when nobody answered in time.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from orderflow.domain.records import Alert, ApprovalLink, ApprovalRequest, AuditEntry
from orderflow.parts.approvals.escalation import AuditAction
from orderflow.parts.approvals.links import (
    TOKEN_BYTES,
    link_expiry,
    mint_token,
    token_hash,
)
from orderflow.parts.approvals.mail import (
    approval_link,
    approval_message,
    link_ids_in,
)
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
    timeout_seconds: int | None = None,
    replaces: bool = False,
) -> None:
    """Store the approval, send its link once, mark the subject; idempotent.

    ``timeout_seconds`` (the settings' approval time-out when None) is how long
    the link lives; ``replaces`` says the email replaces a link that was voided.

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
                created,
                deps.settings.approval_timeout_seconds
                if timeout_seconds is None
                else timeout_seconds,
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
        link = Ask(subject, wording, round_no, needed, escalated, replaces)
        link_id = _send_link(deps, stored, link, message_id)
    else:
        link_id = next(iter(link_ids_in(sent.body)), None)
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
    replaces: bool = False


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
            replaces=ask.replaces,
            created_at=approval.created_at,
        )
    )
    return link.link_id


UNVERIFIED = "unverified-completion"  # the alert's kind
SYSTEM_ERROR = "system error: "  # how the desk's comment on a failed request starts
VOIDED = "closed: the request was answered outside orderflow; a new link follows"


def verify_decision(
    deps: ApprovalDeps,
    result: Any,
    *,
    subject_id: str,
    approver: str,
    round_no: int,
    accepted: Collection[str],
    failed: bool = False,
) -> dict[str, Any]:
    """The decision of record behind callback ``result``, or why there is none.

    Anyone allowed to complete a callback can complete it with any JSON. The
    desk claims a decision in the store (one conditional write) before it
    completes the callback with that decision's time, so a result is of record
    only when it matches a claim: by ``approver``, decided by them, with the
    same verdict and time, not already ``accepted`` in an earlier round. The
    verdict, approver and comment then come from the claim. A ``failed``
    callback is of record when the desk closed the request for a system error
    (``ApprovalDesk._system_error``) before failing it.

    Anything else is not acted on: the approver's pending request is voided
    (its link stops working), the attempt is audited with what it claimed and
    alerted as critical. The result says how many seconds that request had
    left, for the workflow to ask again.
    """
    store = deps.store
    # The index may lag; the claim is read again by its key (a consistent read).
    asked = [
        fresh
        for listed in store.list_approvals(subject_id=subject_id)
        if listed.approver == approver
        and approval_key(listed.callback_id) not in accepted
        and (fresh := store.get_approval(listed.callback_id)) is not None
    ]
    for approval in asked if failed else ():
        if approval.status == "EXPIRED" and (approval.comment or "").startswith(
            SYSTEM_ERROR
        ):
            return {"verified": True, "key": approval_key(approval.callback_id)}
    claimed = isinstance(result, dict) and not failed
    for approval in asked if claimed else ():
        if (
            approval.status in ("APPROVED", "REJECTED")
            and approval.decided_by == approval.approver
            and approval.decided_at is not None
            and approval.decided_at == result.get("decided_at")
            and (approval.status == "APPROVED") == (result.get("approved") is True)
        ):
            return {
                "verified": True,
                "approved": approval.status == "APPROVED",
                "approver": approval.approver,
                "comment": approval.comment,
                "key": approval_key(approval.callback_id),
            }
    now = deps.now()
    left = max(
        (
            int((datetime.fromisoformat(a.expires_at) - now).total_seconds())
            for a in asked
        ),
        default=0,
    )
    at = now.isoformat()
    for approval in asked:
        if approval.status == "PENDING":
            store.decide_approval(
                approval.callback_id,
                status="EXPIRED",
                decided_by="orderflow",
                at=at,
                comment=VOIDED,
            )
    detail: dict[str, Any] = {
        "approver": approver,
        "round": round_no,
        "claimed": {"failed": True} if failed else _claimed(result),
        "seconds_left": max(left, 0),
    }
    store.add_audit(
        AuditEntry(
            entry_id=f"{subject_id}:{round_no}:{AuditAction.UNVERIFIED}",
            subject_id=subject_id,
            at=at,
            actor="unknown",
            action=AuditAction.UNVERIFIED,
            detail=detail,
        )
    )
    store.add_alert(
        Alert(
            alert_id=f"{subject_id}:{UNVERIFIED}:{round_no}",
            subject_id=subject_id,
            kind=UNVERIFIED,
            severity="critical",
            message=(
                f"approval {round_no} of {subject_id} was completed outside the "
                f"approval page, not by {approver}: not acted on"
            ),
            created_at=at,
            detail=detail,
        )
    )
    return {"verified": False, "seconds_left": max(left, 0)}


def _claimed(result: Any) -> dict[str, Any]:
    """What an unverified result claimed, for the audit trail, cut short."""
    if not isinstance(result, dict):
        return {"type": type(result).__name__}
    fields = ("approved", "approver", "decided_at", "comment")
    return {k: str(result[k])[:200] for k in fields if k in result}


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
