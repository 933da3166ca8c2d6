"""What ``GET /returns/{return_id}`` (functions/order_status) answers.

The read model, its approvals, and the return's effects in the order's ledger.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from orderflow.parts.readmodel import subject_answer
from orderflow.ports import Store
from orderflow.processes.returns.approval import KIND
from orderflow.processes.returns.books import return_effects


def return_answer(store: Store, return_id: str) -> dict[str, Any] | None:
    """The return's status, history, approvals and effects; None unless a return."""
    record = store.get_subject(return_id)
    if record is None or record.kind != KIND:
        return None
    body = subject_answer(store, record)
    order_id = str(record.body.get("order_id", ""))
    effects = return_effects(store.list_effects(order_id), return_id)
    body["effects"] = [asdict(e) for e in effects]
    return body
