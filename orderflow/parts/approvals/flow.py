"""Approvals as a durable building block: ask each stage's people, escalate, decide.

``collect_approvals`` adds named operations to the caller's durable context:
each ask is ``wait-for-approval-<n>`` (a ``wait_for_callback`` whose submitter,
a step, stores the approval, sends the link once and marks the subject
AWAITING_APPROVAL), each time-out ``expire-approval-<n>``; ``n`` counts asks
across all stages, so a one-stage process names its operations as orders always
have. The caller maps the ``ApprovalOutcome`` onto its own statuses.

Why not ``ctx.run_in_child_context``: a child context adds an operation and
re-parents each ask under it, so the order workflow's recorded executions in
flight would no longer replay (docs/changing-workflows.md). The building block
works the same inside a child context, for a process that starts with one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_durable_execution_sdk_python import CallbackError, CallbackTimeoutError
from aws_durable_execution_sdk_python.config import (
    Duration,
    StepConfig,
    WaitForCallbackConfig,
)
from aws_durable_execution_sdk_python.serdes import JsonSerDes

from orderflow.parts.approvals.escalation import (
    approval_chain,
    next_approver,
    read_verdict,
)
from orderflow.parts.approvals.steps import (
    ApprovalDeps,
    expire_request,
    request_approval,
)
from orderflow.parts.approvals.subject import Stage, Subject, Wording
from orderflow.parts.durable import store_retry

if TYPE_CHECKING:
    from aws_durable_execution_sdk_python import DurableContext
    from aws_durable_execution_sdk_python.types import WaitForCallbackContext

WAIT_FOR_APPROVAL = "wait-for-approval"  # -<n>: the n-th person asked
EXPIRE_APPROVAL = "expire-approval"  # -<n>: the n-th ask timed out


@dataclass(frozen=True)
class ApprovalOutcome:
    """How approvals ended: ``approved``, ``rejected``, ``timed_out`` or ``failed``."""

    verdict: str
    reason: str = ""
    comment: str | None = None


APPROVED = ApprovalOutcome("approved")


def collect_approvals(
    ctx: DurableContext,
    deps: Callable[[], ApprovalDeps],
    subject: Subject,
    stages: Sequence[Stage],
    *,
    wording: Wording,
) -> ApprovalOutcome:
    """Ask every stage in turn until each has the approvals it needs.

    Within a stage the people are asked one at a time, in escalation order;
    a time-out escalates to the next one with a fresh link. Any rejection ends
    it ``rejected``; a stage that runs out of people ends it ``timed_out``.
    """
    asked = 0
    for stage in stages:
        people = approval_chain(stage.approvers)
        if len(people) < stage.needed:
            return ApprovalOutcome(
                "failed",
                f"{stage.needed} approvals needed, "
                f"{len(people)} approver(s) configured",
            )
        outcome, asked = _run_stage(ctx, deps, subject, stage, people, asked, wording)
        if outcome is not APPROVED:
            return outcome
    return APPROVED


def _run_stage(
    ctx: DurableContext,
    deps: Callable[[], ApprovalDeps],
    subject: Subject,
    stage: Stage,
    people: tuple[str, ...],
    asked_before: int,
    wording: Wording,
) -> tuple[ApprovalOutcome, int]:
    """One stage's asks; the outcome, and how many asks there have been in all."""
    approved = asked = 0
    escalated = False
    needed = stage.needed
    while approver := next_approver(
        people, asked=asked, approved=approved, needed=needed
    ):
        asked += 1
        round_no = asked_before + asked
        submit = functools.partial(
            _submit, deps, subject, wording, approver, round_no, needed, escalated
        )
        try:
            result = ctx.wait_for_callback(
                submit,
                name=f"{WAIT_FOR_APPROVAL}-{round_no}",
                config=WaitForCallbackConfig(
                    timeout=Duration.from_seconds(
                        deps().settings.approval_timeout_seconds
                    ),
                    retry_strategy=store_retry(),
                    serdes=JsonSerDes(),
                ),
            )
        except CallbackTimeoutError:
            expire = functools.partial(
                expire_request,
                subject_id=subject.subject_id,
                approver=approver,
                round_no=round_no,
                escalate_to=next_approver(
                    people, asked=asked, approved=approved, needed=needed
                ),
            )
            ctx.step(
                lambda _, expire=expire: expire(deps()),  # type: ignore[misc]
                name=f"{EXPIRE_APPROVAL}-{round_no}",
                config=StepConfig(retry_strategy=store_retry()),
            )
            escalated = True
            continue
        except CallbackError as e:
            return ApprovalOutcome("failed", f"approval failed: {e}"), round_no
        verdict = read_verdict(result)
        if verdict is None:
            return ApprovalOutcome(
                "failed", "approval result is not a JSON object"
            ), round_no
        if not verdict.approved:
            reason = f"rejected by {verdict.approver or approver}"
            return ApprovalOutcome("rejected", reason, verdict.comment), round_no
        approved += 1
        escalated = False
    if approved >= needed:
        return APPROVED, asked_before + asked
    asked_whom = ", ".join(people[:asked])
    reason = f"{asked_whom} did not decide in time"
    return ApprovalOutcome("timed_out", reason), asked_before + asked


def _submit(
    deps: Callable[[], ApprovalDeps],
    subject: Subject,
    wording: Wording,
    approver: str,
    round_no: int,
    needed: int,
    escalated: bool,
    callback_id: str,
    _: WaitForCallbackContext,
) -> None:
    """The callback submitter: store, send the link once, mark the subject."""
    request_approval(
        deps(),
        callback_id,
        subject=subject,
        wording=wording,
        approver=approver,
        round_no=round_no,
        needed=needed,
        escalated=escalated,
    )
