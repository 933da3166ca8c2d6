"""The workflow's durable operations, by their stable names.

Operation names are part of every checkpoint: renaming or reordering one breaks
replay of executions in flight, so they live here, once, as constants.
"""

from __future__ import annotations

from enum import StrEnum

from orderflow.domain.status import OrderStatus


class Op(StrEnum):
    """Every durable operation of the order workflow, by its stable name."""

    VALIDATE_ORDER = "validate-order"
    WAIT_FOR_APPROVAL = "wait-for-approval"
    RESERVE_INVENTORY = "reserve-inventory"
    CAPTURE_PAYMENT = "capture-payment"
    CREATE_SHIPMENT = "create-shipment"
    CANCEL_SHIPMENT = "compensate-cancel-shipment"
    REFUND_PAYMENT = "compensate-refund-payment"
    RELEASE_INVENTORY = "compensate-release-inventory"
    RECONCILE_ORDER = "reconcile-order"


def status_op(status: OrderStatus) -> str:
    """The name of the step that records ``status``, e.g. ``record-approved``."""
    return "record-" + status.value.lower().replace("_", "-")
