"""The claim: a pydantic model at the edge, its statuses, its operation names."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from orderflow.domain.errors import InvalidInputError
from orderflow.parts.validation import (
    SUBJECT_ID_PATTERN,
    OneLine,
    parse_body,
    worded,
)

KIND = "expense"


class ExpenseStatus(StrEnum):
    """Where a claim is. The same table is in docs/adding-a-process.md."""

    RECEIVED = "RECEIVED"  # recorded; the execution is starting
    AWAITING_APPROVAL = "AWAITING_APPROVAL"  # suspended on the manager's decision
    APPROVED = "APPROVED"  # approved: finance pays it with the next run (terminal)
    REJECTED = "REJECTED"  # rejected by the manager (terminal)
    CANCELLED = "CANCELLED"  # nobody decided in time (terminal)
    FAILED = "FAILED"  # could not be processed (terminal)


TERMINAL = frozenset(
    {
        ExpenseStatus.APPROVED,
        ExpenseStatus.REJECTED,
        ExpenseStatus.CANCELLED,
        ExpenseStatus.FAILED,
    }
)


CURRENCY_PATTERN = worded(
    r"^[A-Z]{3}$", "a three-letter currency code in capitals (ISO 4217), such as EUR"
)

# The version a new execution starts with (record-claim's result records it;
# older executions have none and are version 1). Version 2 added one
# verify-approval-<n> step after each approval's callback (decisions of record).
WORKFLOW_VERSION = 2


class ExpenseOp(StrEnum):
    """The claim's durable operations, by their stable names."""

    RECORD_CLAIM = "record-claim"
    # wait-for-approval-<n>, verify-approval-<n> (version 2) and
    # expire-approval-<n> come from the approvals part
    CLOSE_CLAIM = "close-claim"


class InvalidClaimError(InvalidInputError):
    """The claim does not satisfy the schema; ``fields`` names each problem."""

    what = "expense"


class ExpenseClaim(BaseModel):
    """What an employee claims, and for what."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    expense_id: Annotated[str, Field(pattern=SUBJECT_ID_PATTERN)]
    employee_id: Annotated[str, Field(pattern=SUBJECT_ID_PATTERN)]
    amount_cents: Annotated[int, Field(gt=0, le=10_000_000, strict=True)]
    currency: Annotated[str, Field(pattern=CURRENCY_PATTERN)]
    description: Annotated[OneLine, Field(min_length=1, max_length=200)]


def parse_claim(data: Any) -> ExpenseClaim:
    """Validate a decoded JSON claim; ``InvalidClaimError`` names every bad field."""
    return parse_body(ExpenseClaim, data, InvalidClaimError)
