"""The returns harness: a completed order, the front door, the real return workflow.

The order is completed by the real order workflow (the ``harness`` fixture of
tests/workflow/conftest.py) on the test's store; returns go through the real
front door (``intake.submit``, with a starter that records what it would start)
and then run in the SDK's in-memory runner, as the order workflow's tests do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aws_durable_execution_sdk_python import durable_execution
from aws_durable_execution_sdk_python_testing.runner import (
    DurableFunctionTestResult,
    DurableFunctionTestRunner,
)

from orderflow.adapters.sandbox import ReturnParcels, SandboxProvider
from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.config import Settings
from orderflow.processes.returns import intake
from orderflow.processes.returns.deps import ReturnDeps
from orderflow.processes.returns.model import parse_return
from orderflow.processes.returns.settings import ReturnSettings
from orderflow.processes.returns.workflow import make_workflow
from tests.utils.approvals import RunnerCallbacks, decide_at_desk
from tests.utils.orders import low_risk_order
from tests.workflow.conftest import RESULT_TIMEOUT_SECONDS, Harness, body, callback_name

# Quick parcel checks: the deadline passes after a dozen polls.
FAST_PARCELS = {
    "parcel_deadline_seconds": 5,
    "parcel_poll_seconds": 1,
    "parcel_poll_max_seconds": 1,
}


@dataclass
class RecordingStarter:
    """A WorkflowStarter that records the executions it was asked to start."""

    started: list[tuple[str, str]] = field(default_factory=list)

    def start(self, name: str, payload: str) -> str | None:
        """Record; no ARN (the test runs the execution itself)."""
        self.started.append((name, payload))
        return None


def return_body(
    return_id: str, order_id: str, *lines: tuple[str, int], **changes: Any
) -> dict[str, Any]:
    """A ``POST /returns`` body for ``lines`` (sku, quantity) of ``order_id``."""
    data: dict[str, Any] = {
        "return_id": return_id,
        "order_id": order_id,
        "items": [{"sku": s, "quantity": q} for s, q in lines],
        "reason": "changed_mind",
    }
    return data | changes


@dataclass
class ReturnHarness:
    """The return workflow in a runner, its deps, and the front door before it."""

    runner: DurableFunctionTestRunner
    deps: ReturnDeps
    starter: RecordingStarter

    @property
    def store(self) -> SqliteStore:
        """The store every process writes to."""
        store = self.deps.store
        assert isinstance(store, SqliteStore)
        return store

    def submit(
        self, data: dict[str, Any], now: datetime | None = None
    ) -> intake.Accepted:
        """Send ``data`` through the front door (nothing runs yet)."""
        return intake.submit(
            parse_return(data),
            store=self.store,
            starter=self.starter,
            settings=self.deps.returns,
            now=now or datetime.now(UTC),
        )

    def run(self, data: dict[str, Any]) -> DurableFunctionTestResult:
        """Submit and run the return to its end; for returns no human decides."""
        self.submit(data)
        return self.runner.run(
            input=self._payload(data),
            execution_name=data["return_id"],
            execution_timeout=RESULT_TIMEOUT_SECONDS,
        )

    def start(self, data: dict[str, Any]) -> str:
        """Submit and start the return without waiting; its execution ARN."""
        self.submit(data)
        return self.runner.run_async(
            input=self._payload(data), execution_name=data["return_id"]
        )

    def decide(self, arn: str, n: int = 1, *, approved: bool) -> None:
        """Decide approval ``n`` through the desk, with its emailed link."""
        callback_id = self.runner.wait_for_callback(
            arn, name=callback_name(n), timeout=10
        )
        decide_at_desk(
            self.store,
            RunnerCallbacks(self.runner),
            callback_id,
            approved=approved,
            now=self.deps.now,
        )

    def result(self, arn: str) -> DurableFunctionTestResult:
        """Wait for the execution to end."""
        return self.runner.wait_for_result(arn, timeout=RESULT_TIMEOUT_SECONDS)

    @staticmethod
    def _payload(data: dict[str, Any]) -> str:
        return parse_return(data).model_dump_json()


@pytest.fixture
def completed_order(harness: Callable[..., Harness]) -> Callable[..., dict[str, Any]]:
    """Run an order through the real order workflow to COMPLETED; the order."""

    def complete(order_id: str = "ORD-R-1", **changes: Any) -> dict[str, Any]:
        order = low_risk_order(order_id, **changes)
        assert body(harness().run(order))["status"] == "COMPLETED"
        return order

    return complete


@pytest.fixture
def returns(store: SqliteStore) -> Iterator[Callable[..., ReturnHarness]]:
    """Build a ReturnHarness: ``returns(faults=, parcels=, **return_settings)``."""
    with ExitStack() as stack:

        def build(
            faults: str = "",
            parcels: ReturnParcels | None = None,
            approval_timeout_seconds: int = 30,
            **settings: Any,
        ) -> ReturnHarness:
            config = Settings(
                store_url=f"sqlite:{store.path}",
                faults=faults,
                approval_timeout_seconds=approval_timeout_seconds,
            )
            provider = SandboxProvider(
                store,
                faults,
                seed=7,
                stage_seconds=0,
                returns=parcels or ReturnParcels(),
            )
            deps = ReturnDeps(
                store=store,
                provider=provider,
                settings=config,
                returns=ReturnSettings(**(FAST_PARCELS | settings)),
            )
            runner = DurableFunctionTestRunner(
                handler=durable_execution(make_workflow(lambda: deps)),
                poll_interval=0.02,
            )
            stack.callback(runner.close)
            return ReturnHarness(runner, deps, RecordingStarter())

        yield build
