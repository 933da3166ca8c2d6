"""The crash matrix's kill switch: the SDK's plugin hooks, and the boundaries they see.

A boundary is one run of a durable operation's function; ``Killer`` records
every boundary a clean run passes and, given a target, raises ``ProcessKilled``
at it once, at one of three kill points (tests/crash/matrix.py,
docs/crash-matrix.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from aws_durable_execution_sdk_python.plugin import (
    DurableInstrumentationPlugin,
    InvocationStartInfo,
    OperationEndInfo,
    OperationType,
    UserFunctionEndInfo,
    UserFunctionOutcome,
    UserFunctionStartInfo,
)

from tests.utils.crash import ProcessKilled


class KillPoint(StrEnum):
    """Where, around one operation, the process dies."""

    BEFORE_CALL = "before-call"
    BEFORE_CHECKPOINT = "before-checkpoint"
    AFTER_CHECKPOINT = "after-checkpoint"


@dataclass(frozen=True)
class Boundary:
    """One run of a durable operation's function: its (positional) id and attempt.

    Each attempt of a retried step or a poll ends in its own checkpoint (a retry,
    or the end), so each is a boundary; a context's body runs again on every
    replay until it ends, so a context is one boundary (attempt None).
    """

    op_id: str
    name: str
    attempt: int | None
    ends: bool = False  # the operation's terminal checkpoint follows this attempt

    @property
    def label(self) -> str:
        """The operation's name, and the attempt when it is a retry."""
        return self.name if (self.attempt or 1) == 1 else f"{self.name}#{self.attempt}"

    @property
    def points(self) -> tuple[KillPoint, ...]:
        """Where this boundary can be killed: after a checkpoint only at the end."""
        return tuple(KillPoint) if self.ends else tuple(KillPoint)[:2]


class Killer:
    """The plugin factory: records the boundaries it sees, kills at its target once.

    With ``again``, the recovery dies too: the first function that returns in a
    later invocation is killed before its checkpoint, once.
    """

    def __init__(
        self, target: tuple[Boundary, KillPoint] | None = None, *, again: bool = False
    ) -> None:
        self.target = target
        self.again = again
        self.fired = False
        self.fired_again = False
        self._invocations = 0
        self._killed_in = 0  # the invocation the first kill ended
        self._seen: dict[tuple[str, int | None], Boundary] = {}  # in first-run order
        self._running: dict[str, int | None] = {}  # op id -> attempt last started

    @property
    def boundaries(self) -> list[Boundary]:
        """Every operation attempt whose function ran, in the order they first ran."""
        return list(self._seen.values())

    def create_plugin(
        self, info: InvocationStartInfo, /
    ) -> DurableInstrumentationPlugin:
        """One plugin per invocation, all reporting to this killer."""
        self._invocations += 1
        return _KillPlugin(self)

    def started(self, info: UserFunctionStartInfo) -> None:
        """Record the boundary, then kill before the call if it is the target."""
        attempt = None if info.operation_type is OperationType.CONTEXT else info.attempt
        here = Boundary(info.operation_id, str(info.name), attempt)
        self._seen.setdefault((here.op_id, attempt), here)
        self._running[here.op_id] = attempt
        self._at(here.op_id, attempt, KillPoint.BEFORE_CALL)

    def returned(self, info: UserFunctionEndInfo) -> None:
        """Kill before the checkpoint, unless the function suspended (no result)."""
        if info.outcome is not UserFunctionOutcome.INCOMPLETE:
            attempt = self._running.get(info.operation_id)
            self._at(info.operation_id, attempt, KillPoint.BEFORE_CHECKPOINT)

    def ended(self, info: OperationEndInfo) -> None:
        """Mark the attempt the operation ended on, then kill if it is the target."""
        if info.operation_id not in self._running:
            return  # a callback or a replayed operation: no function ran here
        key = (info.operation_id, self._running[info.operation_id])
        if key in self._seen:
            self._seen[key] = replace(self._seen[key], ends=True)
        self._at(*key, KillPoint.AFTER_CHECKPOINT)

    def _at(self, op_id: str, attempt: int | None, point: KillPoint) -> None:
        if self.target is None:
            return
        boundary, kill_point = self.target
        if not self.fired:
            if (boundary.op_id, boundary.attempt, kill_point) == (
                op_id,
                attempt,
                point,
            ):
                self.fired, self._killed_in = True, self._invocations
                raise ProcessKilled(f"killed {point} {boundary.label}")
        elif (
            self.again
            and not self.fired_again
            and point is KillPoint.BEFORE_CHECKPOINT
            and self._invocations > self._killed_in
        ):
            self.fired_again = True
            raise ProcessKilled(
                f"killed again {point}, recovering from {boundary.label}"
            )


class _KillPlugin(DurableInstrumentationPlugin):
    """The SDK's hooks at the three moments of one operation attempt."""

    def __init__(self, killer: Killer) -> None:
        self._killer = killer

    def on_user_function_start(self, info: UserFunctionStartInfo) -> None:
        self._killer.started(info)

    def on_user_function_end(self, info: UserFunctionEndInfo) -> None:
        self._killer.returned(info)

    def on_operation_end(self, info: OperationEndInfo) -> None:
        self._killer.ended(info)
