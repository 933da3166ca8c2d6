"""The workflow's durable operations, by their stable names.

Operation names are part of every checkpoint: renaming or reordering one breaks
replay of executions in flight, so they live here, once, as constants.
"""

from __future__ import annotations

from enum import StrEnum

# The version a new execution starts with (validate-order's result records it;
# older executions have none and are version 1). Version 2 added one
# verify-approval-<n> step after each approval's callback (decisions of record).
WORKFLOW_VERSION = 2


class Op(StrEnum):
    """Every durable operation of the order workflow, by its stable name."""

    VALIDATE_ORDER = "validate-order"
    WAIT_FOR_APPROVAL = "wait-for-approval"  # -<n>: the n-th approver asked
    EXPIRE_APPROVAL = "expire-approval"  # -<n>: the n-th ask timed out
    VERIFY_APPROVAL = "verify-approval"  # -<n>: its answer checked (version 2)
    RESERVE_INVENTORY = "reserve-inventory"
    CAPTURE_PAYMENT = "capture-payment"
    CREATE_SHIPMENT = "create-shipment"
    CANCEL_SHIPMENT = "compensate-cancel-shipment"
    REFUND_PAYMENT = "compensate-refund-payment"
    RELEASE_INVENTORY = "compensate-release-inventory"
    RECONCILE_ORDER = "reconcile-order"
    # Fulfilment with an authorisation first, so a failure before capture voids a
    # hold instead of refunding money (orderflow/processes/orders/fulfilment.py).
    AUTHORIZE_PAYMENT = "authorize-payment"
    VOID_PAYMENT = "compensate-void-payment"
    # Reconciliation (orderflow/processes/orders/reconciliation.py).
    WAIT_FOR_DELIVERY = "wait-for-delivery"
    REFUND_DIFFERENCE = "repair-refund-difference"
    RELEASE_EXCESS = "repair-release-excess"
    CANCEL_EXTRA_SHIPMENTS = "repair-cancel-extra-shipments"
    RESHIP_ORDER = "repair-reship-order"
    WAIT_FOR_REDELIVERY = "wait-for-redelivery"
    RECHECK_BOOKS = "recheck-books"
    RAISE_ALERTS = "raise-alerts"
