"""Approvals as a durable building block: ask each stage's people, escalate, decide.

``collect_approvals`` adds named operations to the caller's durable context:
each ask is ``wait-for-approval-<n>`` (a ``wait_for_callback`` whose submitter,
a step, stores the approval, sends the link once and marks the subject
AWAITING_APPROVAL), each answer is checked against the desk's claim in
``verify-approval-<n>``, each time-out ``expire-approval-<n>``; ``n`` counts asks
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
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_durable_execution_sdk_python import CallbackError, CallbackTimeoutError
from aws_durable_execution_sdk_python.config import (
    Duration,
    StepConfig,
    WaitForCallbackConfig,
)
from aws_durable_execution_sdk_python.serdes import JsonSerDes

from orderflow.parts import logs
from orderflow.parts.approvals.escalation import (
    approval_chain,
    next_approver,
    read_verdict,
)
from orderflow.parts.approvals.steps import (
    ApprovalDeps,
    expire_request,
    request_approval,
    verify_decision,
)
from orderflow.parts.approvals.subject import Stage, Subject, Wording
from orderflow.parts.durable import store_retry
from orderflow.parts.metrics import APPROVAL_WAIT, UNVERIFIED, Metric

if TYPE_CHECKING:
    from aws_durable_execution_sdk_python import DurableContext
    from aws_durable_execution_sdk_python.types import WaitForCallbackContext

WAIT_FOR_APPROVAL = "wait-for-approval"  # -<n>: the n-th person asked
EXPIRE_APPROVAL = "expire-approval"  # -<n>: the n-th ask timed out
VERIFY_APPROVAL = "verify-approval"  # -<n>: the n-th ask's answer, checked
# Completions no claim backs, per stage, before the subject fails: each one
# voids a link and mails a new one, so a flood must not mail without end.
MAX_UNVERIFIED = 3


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
    of_record: bool = True,
) -> ApprovalOutcome:
    """Ask every stage in turn until each has the approvals it needs.

    Within a stage the people are asked one at a time, in escalation order;
    a time-out escalates to the next one with a fresh link. Any rejection ends
    it ``rejected``; a stage that runs out of people ends it ``timed_out``.

    ``of_record``: each completed callback is checked against the desk's claim
    in a ``verify-approval-<n>`` step (``verify_decision``), and only the
    claimed decision counts. False keeps the version-1 operations, which took
    the callback's result as it came, for executions started before it.
    """
    asked = 0
    accepted: list[str] = []  # the claims counted so far, in every stage
    for stage in stages:
        people = approval_chain(stage.approvers)
        if len(people) < stage.needed:
            return ApprovalOutcome(
                "failed",
                f"{stage.needed} approvals needed, "
                f"{len(people)} approver(s) configured",
            )
        run = _Stage(
            ctx, deps, subject, stage, people, wording, of_record, asked, accepted
        )
        outcome = run.collect()
        asked = run.round_no
        if outcome is not APPROVED:
            return outcome
    return APPROVED


@dataclass
class _Stage:
    """One stage's asks, numbered ``round_no`` across every stage of the subject."""

    ctx: DurableContext
    deps: Callable[[], ApprovalDeps]
    subject: Subject
    stage: Stage
    people: tuple[str, ...]
    wording: Wording
    of_record: bool
    round_no: int  # asks so far, in every stage: the operations' <n>
    accepted: list[str]  # the claims already counted, in every stage
    asked: int = 0  # people of this stage asked (and answered or timed out)
    approved: int = 0
    unverified: int = 0

    def _next(self) -> str | None:
        return next_approver(
            self.people,
            asked=self.asked,
            approved=self.approved,
            needed=self.stage.needed,
        )

    def collect(self) -> ApprovalOutcome:
        full = self.deps().settings.approval_timeout_seconds
        approver, timeout, escalated, replaces = self._next(), full, False, False
        while approver is not None:
            self.round_no += 1
            result: Any = None
            failure: CallbackError | None = None
            try:
                result = self._ask(approver, timeout, escalated, replaces)
            except CallbackTimeoutError:
                self._answered("timed out")
                approver, escalated = self._expire(approver), True
                timeout, replaces = full, False
                continue
            except CallbackError as e:
                self._answered("failed", error=type(e).__name__)
                failure = e
            else:
                self._answered("completed")
            decision: dict[str, Any] = {}
            if self.of_record:
                decision = self._verify(result, approver, failed=failure is not None)
                if not decision["verified"]:
                    self.unverified += 1
                    if self.unverified > MAX_UNVERIFIED:
                        why = f"{self.unverified} completions no decision backs"
                        return ApprovalOutcome("failed", why)
                    timeout, replaces = int(decision["seconds_left"]), True
                    if timeout <= 0:  # no time left for the same person: escalate
                        approver, escalated = self._expire(approver), True
                        timeout, replaces = full, False
                    continue  # else the same person, a fresh link, the time left
            if failure is not None:
                return ApprovalOutcome("failed", f"approval failed: {failure}")
            if self.of_record:
                self.accepted.append(decision["key"])
                ok = decision["approved"]
                who, comment = decision["approver"], decision["comment"]
            elif (verdict := read_verdict(result)) is None:
                return ApprovalOutcome("failed", "approval result is not a JSON object")
            else:
                ok, comment = verdict.approved, verdict.comment
                who = verdict.approver or approver
            self.asked += 1
            if not ok:
                return ApprovalOutcome("rejected", f"rejected by {who}", comment)
            self.approved += 1
            approver, escalated = self._next(), False
            timeout, replaces = full, False
        if self.approved >= self.stage.needed:
            return APPROVED
        asked_whom = ", ".join(self.people[: self.asked])
        return ApprovalOutcome("timed_out", f"{asked_whom} did not decide in time")

    def _answered(self, answer: str, **more: object) -> None:
        """The ask's answer, as it came (the decision of record is verified next)."""
        name = f"{WAIT_FOR_APPROVAL}-{self.round_no}"
        logs.note(self.ctx, name, f"approval {answer}", answer=answer, **more)

    def _position(self, approver: str) -> int:
        """Who is asked, by position in the chain, from 1 (an address is personal)."""
        return self.people.index(approver) + 1

    def _ask(self, approver: str, timeout: int, escalated: bool, replaces: bool) -> Any:
        submit = functools.partial(
            _submit,
            {
                "approverPosition": self._position(approver),
                "escalated": escalated,
                "replacesLink": replaces,
            },
            self.deps,
            self.subject,
            self.wording,
            approver,
            self.round_no,
            self.stage.needed,
            escalated,
            timeout,
            replaces,
        )
        return self.ctx.wait_for_callback(
            submit,
            name=f"{WAIT_FOR_APPROVAL}-{self.round_no}",
            config=WaitForCallbackConfig(
                timeout=Duration.from_seconds(timeout),
                retry_strategy=store_retry(),
                serdes=JsonSerDes(),
            ),
        )

    def _verify(self, result: Any, approver: str, *, failed: bool) -> dict[str, Any]:
        verify = functools.partial(
            verify_decision,
            result=result,
            failed=failed,
            subject_id=self.subject.subject_id,
            approver=approver,
            round_no=self.round_no,
            accepted=tuple(self.accepted),
        )
        waited: list[Metric] = []

        def body() -> dict[str, Any]:
            deps = self.deps()
            found = verify(deps)
            waited[:] = self._waited(deps, approver, _answer(found, failed=failed))
            return found

        decision: dict[str, Any] = self.ctx.step(
            logs.logged(body, lambda d: self._of_record(d) | {logs.METRICS: waited}),
            name=f"{VERIFY_APPROVAL}-{self.round_no}",
            config=StepConfig(retry_strategy=store_retry()),
        )
        return decision

    def _expire(self, approver: str) -> str | None:
        """Close the timed-out ask and escalate; who is asked next, if anyone."""
        self.asked += 1
        escalate_to = self._next()
        expire = functools.partial(
            expire_request,
            subject_id=self.subject.subject_id,
            approver=approver,
            round_no=self.round_no,
            escalate_to=escalate_to,
        )
        to = self._position(escalate_to) if escalate_to else None
        waited: list[Metric] = []

        def body() -> None:
            deps = self.deps()
            waited[:] = self._waited(deps, approver, "timed_out")
            expire(deps)

        self.ctx.step(
            logs.logged(
                body, lambda _: {"escalatedToPosition": to, logs.METRICS: waited}
            ),
            name=f"{EXPIRE_APPROVAL}-{self.round_no}",
            config=StepConfig(retry_strategy=store_retry()),
        )
        return escalate_to

    def _waited(self, deps: ApprovalDeps, approver: str, answer: str) -> list[Metric]:
        """How long ``approver``'s latest ask waited for ``answer`` (a metric)."""
        if answer == UNVERIFIED:
            return [Metric(UNVERIFIED)]
        try:
            asks = deps.store.list_approvals(subject_id=self.subject.subject_id)
            asked = max(a.created_at for a in asks if a.approver == approver)
            seconds = (deps.now() - datetime.fromisoformat(asked)).total_seconds()
        except Exception:  # a metric never fails the step it rides on
            return []
        return [Metric(APPROVAL_WAIT, {"answer": answer}, max(seconds, 0), "Seconds")]

    def _of_record(self, decision: dict[str, Any]) -> dict[str, object]:
        """What ``verify-approval-<n>`` found, for its log line."""
        fields: dict[str, object] = {"verified": decision["verified"]}
        if decision["verified"] and "approved" in decision:
            fields["approved"] = decision["approved"]
        if not decision["verified"]:
            fields["secondsLeft"] = decision["seconds_left"]
        return fields


def _answer(decision: dict[str, Any], *, failed: bool) -> str:
    """The answer a verified decision gives, for the wait's metric."""
    if not decision["verified"]:
        return UNVERIFIED
    if failed:
        return "failed"
    return "approved" if decision.get("approved") else "rejected"


def _submit(
    asked: dict[str, object],
    deps: Callable[[], ApprovalDeps],
    subject: Subject,
    wording: Wording,
    approver: str,
    round_no: int,
    needed: int,
    escalated: bool,
    timeout_seconds: int,
    replaces: bool,
    callback_id: str,
    submitter: WaitForCallbackContext,
) -> None:
    """The callback submitter: store, send the link once, mark the subject."""
    ask = functools.partial(
        request_approval,
        deps(),
        callback_id,
        subject=subject,
        wording=wording,
        approver=approver,
        round_no=round_no,
        needed=needed,
        escalated=escalated,
        timeout_seconds=timeout_seconds,
        replaces=replaces,
    )
    logs.logged(ask, lambda _: asked)(submitter)
