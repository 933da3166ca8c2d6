"""The return request: pydantic v2 models at the edge, validated once.

``parse_return`` turns any JSON-ish body of ``POST /returns`` into a
``ReturnRequest`` or an ``InvalidReturnError`` whose fields name every problem
by dotted path (``items.0.quantity``), as ``parse_order`` does for orders.
Whether the order allows the return is a separate, later check (``rules``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from orderflow.domain.errors import InvalidInputError
from orderflow.parts.validation import MultiLine, parse_body
from orderflow.processes.orders.order import (
    MAX_QUANTITY,
    ORDER_ID_PATTERN,
    SKU_PATTERN,
)

# The return id becomes the execution name, so it obeys the order id's rule.
RETURN_ID_PATTERN = ORDER_ID_PATTERN
# SKU_PATTERN: the order's LineItem.sku rule, as a return names SKUs of an order.
MAX_RETURN_LINES = 100
MAX_COMMENT_LENGTH = 1_000


class InvalidReturnError(InvalidInputError):
    """The return does not satisfy the schema; ``fields`` names each problem."""

    what = "return"


class ReturnReason(StrEnum):
    """Why the customer sends the items back."""

    DAMAGED = "damaged"
    WRONG_ITEM = "wrong_item"
    NOT_AS_DESCRIBED = "not_as_described"
    CHANGED_MIND = "changed_mind"
    OTHER = "other"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _absent(value: object) -> bool:
    return value is None


class ReturnLine(_Strict):
    """One SKU of the order and how many of its units come back."""

    sku: Annotated[str, Field(pattern=SKU_PATTERN)]
    quantity: Annotated[int, Field(gt=0, le=MAX_QUANTITY, strict=True)]


class ReturnRequest(_Strict):
    """A return as accepted at ``POST /returns``."""

    return_id: Annotated[str, Field(pattern=RETURN_ID_PATTERN)]
    order_id: Annotated[str, Field(pattern=ORDER_ID_PATTERN)]
    items: Annotated[list[ReturnLine], Field(min_length=1, max_length=MAX_RETURN_LINES)]
    reason: ReturnReason
    # Left out of the JSON form when missing, so a dump re-parses unchanged.
    comment: Annotated[MultiLine, Field(max_length=MAX_COMMENT_LENGTH)] | None = Field(
        default=None, exclude_if=_absent
    )

    @field_validator("items")
    @classmethod
    def _one_line_per_sku(cls, items: list[ReturnLine]) -> list[ReturnLine]:
        skus = [item.sku for item in items]
        if len(set(skus)) != len(skus):
            raise ValueError("each sku may appear on one line only")
        return items


def parse_return(data: Any) -> ReturnRequest:
    """Validate ``data`` (a dict from JSON) into a ``ReturnRequest``.

    Args:
        data: the decoded JSON body of ``POST /returns``.

    Returns:
        The validated, frozen request.

    Raises:
        InvalidReturnError: naming every failing field by dotted path.
    """
    return parse_body(ReturnRequest, data, InvalidReturnError)
