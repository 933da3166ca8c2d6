"""The approval page's logic: show a link's approval, or decide it once.

``view`` (GET, HEAD) reads and changes nothing: mail scanners prefetch links.
``decide`` (POST) checks the link, the request's origin and the CSRF value,
then claims the approval with one conditional write (the decision and its audit
entry together) before it completes the callback: a second click, a double POST
or a race gets "already decided" and never completes the callback twice. If
the callback cannot be completed, the claim is undone (back to PENDING, or
EXPIRED when the service says the callback timed out or its execution has
ended). A subject closed outside its workflow (``orderflow.parts.ending``: its
execution stopped, timed out or failed) gets the "closed" page on GET and POST,
and a decision whose execution turns out to be gone gets it too: the page never
says a decision took effect that did not. If the process dies between the
claim and the completion, the decision is recorded and the subject never hears
of it: ``redeliver_interrupted`` sends such decisions' callbacks once nothing
can be completing them any more (the local stack, at start).

Tokens and callback ids are never logged; the link id (from the token's hash)
and the subject id are.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orderflow.adapters.lambda_callbacks import (
    CallbackAlreadyClosedError,
    ExecutionGoneError,
)
from orderflow.domain.records import (
    ApprovalLink,
    ApprovalRequest,
    AuditEntry,
    SubjectRecord,
)
from orderflow.parts.approvals.escalation import AuditAction
from orderflow.parts.approvals.links import (
    MAX_COMMENT_CHARS,
    Decision,
    InvalidDecisionError,
    LinkState,
    callback_result,
    csrf_ok,
    csrf_value,
    is_well_formed,
    link_state,
    parse_decision,
    recorded_result,
    time_left,
    token_hash,
)
from orderflow.parts.approvals.pages import (
    Page,
    Problem,
    problem,
    render,
)
from orderflow.parts.approvals.steps import SYSTEM_ERROR
from orderflow.parts.approvals.subject import AWAITING_APPROVAL, ApprovalView
from orderflow.parts.ending import closed_because
from orderflow.ports import CallbackCompleter, Store

log = logging.getLogger("orderflow.approvals")
# Worth a retry by the approver: the callback service could not be reached.
UNAVAILABLE_ERRORS = (BotoCoreError, ClientError, ConnectionError, TimeoutError)


@dataclass(frozen=True)
class Client:
    """Who sent a request, as far as the audit trail records it."""

    source_ip: str = ""
    user_agent: str = ""
    cross_site: bool = False  # Sec-Fetch-Site: cross-site
    foreign_origin: str | None = None  # an Origin that is not the page's own
    # False when a browser that reports user activation reported none: a
    # script, not a click or a key, submitted the form.
    user_activated: bool = True


GONE = "its processing had ended before the decision arrived"
NOT_ACTIVATED = (
    "Not recorded: your browser did not report a click or a key press on this "
    "form. To decide, press Approve or Reject."
)


def _refusal(client: Client) -> str | None:
    """Why the request cannot come from the page we served, if it cannot."""
    if client.cross_site:
        return "cross-site request"
    if client.foreign_origin is not None:
        return f"foreign origin {client.foreign_origin}"
    return None


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ApprovalDesk:
    """Serves approval links against a store and a callback completer."""

    def __init__(
        self,
        store: Store,
        callbacks: CallbackCompleter,
        *,
        secret: bytes,
        views: Mapping[str, ApprovalView],
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.store, self.callbacks = store, callbacks
        self.secret, self.now = secret, now
        self.views = views  # by subject kind: each process's page and words

    def _lookup(
        self, token: str
    ) -> tuple[ApprovalLink | None, ApprovalRequest | None, LinkState]:
        if not is_well_formed(token):
            return None, None, LinkState.TAMPERED
        link = self.store.get_link(token_hash(token))
        approval = self.store.get_approval(link.callback_id) if link else None
        return link, approval, link_state(link, approval, self.now())

    def view(self, token: str) -> Page:
        """The confirmation page for an open link, else the page saying why not."""
        link, approval, state = self._lookup(token)
        if state is not LinkState.OPEN or link is None:
            return self._closed(state, approval, link)
        if closed := self._closure(link):
            return closed
        return self._confirm(link)

    def decide(self, token: str, fields: Mapping[str, str], client: Client) -> Page:
        """Record the approver's decision once and complete the callback."""
        link, approval, state = self._lookup(token)
        if state is not LinkState.OPEN or link is None:
            if link is not None:
                self._audit(link, AuditAction.REFUSED, client, reason=f"link {state}")
            return self._closed(state, approval, link, decided=True)
        reason = _refusal(client) or (
            None if csrf_ok(self.secret, link, fields.get("csrf")) else "bad CSRF value"
        )
        if reason is not None:
            self._audit(link, AuditAction.REFUSED, client, reason=reason)
            return problem(Problem.FORBIDDEN)
        if not client.user_activated:
            self._audit(link, AuditAction.REFUSED, client, reason="no user activation")
            return self._confirm(link, error=NOT_ACTIVATED, status=400)
        try:
            form = parse_decision(fields, link)
        except InvalidDecisionError as e:
            return self._confirm(link, error=f"Not recorded: {e}.", status=400)
        record = self.store.get_subject(link.subject_id)
        if closed := self._closure(link, record, decided=True):
            self._audit(link, AuditAction.REFUSED, client, reason="subject closed")
            return closed
        if record is None or record.kind not in self.views:
            why = "record is missing" if record is None else "kind has no page"
            return self._system_error(link, f"the subject's {why}")
        view = self.views[record.kind]
        approve = form.decision is Decision.APPROVE
        at = self.now().isoformat()
        action = AuditAction.APPROVED if approve else AuditAction.REJECTED
        claimed = self.store.decide_approval(
            link.callback_id,
            status="APPROVED" if approve else "REJECTED",
            decided_by=link.approver,
            at=at,
            comment=form.comment,
            audit=self._entry(link, action, client, at=at, comment=form.comment),
        )
        if not claimed:
            self._audit(link, AuditAction.REFUSED, client, reason="already decided")
            latest = self.store.get_approval(link.callback_id)
            state = link_state(link, latest, self.now())
            return self._closed(state, latest, link, decided=True)
        try:
            self.callbacks.succeed(link.callback_id, callback_result(form, link, at))
        except ExecutionGoneError:
            # Stopped, timed out or failed outside the workflow: nothing can
            # deliver this decision any more, whatever the page said a moment ago.
            self._undo(link, at, client, "EXPIRED", GONE)
            return self._closed_page(link, decided=True)
        except CallbackAlreadyClosedError:
            self._undo(link, at, client, "EXPIRED", "the request timed out first")
            return self._closure(link, decided=True) or problem(
                Problem.EXPIRED, "The request timed out before it arrived."
            )
        except UNAVAILABLE_ERRORS as e:
            log.warning(
                "callback not completed; decision undone",
                extra={"subject_id": link.subject_id, "link_id": link.link_id,
                       "error": type(e).__name__},
            )  # fmt: skip
            self._undo(link, at, client, "PENDING", type(e).__name__)
            return problem(Problem.UNAVAILABLE)
        log.info(
            "decision recorded",
            extra={"subject_id": link.subject_id, "link_id": link.link_id,
                   "decision": form.decision.value},
        )  # fmt: skip
        wording = view.wording
        return render(
            "result.html",
            verb="approved" if approve else "rejected",
            noun=wording.noun,
            subject_id=link.subject_id,
            approver=link.approver,
            decided_at=at,
            comment=form.comment,
            next_step=wording.after_approval if approve else wording.after_rejection,
        )

    def _confirm(
        self, link: ApprovalLink, *, error: str | None = None, status: int = 200
    ) -> Page:
        record = self.store.get_subject(link.subject_id)
        view = self.views.get(record.kind) if record else None
        if record is None or view is None:
            return problem(Problem.SYSTEM, "This request's record cannot be shown.")
        others = [
            {
                "approver": a.approver,
                "status": a.status,
                "decided_at": a.decided_at,
                "comment": a.comment,
            }
            for a in self.store.list_approvals(subject_id=link.subject_id)
            if a.callback_id != link.callback_id
        ]
        return render(
            "confirm.html",
            status,
            noun=view.wording.noun,
            subject_id=link.subject_id,
            view_template=view.template,
            view=view.details(record.body),
            link=link,
            model=(record.detail.get("risk") or {}).get("model"),
            others=others,
            time_left=time_left(link.expires_at, self.now()),
            csrf=csrf_value(self.secret, link),
            error=error,
            max_comment=MAX_COMMENT_CHARS,
        )

    def _closed(
        self,
        state: LinkState,
        approval: ApprovalRequest | None,
        link: ApprovalLink | None,
        *,
        decided: bool = False,
    ) -> Page:
        if state is LinkState.DECIDED and approval is not None:
            when = f"{approval.status.lower()} by {approval.decided_by}"
            return problem(Problem.DECIDED, f"It was {when} at {approval.decided_at}.")
        if state is LinkState.EXPIRED:
            if link is not None and (closed := self._closure(link, decided=decided)):
                return closed
            return problem(Problem.EXPIRED, approval.comment if approval else None)
        kind = Problem.TAMPERED if state is LinkState.TAMPERED else Problem.UNKNOWN
        return problem(kind)

    def _closure(
        self,
        link: ApprovalLink,
        record: SubjectRecord | None = None,
        *,
        decided: bool = False,
    ) -> Page | None:
        """The "closed" page if the subject was closed outside its workflow."""
        record = record or self.store.get_subject(link.subject_id)
        why = closed_because(record)
        return (
            self._closed_page(link, why, decided=decided, record=record)
            if why
            else None
        )

    def _closed_page(
        self,
        link: ApprovalLink,
        why: str | None = None,
        *,
        decided: bool,
        record: SubjectRecord | None = None,
    ) -> Page:
        """410: the subject was closed; on a POST, the decision did not count."""
        record = record or self.store.get_subject(link.subject_id)
        view = self.views.get(record.kind) if record else None
        noun = view.wording.noun if view else "request"
        detail = f"The {noun} {link.subject_id} was closed: {why or GONE}."
        if decided:
            detail += " Your decision did not take effect."
        return problem(Problem.CLOSED, detail)

    def _system_error(self, link: ApprovalLink, reason: str) -> Page:
        """Fail the callback (once) for an error no approver can fix."""
        at = self.now().isoformat()  # the record's and its audit entry's time
        entry = self._entry(
            link, AuditAction.SYSTEM_ERROR, Client(), at=at, reason=reason
        )
        if self.store.decide_approval(
            link.callback_id,
            status="EXPIRED",
            decided_by="orderflow",
            at=at,
            comment=SYSTEM_ERROR + reason,
            audit=entry,
        ):
            log.error("approval failed", extra={"subject_id": link.subject_id})
            # Timed out meanwhile? Then the workflow has moved on already.
            with contextlib.suppress(CallbackAlreadyClosedError):
                self.callbacks.fail(
                    link.callback_id, error_type="ApprovalSystemError", message=reason
                )
        return problem(Problem.SYSTEM)

    def _undo(
        self, link: ApprovalLink, at: str, client: Client, status: str, why: str
    ) -> None:
        undone_at = self.now().isoformat()  # the record's and its audit entry's
        self.store.reopen_approval(
            link.callback_id,
            claimed_at=at,
            status=status,
            at=undone_at,
            comment=why if status == "EXPIRED" else None,
            audit=self._entry(
                link,
                AuditAction.COMPLETION_FAILED,
                client,
                at=undone_at,
                reason=why,
                now=status,
            ),
        )

    def _entry(
        self,
        link: ApprovalLink,
        action: AuditAction,
        client: Client,
        *,
        at: str | None = None,
        **detail: Any,
    ) -> AuditEntry:
        return AuditEntry(
            entry_id=uuid.uuid4().hex,
            subject_id=link.subject_id,
            at=at or self.now().isoformat(),
            actor=link.approver,
            action=action,
            link_id=link.link_id,
            detail={
                "round": link.round,
                "source_ip": client.source_ip,
                "user_agent": client.user_agent[:200],
                **detail,
            },
        )

    def _audit(
        self, link: ApprovalLink, action: AuditAction, client: Client, **detail: Any
    ) -> None:
        self.store.add_audit(self._entry(link, action, client, **detail))


def redeliver_interrupted(
    store: Store,
    callbacks: CallbackCompleter,
    *,
    decided_before: datetime,
    created_after: datetime | None = None,
) -> int:
    """Complete the callbacks of human decisions a crash cut off; how many.

    A decision recorded before ``decided_before`` whose subject still waits may
    never have reached its callback. Call it only when no request can still be
    completing one (a completion in flight would race this one and be undone):
    at the local stack's start, every earlier request died with its process.
    The service refuses a callback completed already, so each decision is
    delivered at most once. ``created_after`` bounds the approvals read: one
    asked longer ago than the approval time-out has timed out anyway.
    """
    delivered = 0
    for status in ("APPROVED", "REJECTED"):
        for approval in store.list_approvals(
            status=status, created_after=created_after
        ):
            record = store.get_subject(approval.subject_id)
            if (
                approval.decided_by != approval.approver
                or not approval.decided_at
                or datetime.fromisoformat(approval.decided_at) >= decided_before
                or record is None
                or record.status != AWAITING_APPROVAL
            ):
                continue
            try:
                callbacks.succeed(approval.callback_id, recorded_result(approval))
            except (CallbackAlreadyClosedError, *UNAVAILABLE_ERRORS):
                continue  # delivered before, timed out, or not now: nothing to do
            log.warning(
                "decision delivered after an interrupted completion",
                extra={"subject_id": approval.subject_id},
            )
            delivered += 1
    return delivered
