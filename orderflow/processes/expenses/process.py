"""The expense claim process as the registry lists it (orderflow/registry.py)."""

from __future__ import annotations

from orderflow.parts.process import Process
from orderflow.processes.expenses.approval import VIEW
from orderflow.processes.expenses.model import KIND, TERMINAL, ExpenseStatus

PROCESS = Process(
    kind=KIND,
    function="ExpenseWorkflowFunction",
    function_name="expense-workflow",
    statuses=ExpenseStatus,
    terminal=frozenset(TERMINAL),
    approvals=VIEW,
)
