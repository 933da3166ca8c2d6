"""Compute versus waiting for one execution: what durable functions save you.

Compute is the sum of the handler's invocations, as the local Lambda endpoint
timed them; the execution's start and end come from the emulator's
GetDurableExecution, so waiting is everything else.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import boto3

from orderflow.local.lambda_endpoint import REGION
from orderflow.local.stack import Endpoints


def execution_report(home: Path, execution_arn: str) -> dict[str, Any]:
    """Invocations, compute, wait and wall-clock milliseconds of one execution."""
    with closing(sqlite3.connect(home / "lambda.db")) as db:
        rows = db.execute(
            "SELECT started_at, duration_ms FROM invocations WHERE execution_arn = ?",
            (execution_arn,),
        ).fetchall()
    compute_ms = sum(duration for _, duration in rows)
    start = min((s for s, _ in rows), default=time.time())
    end = max((s + d / 1000 for s, d in rows), default=start)
    status = "UNKNOWN (stack not running)"
    endpoints = Endpoints.read(home)
    if endpoints is not None:
        client = boto3.client(
            "lambda",
            endpoint_url=endpoints.lambda_url,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - the local stack checks none
        )
        execution = client.get_durable_execution(DurableExecutionArn=execution_arn)
        status = execution["Status"]
        start = execution["StartTimestamp"].timestamp()
        finished = execution.get("EndTimestamp")
        end = finished.timestamp() if finished else time.time()
    wall_ms = max(0.0, (end - start) * 1000)
    return {
        "execution_arn": execution_arn,
        "status": status,
        "invocations": len(rows),
        "compute_ms": compute_ms,
        "wait_ms": max(0.0, wall_ms - compute_ms),
        "wall_ms": wall_ms,
    }
