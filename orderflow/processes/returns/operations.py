"""The return's operation names: stable, kebab-case, one StrEnum.

They are in every checkpoint of a return (docs/changing-workflows.md).
"""

from __future__ import annotations

from enum import StrEnum

# The version a new execution starts with (validate-return's result records it;
# older executions have none and are version 1). Version 2 added one
# verify-approval-<n> step after each approval's callback (decisions of record).
WORKFLOW_VERSION = 2


class ReturnOp(StrEnum):
    """Every durable operation of the return workflow, by its stable name."""

    VALIDATE_RETURN = "validate-return"
    WAIT_FOR_APPROVAL = "wait-for-approval"  # -<n>: the n-th approver asked
    EXPIRE_APPROVAL = "expire-approval"  # -<n>: the n-th ask timed out
    VERIFY_APPROVAL = "verify-approval"  # -<n>: its answer checked (version 2)
    CREATE_RETURN_LABEL = "create-return-label"
    WAIT_FOR_PARCEL = "wait-for-parcel"  # ends with the warehouse's inspection
    VOID_RETURN_LABEL = "void-return-label"
    RELEASE_UNITS = "release-return-units"
    RESTOCK_INVENTORY = "restock-inventory"
    WITHDRAW_RESTOCK = "compensate-withdraw-restock"
    REFUND_PAYMENT = "refund-payment"
    CHECK_REFUND = "compensate-check-refund"
    CHECK_ORDER_BOOKS = "check-order-books"
    RAISE_ALERTS = "raise-alerts"


def return_key(return_id: str, op: ReturnOp) -> str:
    """The provider-side key of one effect of the return: stable across replays."""
    return f"{return_id}:{op}"
