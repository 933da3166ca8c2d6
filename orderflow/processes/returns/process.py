"""The return process as the registry lists it (orderflow/registry.py)."""

from __future__ import annotations

from orderflow.parts.process import Process
from orderflow.processes.returns.approval import KIND, VIEW
from orderflow.processes.returns.status import TERMINAL_STATUSES, ReturnStatus

PROCESS = Process(
    kind=KIND,
    function="ReturnWorkflowFunction",
    function_name="return-workflow",
    statuses=ReturnStatus,
    terminal=frozenset(TERMINAL_STATUSES),
    approvals=VIEW,
)
