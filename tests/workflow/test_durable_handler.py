"""The workflows' handler, ``durable_handler``, in the SDK's runner.

It hands every input within the nesting limit to the SDK's handler unchanged.
What it refuses is proven where the runner cannot go: the runner (and the
emulator built on it) parses a start's input itself, and a deep one crashes it
first, so tests/unit/test_durable_entry_points.py calls each durable function's
entry point with the invocation event the service sends, and the local Lambda
endpoint refuses a deep start before its emulator sees it.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from aws_durable_execution_sdk_python.execution import InvocationStatus
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner

from functions.order_workflow.app import make_workflow
from orderflow.parts.durable import durable_handler
from orderflow.processes.orders.deps import Deps
from orderflow.processes.orders.operations import Op
from tests.utils.orders import load_event


def test_an_input_within_the_limit_runs_the_workflow(
    make_deps: Callable[..., Deps],
) -> None:
    deps = make_deps()
    handler = durable_handler(make_workflow(lambda: deps))

    with DurableFunctionTestRunner(handler=handler, poll_interval=0.02) as runner:
        result = runner.run(
            input=json.dumps(load_event("order-invalid.json")),
            execution_name="order-invalid",
            execution_timeout=30,
        )

    assert result.status is InvocationStatus.SUCCEEDED
    assert json.loads(result.result or "{}")["status"] == "FAILED"
    assert [op.name for op in result.operations] == [Op.VALIDATE_ORDER]
