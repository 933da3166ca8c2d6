"""`orderflow up`, except that the process dies right after one provider call.

The crash comes after the provider applied its effect and before the step's
checkpoint: the worst moment for duplicates. Run as
``python -m tests.e2e.crashing_stack provider.action ARGS...`` with the usual
`orderflow` arguments after the target. The target ``lambda.start`` dies once
the emulator has started an execution, before the Lambda endpoint records it;
``approval.complete`` once a decision is recorded, before its callback completes.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from orderflow.adapters.lambda_callbacks import LambdaCallbacks
from orderflow.adapters.sandbox import SandboxInventory, SandboxPayment, SandboxShipping
from orderflow.cli import main
from orderflow.local.lambda_endpoint import LambdaEndpoint

CRASH_EXIT_CODE = 86
METHODS: dict[str, tuple[type[Any], str]] = {
    "inventory.reserve": (SandboxInventory, "reserve"),
    "payment.capture": (SandboxPayment, "capture"),
    "shipping.create": (SandboxShipping, "create"),
}


def crash_after(target: str) -> None:
    """Make the sandbox's ``target`` call end the process once it has applied."""
    cls, name = METHODS[target]
    call = getattr(cls, name)

    def crashing(self: Any, *args: Any, **kwargs: Any) -> Any:
        call(self, *args, **kwargs)
        os._exit(CRASH_EXIT_CODE)

    setattr(cls, name, crashing)


def crash_after_start() -> None:
    """End the process once the emulator has started an execution, before the
    Lambda endpoint has written down its ARN."""
    forward = LambdaEndpoint.forward

    def crashing(self: LambdaEndpoint, method: str, path: str, *args: Any) -> Any:
        answer = forward(self, method, path, *args)
        if path == "/start-durable-execution":
            os._exit(CRASH_EXIT_CODE)
        return answer

    setattr(LambdaEndpoint, "forward", crashing)  # noqa: B010


def crash_before_completing() -> None:
    """End the process once an approval is claimed, before its callback completes."""

    def crashing(self: LambdaCallbacks, *args: Any) -> None:
        os._exit(CRASH_EXIT_CODE)

    setattr(LambdaCallbacks, "succeed", crashing)  # noqa: B010


if __name__ == "__main__":
    if sys.argv[1] == "lambda.start":
        crash_after_start()
    elif sys.argv[1] == "approval.complete":
        crash_before_completing()
    else:
        crash_after(sys.argv[1])
    sys.exit(main(sys.argv[2:]))
