"""Every durable function's entry point fails an input nested too deep, at once.

The SDK parses the execution's input before the workflow runs; nested past the
parser's depth, that raised RecursionError out of the handler, an invocation
error the service retries the same way each time. Each durable function in
template.yaml is called here as Lambda calls it, with the invocation event the
service sends: it answers FAILED with the reason, and runs nothing.
"""

from __future__ import annotations

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from orderflow.local.template import FunctionSpec, read_functions
from tests.unit.strategies import nest
from tests.unit.test_local_stack_parts import TEMPLATE

DURABLE = sorted(
    (spec for spec in read_functions(TEMPLATE).values() if spec.durable),
    key=lambda spec: spec.logical_id,
)


def invocation(payload: str) -> dict[str, object]:
    """The first invocation of an execution whose input is ``payload``."""
    arn = "arn:aws:lambda:us-east-1:123456789012:function:f:live/durable-execution/x/e1"
    return {
        "DurableExecutionArn": arn,
        "CheckpointToken": "token-1",
        "InitialExecutionState": {
            "Operations": [
                {
                    "Id": "e1",
                    "Type": "EXECUTION",
                    "Status": "STARTED",
                    "ExecutionDetails": {"InputPayload": payload},
                }
            ],
            "NextMarker": "",
        },
    }


def test_every_durable_function_is_found() -> None:
    assert len(DURABLE) >= 3, [spec.logical_id for spec in DURABLE]


@pytest.mark.parametrize("spec", DURABLE, ids=lambda spec: spec.logical_id)
@pytest.mark.parametrize(
    "payload", ["[" * 40_000, nest({"order_id": "x"}, 33, objects=True)]
)
def test_an_input_nested_too_deep_fails_the_execution_at_once_saying_why(
    spec: FunctionSpec, payload: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No service reachable: whatever the handler calls fails, not just hangs.
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", "http://127.0.0.1:9")
    handler = spec.load_handler()

    output = handler(invocation(payload), LambdaContext())

    assert output["Status"] == "FAILED"
    assert output["Error"]["ErrorType"].endswith("InputTooDeepError")
    assert "more than 32 levels deep" in output["Error"]["ErrorMessage"]
