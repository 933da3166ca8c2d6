"""The expense claim's proofs: three paths, the store alone, no ledger.

The claim's only outside world is the store and the approval email, so its
invariants are the ended subject's (one terminal status, no approval left
open, one email per ask) and an empty ledger. It has no fault-schedule
property: the sandbox's fault language targets the order's providers
(inventory, payment, shipping) and the claim calls none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.config import Settings
from orderflow.parts.deps import StepDeps
from orderflow.processes.expenses.model import WORKFLOW_VERSION, ExpenseStatus
from orderflow.processes.expenses.workflow import make_workflow
from orderflow.registry import EXPENSES
from tests.proofs import Decision, Path, Proof, of_version
from tests.proofs.snapshot import Snapshot, ended_once
from tests.utils.orders import load_event

MIA, NOOR = "mia@example.com", "noor@example.com"
MANAGERS = {"approvers": (MIA, NOOR)}


def claim(expense_id: str) -> dict[str, object]:
    """The sample claim (events/expense-claim.json) under ``expense_id``."""
    return {**load_event("expense-claim.json"), "expense_id": expense_id}


PATHS = (
    Path(
        "approved",
        claim("EXP-APPROVED"),
        ExpenseStatus.APPROVED,
        (Decision(1, True, MIA),),
        settings=MANAGERS,
        in_flight=("awaiting-approval", "wait-for-approval-1"),
    ),
    Path(
        "rejected",
        claim("EXP-REJECTED"),
        ExpenseStatus.REJECTED,
        (Decision(1, False, MIA),),
        settings=MANAGERS,
    ),
    Path(
        "time-out-escalate-cancel",  # Mia times out, Noor (escalated to) too
        claim("EXP-LATE"),
        ExpenseStatus.CANCELLED,
        settings=MANAGERS | {"approval_timeout_seconds": 1},  # real seconds
    ),
    Path(
        "escalated",  # Mia times out, Noor approves
        claim("EXP-ESCALATED"),
        ExpenseStatus.APPROVED,
        (Decision(2, True, NOOR),),
        settings=MANAGERS | {"approval_timeout_seconds": 1},
        in_flight=("awaiting-escalated-approval", "wait-for-approval-2"),
    ),
)


def make_deps(
    store: SqliteStore, path: Path, clock: Callable[[], datetime] | None
) -> StepDeps:
    """The store and the path's settings; with ``clock``, the steps' clock."""
    settings = Settings(store_url=f"sqlite:{store.path}", **path.settings)
    if clock is None:
        return StepDeps(store=store, settings=settings)
    return StepDeps(store=store, settings=settings, now=clock)


def invariants(path: Path, got: Snapshot, clean: Snapshot) -> list[str]:
    """An ended claim, and no effect: a claim pays nothing itself."""
    found = ended_once(EXPENSES, got)
    if got.effects:
        found.append(f"a claim made effects: {got.ledger}")
    return found


PROOF = Proof[StepDeps](
    process=EXPENSES,
    make_workflow=make_workflow,
    make_deps=make_deps,
    paths=PATHS[:3],
    recorded=of_version(PATHS, WORKFLOW_VERSION),
    invariants=invariants,
    min_boundaries=10,
)
