"""The expense claim workflow: one durable execution per claim, named after its id.

Flow:
1. ``record-claim``: validate the claim and record it (RECEIVED).
2. ``wait-for-approval-N``: one manager decides, through the approvals part;
   a time-out escalates to the next manager, and when none is left the claim
   is CANCELLED.
3. ``close-claim``: record APPROVED, REJECTED, CANCELLED or FAILED.

Nothing here touches the outside world except through a step or the approvals
part's callback submitter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, StepError
from aws_durable_execution_sdk_python.config import StepConfig

from orderflow.parts import logs, recording
from orderflow.parts.approvals.flow import collect_approvals
from orderflow.parts.deps import StepDeps
from orderflow.parts.durable import store_retry, workflow_version
from orderflow.parts.readmodel import record_status
from orderflow.processes.expenses.approval import WORDING, claim_stages, claim_subject
from orderflow.processes.expenses.model import (
    KIND,
    TERMINAL,
    WORKFLOW_VERSION,
    ExpenseOp,
    ExpenseStatus,
    parse_claim,
)

Result = dict[str, Any]
ENDINGS = {
    "approved": ExpenseStatus.APPROVED,
    "rejected": ExpenseStatus.REJECTED,
    "timed_out": ExpenseStatus.CANCELLED,
    "failed": ExpenseStatus.FAILED,
}


def make_workflow(
    deps: Callable[[], StepDeps],
) -> Callable[[Any, DurableContext], Result]:
    """The workflow function, bound to a factory of its dependencies."""

    def expense_workflow(event: Any, ctx: DurableContext) -> Result:
        logs.plug(ctx, KIND)
        try:
            claim = ctx.step(
                logs.logged(
                    lambda: record_claim(deps(), event),
                    lambda c: {logs.SUBJECT: c["expense_id"]},
                ),
                name=ExpenseOp.RECORD_CLAIM,
                # A bad claim fails at once; only the store's errors are retried.
                config=StepConfig(retry_strategy=store_retry()),
            )
        except StepError as e:
            return {"status": ExpenseStatus.FAILED, "reason": e.message}
        logs.plug(ctx, KIND, claim["expense_id"])
        outcome = collect_approvals(
            ctx,
            deps,
            claim_subject(claim),
            claim_stages(deps().settings.approvers),
            wording=WORDING,
            of_record=workflow_version(claim) >= 2,
        )
        status = ENDINGS[outcome.verdict]
        detail = {"reason": outcome.reason} if outcome.reason else {}
        expense_id = claim["expense_id"]
        ctx.step(
            logs.logged(
                lambda: record_status(
                    deps(), expense_id, status, detail, terminal=TERMINAL
                ),
                lambda _: recording.ended(status.value, TERMINAL),
            ),
            name=ExpenseOp.CLOSE_CLAIM,
            config=StepConfig(retry_strategy=store_retry()),
        )
        return {"expense_id": expense_id, "status": status.value, **detail}

    return expense_workflow


def record_claim(deps: StepDeps, event: Any) -> Result:
    """Validate the claim and record it; its JSON form (the step's result)."""
    claim = parse_claim(event).model_dump(mode="json")
    deps.store.create_subject(KIND, claim["expense_id"], claim, at=deps.stamp())
    return claim | {"workflow_version": WORKFLOW_VERSION}
