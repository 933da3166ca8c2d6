"""Asking a human: the approval request a callback submitter stores and sends."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from orderflow.domain.records import ApprovalRequest, OutboxMessage
from orderflow.domain.status import OrderStatus
from orderflow.steps.deps import Deps


def approval_message_id(callback_id: str) -> str:
    """A message id derived from the callback id, without revealing it."""
    return "approval-" + hashlib.sha256(callback_id.encode()).hexdigest()[:32]


def request_approval(
    deps: Deps, callback_id: str, *, order_id: str, approver: str, risk: dict[str, Any]
) -> None:
    """Store the pending approval, queue its email, mark the order; idempotent.

    Every write is keyed on the callback id (or is a no-op when repeated), so a
    retried submitter leaves one approval, one message and one status change.
    """
    created = deps.now()
    expires = created + timedelta(seconds=deps.settings.approval_timeout_seconds)
    deps.store.put_approval(
        ApprovalRequest(
            callback_id=callback_id,
            order_id=order_id,
            approver=approver,
            created_at=created.isoformat(),
            expires_at=expires.isoformat(),
        )
    )
    reasons = "\n".join(f"- {r}" for r in risk.get("reasons", [])) or "- none"
    model = risk.get("model") or {}
    scored_by = (
        f"Scored by {model.get('version')} (sha256 {str(model.get('sha256'))[:12]}).\n"
        if model
        else ""
    )
    deps.store.add_outbox(
        OutboxMessage(
            message_id=approval_message_id(callback_id),
            order_id=order_id,
            recipient=approver,
            subject=f"Approval needed: order {order_id} (risk {risk.get('score')})",
            body=(
                f"Order {order_id} needs your decision before "
                f"{expires:%Y-%m-%d %H:%M} UTC.\nRisk {risk.get('score')}/100:\n"
                f"{reasons}\n{scored_by}\nDecide with: orderflow approve {order_id} "
                f"(or reject {order_id})\n"
            ),
            created_at=created.isoformat(),
        )
    )
    # Who must decide, and by when, is read from the approvals themselves (the
    # order's status answer lists them), so a second approver never shows stale.
    # The risk (score, reasons, model) never changes, so the read model may show it.
    deps.store.set_status(
        order_id,
        OrderStatus.AWAITING_APPROVAL,
        at=created.isoformat(),
        detail={"risk": risk},
    )
