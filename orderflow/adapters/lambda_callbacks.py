"""Complete durable callbacks through the Lambda API, the same code locally and in AWS.

Locally the boto3 client's endpoint is the local stack's Lambda endpoint
(``AWS_ENDPOINT_URL_LAMBDA``), which forwards the call to AWS's durable-execution
emulator; in AWS it is Lambda itself.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


class CallbackAlreadyClosedError(Exception):
    """The callback was completed already or timed out."""


class ExecutionGoneError(CallbackAlreadyClosedError):
    """The callback's execution no longer runs: stopped, timed out, failed, gone.

    Lambda answers ``ResourceNotFoundException``; so does the local stack's
    emulator for a callback of an execution that has ended
    (orderflow/local/status_events.py).
    """


class LambdaCallbacks:
    """Send a callback's success or failure to the durable execution service."""

    def __init__(self, client: LambdaClient | None = None) -> None:
        self._client: LambdaClient = client or boto3.client("lambda")

    def succeed(self, callback_id: str, result: dict[str, Any]) -> None:
        """Complete the callback with a JSON result."""
        try:
            self._client.send_durable_execution_callback_success(
                CallbackId=callback_id, Result=json.dumps(result).encode()
            )
        except self._client.exceptions.ResourceNotFoundException as e:
            raise ExecutionGoneError(str(e)) from e
        except self._client.exceptions.CallbackTimeoutException as e:
            raise CallbackAlreadyClosedError(str(e)) from e

    def fail(self, callback_id: str, *, error_type: str, message: str) -> None:
        """Fail the callback: for system errors only, never for a rejection."""
        try:
            self._client.send_durable_execution_callback_failure(
                CallbackId=callback_id,
                Error={"ErrorType": error_type, "ErrorMessage": message},
            )
        except self._client.exceptions.ResourceNotFoundException as e:
            raise ExecutionGoneError(str(e)) from e
        except self._client.exceptions.CallbackTimeoutException as e:
            raise CallbackAlreadyClosedError(str(e)) from e
