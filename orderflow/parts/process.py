"""What a business process tells the parts about itself: the registry's entries.

A process (``orderflow/processes/<kind>/``) fills in one ``Process``; the
registry (``orderflow.registry``) lists them. Parts take a ``Process`` where they
need to know a kind's statuses, its durable function or its approval view, and
never import a process themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from orderflow.parts.approvals.subject import AWAITING_APPROVAL, ApprovalView
from orderflow.parts.readmodel import RECEIVED


@dataclass(frozen=True)
class Process:
    """One business process: a durable function and what the parts need of it.

    Args:
        kind: the subject kind, e.g. "order"; the approval page picks its view
            (``approval_ui/templates/subjects/<kind>.html``) by it.
        function: the durable function's logical id in template.yaml.
        function_name: its deployed name after ``<stack>-``, e.g. "order-workflow".
        statuses: the closed set of the subject's statuses.
        terminal: the statuses after which nothing more happens.
        failed: the status the monitor records when an execution dies unrecorded.
        approvals: how the approval page shows the kind, for a process that asks
            people (its statuses then include AWAITING_APPROVAL).
    """

    kind: str
    function: str
    function_name: str
    statuses: type[StrEnum]
    terminal: frozenset[str]
    failed: str = "FAILED"
    approvals: ApprovalView | None = None
    names: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        names = frozenset(s.value for s in self.statuses)
        wanted = {RECEIVED, self.failed, *self.terminal}
        if self.approvals is not None:
            wanted.add(AWAITING_APPROVAL)
            if self.approvals.kind != self.kind:
                raise ValueError(f"{self.kind}: its approval view is of another kind")
        if missing := wanted - names:
            raise ValueError(f"{self.kind}: statuses lack {sorted(missing)}")
        object.__setattr__(self, "names", names)

    @property
    def id_field(self) -> str:
        """What its HTTP API and events call the subject's id: ``order_id``."""
        return f"{self.kind}_id"

    def is_terminal(self, status: str) -> bool:
        """True when nothing more will happen to a subject in ``status``."""
        return status in self.terminal

    def runs(self, function_arn_or_name: str) -> bool:
        """True when ``function_arn_or_name`` (qualified or not) is this process's.

        Deployed, the function is named ``<stack>-<function_name>``; the local
        stack also answers to the logical id.
        """
        parts = function_arn_or_name.split(":")
        name = parts[6] if len(parts) >= 7 and parts[0] == "arn" else parts[0]
        return name == self.function or name.endswith("-" + self.function_name)
