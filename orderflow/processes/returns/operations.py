"""The return's operation names: stable, kebab-case, one StrEnum.

They are in every checkpoint of a return (docs/changing-workflows.md).
"""

from __future__ import annotations

from enum import StrEnum


class ReturnOp(StrEnum):
    """Every durable operation of the return workflow, by its stable name."""

    VALIDATE_RETURN = "validate-return"
    WAIT_FOR_APPROVAL = "wait-for-approval"  # -<n>: the n-th approver asked
    EXPIRE_APPROVAL = "expire-approval"  # -<n>: the n-th ask timed out
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
