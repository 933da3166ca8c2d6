"""Start the orchestrator's durable execution with Lambda Invoke.

``DurableExecutionName`` makes Lambda return the existing execution when the
same name comes again with the same payload, and refuse it with
``DurableExecutionAlreadyStartedException`` when the payload differs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import ClientError

from orderflow.domain.errors import OrderConflictError

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


class LambdaWorkflowStarter:
    """``orderflow.ports.WorkflowStarter`` on the Lambda API."""

    def __init__(self, function: str, client: LambdaClient | None = None) -> None:
        self._function = function
        self._client: LambdaClient = client or boto3.client("lambda")

    def start(self, name: str, payload: str) -> str | None:
        """Invoke the orchestrator asynchronously under the execution name."""
        try:
            response = self._client.invoke(
                FunctionName=self._function,
                InvocationType="Event",
                DurableExecutionName=name,
                Payload=payload.encode(),
            )
        except ClientError as e:
            if e.response["Error"]["Code"] == "DurableExecutionAlreadyStartedException":
                raise OrderConflictError(
                    f"order_id {name} is already taken by a different order"
                ) from e
            raise
        return response.get("DurableExecutionArn")
