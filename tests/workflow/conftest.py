"""Helpers for workflow tests: the real handler in the SDK's in-memory runner.

The runner is a fake durable-execution backend, not a mock: each suspension
(an approval, a retry delay) ends the invocation, and the next one replays the
handler from the top against the checkpoints, exactly as Lambda does.
``build_harness`` takes any registered process's proof (tests/proofs/); the
``harness`` fixture builds the order's.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import pytest
from aws_durable_execution_sdk_python import durable_execution
from aws_durable_execution_sdk_python_testing.runner import (
    DurableFunctionTestResult,
    DurableFunctionTestRunner,
)
from aws_durable_execution_sdk_python_testing.stores.base import ExecutionStore

from orderflow.adapters.sandbox import SandboxProvider
from orderflow.domain.records import ApprovalRequest, Effect, OutboxMessage
from orderflow.parts.deps import StepDeps
from orderflow.ports import Providers, Store
from orderflow.processes.orders.deps import Deps
from tests.proofs import Path, Proof
from tests.proofs.order import PROOF as ORDER
from tests.utils.approvals import RunnerCallbacks, decide_at_desk
from tests.utils.crash import ProcessKilled

D = TypeVar("D", bound=StepDeps)

# The approval time-out runs on the real clock (skip_time does not skip it).
RESULT_TIMEOUT_SECONDS = 30


def callback_name(n: int) -> str:
    """The runner's name for the callback inside ``wait-for-approval-<n>``."""
    return f"wait-for-approval-{n} create callback id"


def op_names(result: DurableFunctionTestResult) -> list[str]:
    """Top-level operation names, in the order the workflow ran them."""
    return [str(op.name) for op in result.operations]


def body(result: DurableFunctionTestResult) -> dict[str, Any]:
    """The workflow's JSON result, parsed."""
    assert result.result is not None, result.error
    parsed: dict[str, Any] = json.loads(result.result)
    return parsed


def history(store: Store, order_id: str) -> list[str]:
    """The read model's status history, oldest first."""
    record = store.get_subject(order_id)
    assert record is not None, f"no read model for {order_id}"
    return [change.status for change in record.history]


def ledger(store: Store, order_id: str) -> list[tuple[str, int, int]]:
    """The order's effects as (provider.action, amount_cents, quantity), in order."""
    return [
        (f"{e.provider}.{e.action}", e.amount_cents, e.quantity)
        for e in store.list_effects(order_id)
    ]


class CountingStore:
    """A Store proxy counting each write per key, to prove effects ran once."""

    def __init__(self, inner: Store) -> None:
        self._inner = inner
        self.writes: Counter[tuple[str, str]] = Counter()

    def create_subject(
        self, kind: str, subject_id: str, body: dict[str, Any], *, at: str
    ) -> bool:
        """Count, then delegate."""
        self.writes["create_subject", subject_id] += 1
        return self._inner.create_subject(kind, subject_id, body, at=at)

    def set_status(
        self,
        subject_id: str,
        status: str,
        *,
        at: str,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Count, then delegate."""
        self.writes["set_status", f"{subject_id}:{status}"] += 1
        self._inner.set_status(subject_id, status, at=at, detail=detail)

    def put_approval(self, approval: ApprovalRequest) -> bool:
        """Count, then delegate."""
        self.writes["put_approval", approval.callback_id] += 1
        return self._inner.put_approval(approval)

    def add_outbox(self, message: OutboxMessage) -> bool:
        """Count, then delegate."""
        self.writes["add_outbox", message.message_id] += 1
        return self._inner.add_outbox(message)

    def record_effect(self, effect: Effect) -> tuple[Effect, bool]:
        """Count, then delegate."""
        self.writes["record_effect", effect.idempotency_key] += 1
        return self._inner.record_effect(effect)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def count(self, method: str) -> Counter[str]:
        """Calls of ``method`` per key."""
        return Counter({k: n for (m, k), n in self.writes.items() if m == method})


@dataclass
class Harness(Generic[D]):
    """One runner around a process's real workflow handler, bound to one set of deps."""

    runner: DurableFunctionTestRunner
    deps: D
    id_field: str = "order_id"  # the input's field that names the execution
    invocations: list[int] = field(default_factory=lambda: [0])
    # What each invocation returned to the runner (Status, Result or Error).
    outputs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def store(self) -> Store:
        """The store the workflow writes to."""
        return self.deps.store

    @property
    def handler_calls(self) -> int:
        """How many times Lambda invoked the handler (1 + replays)."""
        return self.invocations[0]

    def run(
        self, subject: dict[str, Any], timeout: int = RESULT_TIMEOUT_SECONDS
    ) -> DurableFunctionTestResult:
        """Run ``subject`` to its end; for subjects that need no human."""
        return self.runner.run(
            input=json.dumps(subject),
            execution_name=str(subject.get(self.id_field, "no-id")),
            execution_timeout=timeout,
        )

    def start(self, subject: dict[str, Any]) -> str:
        """Start ``subject`` without waiting; its execution ARN."""
        return self.runner.run_async(
            input=json.dumps(subject), execution_name=subject[self.id_field]
        )

    def callback_id(self, arn: str, n: int = 1) -> str:
        """The id of approval ``n``'s callback, once the workflow is suspended on it."""
        return self.runner.wait_for_callback(arn, name=callback_name(n), timeout=10)

    def decide(
        self,
        arn: str,
        n: int = 1,
        *,
        approved: bool,
        approver: str | None = None,
        comment: str | None = None,
    ) -> str:
        """Decide approval ``n`` through the desk, with its emailed link.

        ``approver``, when given, must be the one asked. The callback id used.
        """
        callback_id = self.callback_id(arn, n)
        decided_by = decide_at_desk(
            self.store,
            RunnerCallbacks(self.runner),
            callback_id,
            approved=approved,
            comment=comment,
            now=self.deps.now,
        )
        assert approver in (None, decided_by), f"approval {n} asks {decided_by}"
        return callback_id

    def complete_raw(self, arn: str, n: int, result: Any) -> str:
        """Complete approval ``n``'s callback with ``result``, bypassing the desk."""
        callback_id = self.callback_id(arn, n)
        self.runner.send_callback_success(callback_id, json.dumps(result).encode())
        return callback_id

    def result(self, arn: str) -> DurableFunctionTestResult:
        """Wait for the execution to end."""
        return self.runner.wait_for_result(arn, timeout=RESULT_TIMEOUT_SECONDS)


def run_path(h: Harness[Any], path: Path) -> tuple[str, DurableFunctionTestResult]:
    """Start ``path``'s input, answer its decisions, await its end; close the runner.

    The execution's ARN and result.
    """
    try:
        arn = h.start(path.input)
        for d in path.decisions:
            h.decide(arn, d.round, approved=d.approved, approver=d.approver)
        return arn, h.result(arn)
    finally:
        h.runner.close()


def build_harness(
    proof: Proof[D],
    deps: D,
    *,
    execution_store: ExecutionStore | None = None,
    plugins: list[Any] | None = None,
    redelivery_seconds: int | None = None,
    poll_interval: float = 0.02,
) -> Harness[D]:
    """A Harness around ``proof``'s real handler bound to ``deps``; close its runner.

    ``execution_store`` is where the runner keeps the executions' checkpoints;
    ``plugins`` are the SDK's instrumentation plugin factories for the handler;
    ``redelivery_seconds`` replaces the runner's 5 s wait before it invokes the
    handler again after a failed invocation (its ``RETRY_BACKOFF_SECONDS``, real
    time: ``skip_time`` does not skip it).
    """
    invocations = [0]
    outputs: list[dict[str, Any]] = []
    inner = durable_execution(proof.make_workflow(lambda: deps), plugins=plugins)

    def handler(event: Any, context: Any) -> Any:
        invocations[0] += 1
        try:
            output = inner(event, context)
        except ProcessKilled as e:
            # What Lambda reports when the process dies mid-invocation;
            # the durable-execution service invokes the function again.
            raise RuntimeError(f"Runtime.ExitError: {e}") from e
        outputs.append(output)
        return output

    runner = DurableFunctionTestRunner(
        handler=handler, poll_interval=poll_interval, store=execution_store
    )
    if redelivery_seconds is not None:
        runner._executor.RETRY_BACKOFF_SECONDS = redelivery_seconds
    return Harness(
        runner=runner,
        deps=deps,
        id_field=proof.process.id_field,
        invocations=invocations,
        outputs=outputs,
    )


@pytest.fixture
def harness(
    make_deps: Callable[..., Deps],
) -> Iterator[Callable[..., Harness[Deps]]]:
    """The order's Harness: ``harness(faults="...", store=..., wrap=..., **settings)``.

    ``wrap`` replaces the providers with a wrapper around them (a crash injector).
    """
    with ExitStack() as stack:

        def build(
            faults: str = "",
            store: Any = None,
            wrap: Callable[[Providers], Providers] | None = None,
            **settings: object,
        ) -> Harness[Deps]:
            deps = make_deps(faults, **settings)
            if store is not None:
                deps = Deps(
                    store=store,
                    provider=SandboxProvider(store, faults, seed=7),
                    settings=deps.settings,
                )
            if wrap is not None:
                deps.provider = wrap(deps.provider)
            h = build_harness(ORDER, deps)
            stack.callback(h.runner.close)
            return h

        yield build
