"""Compute versus waiting for one execution: what durable functions save you.

Compute is the sum of the handler's invocations, as the local Lambda endpoint
timed them; the execution's start and end come from the emulator's
GetDurableExecution, so waiting is everything else. ``timeline`` lays the two
out in order: each invocation, and each wait between them, from the start.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import boto3

from orderflow.local.lambda_endpoint import REGION


def execution_report(home: Path, execution_arn: str) -> dict[str, Any]:
    """Invocations, compute, wait and wall-clock milliseconds of one execution."""
    from orderflow.local.stack import Endpoints  # the stack serves this report

    with closing(sqlite3.connect(home / "lambda.db")) as db:
        rows = db.execute(
            "SELECT started_at, duration_ms FROM invocations WHERE execution_arn = ?",
            (execution_arn,),
        ).fetchall()
    rows.sort()
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
        "timeline": timeline(start, end, rows),
    }


def timeline(
    start: float, end: float, invocations: list[tuple[float, float]]
) -> list[dict[str, Any]]:
    """Compute and wait segments in order, offsets in ms from ``start``.

    ``invocations`` are (started_at seconds, duration ms), oldest first. Gaps
    between them, and before the first and after the last, are waits.
    """
    segments: list[dict[str, Any]] = []
    at = start
    for n, (started, duration_ms) in enumerate(invocations, 1):
        if started > at:
            segments.append(_segment("wait", start, at, (started - at) * 1000))
        segments.append(
            _segment("compute", start, started, duration_ms, f"invocation {n}")
        )
        at = max(at, started + duration_ms / 1000)
    if end > at:
        segments.append(_segment("wait", start, at, (end - at) * 1000))
    return segments


def _segment(
    kind: str, origin: float, at: float, ms: float, label: str = ""
) -> dict[str, Any]:
    return {
        "kind": kind,
        "label": label or kind,
        "offset_ms": (at - origin) * 1000,
        "ms": ms,
    }


def timeline_lines(report: dict[str, Any], width: int = 40) -> list[str]:
    """The timeline as text: one line a segment, with a bar of its share."""
    total = max(report["wall_ms"], 1e-9)
    lines = []
    for seg in report["timeline"]:
        mark = "#" if seg["kind"] == "compute" else "."
        bar = mark * max(1, round(width * seg["ms"] / total))
        lines.append(
            f"  +{seg['offset_ms'] / 1000:9.3f} s  {seg['label']:<13}"
            f"{_duration(seg['ms']):>10}  {bar}"
        )
    return lines


def _duration(ms: float) -> str:
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"
