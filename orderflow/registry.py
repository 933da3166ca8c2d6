"""The process registry: the one place that lists the business processes.

The local stack, the approval function, monitoring, the template checks and the
test suites learn the processes from ``PROCESSES``; a new process is its own
folder under ``orderflow/processes/`` (with its ``process.py``) plus one entry
here (docs/adding-a-process.md).
"""

from __future__ import annotations

from orderflow.parts.approvals.subject import ApprovalView
from orderflow.parts.process import Process
from orderflow.processes.expenses.process import PROCESS as EXPENSES
from orderflow.processes.orders.process import PROCESS as ORDERS
from orderflow.processes.returns.process import PROCESS as RETURNS

PROCESSES: tuple[Process, ...] = (ORDERS, EXPENSES, RETURNS)
__all__ = ["EXPENSES", "ORDERS", "PROCESSES", "RETURNS", "approval_views", "process"]


def process(kind: str) -> Process:
    """The registered process of ``kind``; KeyError names the kinds there are."""
    for p in PROCESSES:
        if p.kind == kind:
            return p
    kinds = [p.kind for p in PROCESSES]
    raise KeyError(f"no process of kind {kind!r}; registered: {kinds}")


def process_running(function_arn_or_name: str) -> Process | None:
    """The process whose durable function is ``function_arn_or_name``, if any."""
    return next((p for p in PROCESSES if p.runs(function_arn_or_name)), None)


def approval_views() -> dict[str, ApprovalView]:
    """Each asking process's approval page and words, by subject kind."""
    return {p.kind: p.approvals for p in PROCESSES if p.approvals is not None}
