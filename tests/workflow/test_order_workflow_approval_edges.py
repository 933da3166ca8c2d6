"""Approval edge cases: the read model between approvals.

While an order waits, its approvals say who it waits for and until when. What
a callback result may claim is tests/workflow/test_decisions_of_record.py's.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.utils.orders import low_risk_order
from tests.workflow.conftest import Harness


def test_read_model_names_the_second_approver_while_waiting_for_them(
    harness: Callable[..., Harness],
) -> None:
    h = harness()
    big = [{"sku": "WATCH-GOLD", "quantity": 1, "unit_price": "12000.00"}]
    arn = h.start(low_risk_order("ORD-T-WHO", items=big))
    h.decide(arn, 1, approved=True, approver="approver@example.com")
    h.callback_id(arn, 2)

    record = h.store.get_subject("ORD-T-WHO")
    first, second = h.store.list_approvals(subject_id="ORD-T-WHO")
    assert record is not None
    assert record.status == "AWAITING_APPROVAL"
    assert first.approver == "approver@example.com"
    assert (second.status, second.approver) == ("PENDING", "manager@example.com")
    assert "approver" not in record.detail  # never a stale copy in the read model
