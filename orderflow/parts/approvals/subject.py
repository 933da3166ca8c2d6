"""What approvals know of the thing to decide: a subject, its stages, its words.

A process turns its own record into a ``Subject`` (kind, id, title, amount,
risk) and says who decides in which ``Stage``s; it supplies the ``Wording`` of
the email and the result page. The approvals part knows nothing else of it: the
page renders the subject's details through the kind's own view
(approval_ui/templates/subjects/<kind>.html).

Everything here is plain, JSON-native data: a ``Subject`` crosses step
boundaries as ``to_json()`` and comes back through ``from_json``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# A subject waiting on a human has this status, whatever its process: the desk
# and the monitor find the subjects an approval can still move by it.
AWAITING_APPROVAL = "AWAITING_APPROVAL"


@dataclass(frozen=True)
class Subject:
    """The thing an approver decides, as the approvals part sees it.

    ``risk`` is what the read model shows and the audit keeps: ``score`` (0-100),
    ``reasons`` (sentences) and, when a model scored it, ``model``.
    """

    kind: str  # the process's subject kind: "order"
    subject_id: str
    title: str  # "Order ORD-1": how the email and the page name it
    amount_cents: int
    currency: str
    risk: Mapping[str, Any] = field(default_factory=dict)

    @property
    def risk_score(self) -> int:
        """The risk score, 0-100."""
        return int(self.risk.get("score") or 0)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the subject was routed to a human, in words."""
        return tuple(str(r) for r in self.risk.get("reasons", []))

    def to_json(self) -> dict[str, Any]:
        """JSON-native form, for a checkpoint."""
        return {
            "kind": self.kind,
            "subject_id": self.subject_id,
            "title": self.title,
            "amount_cents": self.amount_cents,
            "currency": self.currency,
            "risk": dict(self.risk),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Subject:
        """The subject ``to_json`` wrote."""
        return cls(
            kind=str(data["kind"]),
            subject_id=str(data["subject_id"]),
            title=str(data["title"]),
            amount_cents=int(data["amount_cents"]),
            currency=str(data["currency"]),
            risk=dict(data.get("risk") or {}),
        )


@dataclass(frozen=True)
class Stage:
    """One stage of approval: who may decide (in escalation order), how many must.

    A time-out escalates to the next person of the same stage; a stage whose
    people left cannot reach ``needed`` ends the approval timed out.
    """

    name: str  # "approver", "manager", "finance": shown in the audit trail
    approvers: tuple[str, ...]
    needed: int = 1


@dataclass(frozen=True)
class Wording:
    """How a process speaks of its subjects in the email and on the result page."""

    noun: str  # "order": "Review the order and approve or reject it here"
    amount_label: str  # "Total": "Total: 2,899.00 USD"
    after_approval: str  # the result page after an approval
    after_rejection: str  # the result page after a rejection


@dataclass(frozen=True)
class ApprovalView:
    """How the approval page shows one kind of subject: its words, its details.

    ``details`` turns the subject's read-model body into what the kind's partial
    template (approval_ui/templates/subjects/<kind>.html) renders as ``view``.
    """

    kind: str
    wording: Wording
    details: Callable[[dict[str, Any]], dict[str, Any]]

    @property
    def template(self) -> str:
        """The kind's partial template, inside the page's shell."""
        return f"subjects/{self.kind}.html"
