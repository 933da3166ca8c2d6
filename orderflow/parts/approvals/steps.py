"""Asking a human: the approval request a callback submitter makes, and its time-out.

``request_approval`` runs as the submitter of ``wait-for-approval-N`` (a step):
it stores the pending approval, mints the link (the store keeps its hash),
sends the email once, writes the audit entry and marks the order, in that order.
``expire_request`` runs as ``expire-approval-N`` when nobody answered in time.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from orderflow.domain.records import ApprovalLink, ApprovalRequest, AuditEntry
from orderflow.parts.approvals.escalation import AuditAction
from orderflow.parts.approvals.links import (
    TOKEN_BYTES,
    link_expiry,
    mint_token,
    token_hash,
)
from orderflow.parts.approvals.mail import approval_link, approval_message, links_in
from orderflow.parts.deps import Deps
from orderflow.processes.orders.status import OrderStatus


def approval_key(callback_id: str) -> str:
    """A stable public name for one approval request, revealing nothing."""
    return hashlib.sha256(callback_id.encode()).hexdigest()[:32]


def approval_message_id(callback_id: str) -> str:
    """The id of the approval's email: one per callback, however often retried."""
    return "approval-" + approval_key(callback_id)


def request_approval(
    deps: Deps,
    callback_id: str,
    *,
    order: dict[str, Any],
    approver: str,
    round_no: int,
    needed: int,
) -> None:
    """Store the approval, send its link once, mark the order; idempotent.

    Keyed on the callback id: a retried submitter finds the approval and the
    sent message, and sends nothing twice. A retry after a crash between
    minting a link and delivering it mints another; the first was never sent.
    """
    order_id = str(order["order_id"])
    created = deps.now()
    deps.store.put_approval(
        ApprovalRequest(
            callback_id=callback_id,
            subject_id=order_id,
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
        link_id = _send_link(deps, stored, order, message_id, round_no, needed)
    else:
        tokens = [u.rsplit("/", 1)[1] for u in links_in(sent.body)]
        link_id = token_hash(tokens[0])[:16] if tokens else None
    deps.store.add_audit(
        AuditEntry(
            entry_id=f"{order_id}:{round_no}:requested",
            subject_id=order_id,
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
    # order's status answer lists them), so a second approver never shows stale.
    # The risk (score, reasons, model) never changes, so the read model may show it.
    deps.store.set_status(
        order_id,
        OrderStatus.AWAITING_APPROVAL,
        at=deps.stamp(),
        detail={"risk": order.get("risk") or {}},
    )


def _send_link(
    deps: Deps,
    approval: ApprovalRequest,
    order: dict[str, Any],
    message_id: str,
    round_no: int,
    needed: int,
) -> str:
    """Mint a link for ``approval``, store its hash, deliver the email; its id."""
    token = mint_token(secrets.token_bytes(TOKEN_BYTES))
    risk = order.get("risk") or {}
    link = ApprovalLink(
        token_hash=token_hash(token),
        callback_id=approval.callback_id,
        subject_id=approval.subject_id,
        approver=approval.approver,
        created_at=approval.created_at,
        expires_at=approval.expires_at,
        round=round_no,
        needed=needed,
        risk_score=int(risk.get("score") or 0),
        reasons=tuple(str(r) for r in risk.get("reasons", [])),
    )
    deps.store.put_link(link)
    assert deps.notifier is not None, "Deps sets a notifier"
    deps.notifier.deliver(
        approval_message(
            message_id=message_id,
            order=order,
            approver=approval.approver,
            link=approval_link(deps.settings.public_url, token),
            expires_at=datetime.fromisoformat(approval.expires_at),
            round_no=round_no,
            needed=needed,
            created_at=approval.created_at,
        )
    )
    return link.link_id


def expire_request(
    deps: Deps,
    *,
    order_id: str,
    approver: str,
    round_no: int,
    escalate_to: str | None,
) -> None:
    """Close a request nobody answered: EXPIRED, then escalate or give up."""
    at = deps.stamp()
    note = f"escalated to {escalate_to}" if escalate_to else "no approver left"
    for pending in deps.store.list_approvals(subject_id=order_id, status="PENDING"):
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
        detail = {"reason": "no approver left to ask; the order is cancelled"}
        entries.append((AuditAction.CANCELLED, "orderflow", detail))
    for action, actor, data in entries:
        deps.store.add_audit(
            AuditEntry(
                entry_id=f"{order_id}:{round_no}:{action}",
                subject_id=order_id,
                at=at,
                actor=actor,
                action=action,
                detail=data,
            )
        )
