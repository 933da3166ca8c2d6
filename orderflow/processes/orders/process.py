"""The order process as the registry lists it (orderflow/registry.py)."""

from __future__ import annotations

from orderflow.parts.approvals.subject import ApprovalView
from orderflow.parts.process import Process
from orderflow.processes.orders.approval import KIND, WORDING, order_view
from orderflow.processes.orders.status import TERMINAL_STATUSES, OrderStatus

PROCESS = Process(
    kind=KIND,
    function="OrderWorkflowFunction",
    function_name="order-workflow",
    statuses=OrderStatus,
    terminal=frozenset(TERMINAL_STATUSES),
    approvals=ApprovalView(KIND, WORDING, order_view),
)
