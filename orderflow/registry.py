"""The process registry: the one place that lists the business processes.

The local stack, the approval function, monitoring, the template checks and the
test suites learn the processes from ``PROCESSES``; a new process is its own
folder under ``orderflow/processes/`` plus one entry here (docs/adding-a-process.md).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Process:
    """One business process: a durable function and what the parts need of it."""

    kind: str  # the subject kind: "order"
    function: str  # the durable function's logical id in template.yaml
    function_name: str  # its deployed name after "<stack>-": "order-workflow"


ORDERS = Process(
    kind="order", function="OrderWorkflowFunction", function_name="order-workflow"
)
PROCESSES: tuple[Process, ...] = (ORDERS,)


def process(kind: str) -> Process:
    """The registered process of ``kind``; KeyError names the kinds there are."""
    for p in PROCESSES:
        if p.kind == kind:
            return p
    raise KeyError(
        f"no process of kind {kind!r}; registered: {[p.kind for p in PROCESSES]}"
    )
