"""The claim as approvals see it: its subject, its one stage, its words, its view."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from orderflow.parts.approvals.mail import money
from orderflow.parts.approvals.subject import ApprovalView, Stage, Subject, Wording
from orderflow.processes.expenses.model import KIND

WORDING = Wording(
    noun="expense claim",
    amount_label="Amount",
    after_approval="The claim is approved: finance pays it with the next run.",
    after_rejection="The claim is rejected: nothing will be paid.",
)


def claim_subject(claim: dict[str, Any]) -> Subject:
    """The recorded claim (``record-claim``'s result) as an approval subject."""
    return Subject(
        kind=KIND,
        subject_id=str(claim["expense_id"]),
        title=f"Expense claim {claim['expense_id']}",
        amount_cents=int(claim["amount_cents"]),
        currency=str(claim["currency"]),
        risk={},  # no score: every claim goes to its manager
    )


def claim_stages(managers: Sequence[str]) -> list[Stage]:
    """One manager, in escalation order, must approve."""
    return [Stage("manager", tuple(managers), 1)]


def claim_view(claim: dict[str, Any]) -> dict[str, Any]:
    """The claim as its confirmation page shows it."""
    return {
        "employee_id": claim.get("employee_id", ""),
        "amount": money(int(claim.get("amount_cents", 0)), str(claim["currency"])),
        "description": claim.get("description", ""),
    }


VIEW = ApprovalView(KIND, WORDING, claim_view)
