"""The HTTP API's answers as pydantic models: the source of docs/openapi.json.

The request body is the domain's ``Order``; these describe what comes back.
scripts/openapi.py turns them, with the template's routes, into the published
OpenAPI document, and the fuzz tests (tests/e2e/test_fuzz_api.py) check every
answer of the running local stack against that document: a handler that drops
or retypes a documented field, or answers an undocumented status, fails a test.
Extra fields pass (the models do not forbid them), so document new ones here.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from orderflow.processes.orders.order import Order
from orderflow.processes.orders.status import OrderStatus


class GatewayError(BaseModel):
    """An answer from API Gateway itself: no route, body over 10 MiB."""

    message: str = Field(description="What went wrong, for a human.")


class ApiError(GatewayError):
    """An answer from a handler that refused the request."""

    error: str = Field(
        description="A stable code: invalid_order, order_conflict, "
        "payload_too_large, not_found."
    )


class FieldProblem(BaseModel):
    """One failing field, by dotted path."""

    field: str = Field(description="Dotted path, e.g. items.0.quantity, or body.")
    message: str


class InvalidOrder(ApiError):
    """400: the body is not JSON, or not a valid order; every problem named."""

    error: Literal["invalid_order"]
    fields: list[FieldProblem]


class Accepted(BaseModel):
    """202 of any front door: where to follow the subject, and if it is a repeat."""

    status_url: str = Field(description="Where to follow it.")
    duplicate: bool = Field(
        description="True when this id was already accepted with this body."
    )


class OrderAccepted(Accepted):
    """202: the order is recorded and its execution started (or already was)."""

    order_id: str
    status: OrderStatus


class StatusChange(BaseModel):
    """One entry of the order's status history."""

    status: OrderStatus
    at: str = Field(description="ISO 8601, UTC.")
    detail: dict[str, Any]


class Effect(BaseModel):
    """One effect a provider applied, under its idempotency key."""

    idempotency_key: str
    order_id: str
    provider: str
    action: str
    amount_cents: int
    quantity: int
    reference: str
    created_at: str


class Approval(BaseModel):
    """A human approval asked for the order (its callback id is never shown)."""

    order_id: str
    approver: str
    created_at: str
    expires_at: str
    status: str = Field(description="PENDING, APPROVED, REJECTED or EXPIRED.")
    decided_by: str | None
    decided_at: str | None
    comment: str | None


class SubjectView(BaseModel):
    """What every subject's read-model answer carries besides its id and body."""

    created_at: str
    updated_at: str
    execution_arn: str | None
    detail: dict[str, Any]
    history: list[StatusChange]
    effects: list[Effect]
    approvals: list[Approval]


class OrderView(SubjectView):
    """200: the order's read model, its ledger and its approvals."""

    order_id: str
    status: OrderStatus
    order: Order


class Health(BaseModel):
    """200: the function runs and reaches its store."""

    status: Literal["ok"]
