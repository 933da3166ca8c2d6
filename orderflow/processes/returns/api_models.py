"""The returns API's answers as pydantic models, for docs/openapi.json.

``POST /returns`` takes a ``ReturnRequest``; these describe what comes back.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from orderflow.processes.orders.api_models import (
    Accepted,
    ApiError,
    FieldProblem,
    SubjectView,
)
from orderflow.processes.returns.model import ReturnRequest
from orderflow.processes.returns.status import ReturnStatus


class InvalidReturn(ApiError):
    """400: the body is not JSON, or not a valid return; every problem named."""

    fields: list[FieldProblem]


class ReturnProblem(BaseModel):
    """One reason the order does not allow the return."""

    code: str = Field(
        description="unknown_order, order_not_completed, sku_not_on_order, "
        "too_many_units, outside_window or not_delivered."
    )
    field: str = Field(description="Dotted path, e.g. items.0.quantity, or order_id.")
    message: str


class ReturnRefused(ApiError):
    """404, 409 or 422: the order does not allow this return; nothing started."""

    problems: list[ReturnProblem] = Field(default_factory=list)


class ReturnAccepted(Accepted):
    """202: the return is recorded, its units held, its execution started."""

    return_id: str
    status: ReturnStatus


class ReturnView(SubjectView):
    """200: the return's read model, its effects and its approvals."""

    return_id: str
    status: ReturnStatus
    return_: ReturnRequest | dict[str, Any] = Field(alias="return")
