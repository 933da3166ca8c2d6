"""Run in a fresh interpreter by test_order_workflow_risk.py: what a replay imports.

1. Start the high-risk sample: the first invocation validates it (so it loads the
   risk model) and suspends on the approval.
2. Forget every ``orderflow.processes.orders.scoring`` module, as a new Lambda
   sandbox would have never loaded them.
3. Approve: Lambda re-invokes the handler, which replays past ``validate-order``
   from its checkpoint and runs fulfilment (and again after each later wait).
4. Print which modules were loaded after each phase, as JSON.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from aws_durable_execution_sdk_python import durable_execution
from aws_durable_execution_sdk_python_testing.runner import DurableFunctionTestRunner

from functions.order_workflow.app import make_workflow
from orderflow.adapters.sandbox import SandboxProvider
from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.config import Settings
from orderflow.processes.orders.deps import Deps
from tests.utils.approvals import RunnerCallbacks, decide_at_desk
from tests.utils.orders import high_risk_order

RUNTIME = "orderflow.processes.orders.scoring.runtime"
HEAVY = ("numpy", "sklearn", "onnxruntime", "scipy")


def loaded() -> dict[str, bool]:
    """Which ML modules this process holds right now."""
    return {name: name in sys.modules for name in (RUNTIME, *HEAVY)}


def main() -> None:
    """Run the three phases and print what was loaded after each."""
    report: dict[str, Any] = {"before": loaded()}
    with tempfile.TemporaryDirectory() as home:
        store = SqliteStore(Path(home) / "orderflow.db")
        settings = Settings(store_url=f"sqlite:{store.path}")
        deps = Deps(
            store=store, provider=SandboxProvider(store, "", seed=7), settings=settings
        )
        calls = [0]
        inner = durable_execution(make_workflow(lambda: deps))

        def handler(event: Any, context: Any) -> Any:
            calls[0] += 1
            return inner(event, context)

        with DurableFunctionTestRunner(handler=handler, poll_interval=0.02) as runner:
            order = high_risk_order("ORD-T-LAZY")
            arn = runner.run_async(input=json.dumps(order), execution_name="ORD-T-LAZY")
            callback_id = runner.wait_for_callback(
                arn, name="wait-for-approval-1 create callback id", timeout=10
            )
            report["after_validation"] = loaded()
            report["calls_before_approval"] = calls[0]
            for name in [
                m
                for m in sys.modules
                if m.startswith("orderflow.processes.orders.scoring")
            ]:
                del sys.modules[name]
            report["after_forgetting"] = loaded()
            decide_at_desk(store, RunnerCallbacks(runner), callback_id, approved=True)
            result = runner.wait_for_result(arn, timeout=30)
            report["status"] = json.loads(result.result or "{}").get("status")
            report["calls"] = calls[0]
            report["after_replay"] = loaded()
    sys.stdout.write(json.dumps(report) + "\n")


if __name__ == "__main__":
    main()
