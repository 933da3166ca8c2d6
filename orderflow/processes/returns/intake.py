"""The front door of returns: check once, claim the units, start the execution once.

``submit`` refuses a return before anything is recorded or started when its
order does not allow it (404 unknown order, 409 not completed, 422 the rest:
each problem named by field), or when other returns hold the units (409 naming
the SKU). Otherwise it claims the units atomically (``books.claim_units``),
records the return RECEIVED and starts its execution, named after the return
id: a second submit of the same body claims nothing more and starts nothing
new (Lambda returns the existing execution), one of another body is a 409.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from orderflow.domain.errors import OrderflowError
from orderflow.parts.validation import read_json
from orderflow.ports import Store, WorkflowStarter
from orderflow.processes.returns.approval import KIND
from orderflow.processes.returns.books import claim_units
from orderflow.processes.returns.checks import check_return
from orderflow.processes.returns.model import (
    InvalidReturnError,
    ReturnRequest,
    parse_return,
)
from orderflow.processes.returns.rules import ReturnProblem
from orderflow.processes.returns.settings import ReturnSettings
from orderflow.processes.returns.status import ReturnStatus


class ReturnIneligibleError(OrderflowError):
    """The order does not allow the return; ``problems`` names each reason."""

    def __init__(self, problems: list[ReturnProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))

    @property
    def http_status(self) -> int:
        """The first problem's status: 404, 409 or 422."""
        return self.problems[0].http_status

    @property
    def code(self) -> str:
        """The first problem's code, e.g. ``outside_window``."""
        return str(self.problems[0].code)


class ReturnConflictError(OrderflowError):
    """The return id is taken by another return body, or by another kind of subject."""


@dataclass(frozen=True)
class Accepted:
    """What POST /returns answers."""

    return_id: str
    status: str
    duplicate: bool


def read_return(body: bytes, *, max_bytes: int) -> ReturnRequest:
    """Parse and validate a request body into a ReturnRequest.

    Raises:
        PayloadTooLargeError: the body is over ``max_bytes``.
        InvalidReturnError: the body is not JSON, or not a valid return.
    """
    return parse_return(read_json(body, max_bytes=max_bytes, error=InvalidReturnError))


def submit(
    request: ReturnRequest,
    *,
    store: Store,
    starter: WorkflowStarter,
    settings: ReturnSettings,
    now: datetime,
) -> Accepted:
    """Check, claim, record and start the return, each step idempotent.

    Raises:
        ReturnIneligibleError: the order does not allow it; nothing is recorded.
        UnitsTakenError: other returns hold the units; nothing is recorded.
        ReturnConflictError: the id is taken by something else.
    """
    existing = store.get_subject(request.return_id)
    if existing is None:
        checked = check_return(store, settings, request, now=now)
        if checked.problems:
            raise ReturnIneligibleError(checked.problems)
        claim_units(store, request, checked.delivered(), at=now.isoformat())
        store.create_subject(
            KIND, request.return_id, checked.body(), at=now.isoformat()
        )
        existing = store.get_subject(request.return_id)
        created = True
    else:
        created = False
    assert existing is not None, "the return was just recorded"
    asked = request.model_dump(mode="json")
    recorded = {k: v for k, v in existing.body.items() if k != "quote"}
    if existing.kind != KIND or recorded != asked:
        raise ReturnConflictError(
            f"return_id {request.return_id} is already taken by a different request"
        )
    arn = starter.start(request.return_id, request.model_dump_json())
    if arn and existing.execution_arn != arn:
        store.set_execution_arn(request.return_id, arn)
    status = ReturnStatus.RECEIVED if created else existing.status
    return Accepted(request.return_id, status, duplicate=not created)
