"""The local stack's EventBridge rule: execution endings, told to status-events.

In AWS, Lambda sends ``Durable Execution Status Change`` to EventBridge and the
template's rule delivers it to the status-events function, which closes a
subject whose execution ended outside its workflow (orderflow/parts/ending.py).
The emulator has no EventBridge, so its launcher (orderflow/local/emulator.py)
calls ``watch`` on its executor:

- every execution that ends STOPPED, TIMED_OUT or FAILED is reported: the same
  event, built from the emulator's record of the execution, is invoked on the
  status-events function through the local Lambda endpoint, in the background
  and retried as the rule's retry policy would; the handler runs in the stack's
  process, on its store, exactly as deployed. SUCCEEDED and RUNNING are not
  reported: the workflow recorded those itself, and locally its alerts are in
  the outbox already.
- each report is journalled once delivered (``endings.db`` beside the
  emulator's store, owner-only), and ``report_unreported`` sends at start what
  a killed stack never delivered; the handler is idempotent.
- a callback of an ended execution is refused, as Lambda refuses it, with
  ``ResourceNotFoundException``: the emulator would otherwise accept it and
  answer 200 for a decision nothing will ever read. The check runs inside the
  executor's per-execution task, so a stop and a completion cannot interleave.

It reaches into the executor (``_complete_events``, ``_complete_callback_*``,
``_process_callback_heartbeat``), as the recovery in emulator.py does: the
package offers no public hook. tests/e2e/test_execution_ended.py pins it.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import queue
import sqlite3
import threading
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aws_durable_execution_sdk_python_testing.token import CallbackToken

from orderflow.monitoring.events import STATUS_CHANGE

log = logging.getLogger("orderflow.local.status_events")

REPORTED = frozenset({"STOPPED", "TIMED_OUT", "FAILED"})
ACCOUNT_ID = "123456789012"
# The template's StatusChange rule retries 8 times; locally a little faster.
ATTEMPTS, FIRST_DELAY, MAX_DELAY = 9, 0.5, 30.0
CALLBACK_STEPS = (
    "_complete_callback_success",
    "_complete_callback_failure",
    "_process_callback_heartbeat",
)


class ExecutionEndedError(Exception):
    """A callback of an execution that has ended; the emulator answers 404."""


def _iso(at: datetime | None) -> str | None:
    if at is None:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).isoformat()


def status_change_event(execution: Any, region: str) -> dict[str, Any] | None:
    """The EventBridge event Lambda sends for ``execution``'s ending, if reported."""
    status = execution.close_status.value if execution.close_status else None
    if not execution.is_complete or status not in REPORTED:
        return None
    started = execution.get_operation_execution_started()
    start = execution.start_input
    function_arn = (
        f"arn:aws:lambda:{region}:{start.account_id or ACCOUNT_ID}:function:"
        f"{start.function_name}:{start.function_qualifier}"
    )
    ended = started.end_timestamp or datetime.now(UTC)
    return {
        "version": "0",
        "id": f"{execution.durable_execution_arn}:{status}",
        "source": "aws.lambda",
        "detail-type": STATUS_CHANGE,
        "account": start.account_id or ACCOUNT_ID,
        "region": region,
        "time": _iso(ended),
        "resources": [execution.durable_execution_arn],
        "detail": {
            "durableExecutionArn": execution.durable_execution_arn,
            "durableExecutionName": start.execution_name,
            "functionArn": function_arn,
            "status": status,
            "startTimestamp": _iso(started.start_timestamp),
            "endTimestamp": _iso(ended),
        },
    }


class EndingReporter:
    """Delivers endings to the status-events function, once each, in order."""

    def __init__(
        self,
        *,
        lambda_endpoint: str,
        function: str,
        journal: Path,
        region: str,
        load: Callable[[str], Any],
    ) -> None:
        self.url = (
            f"{lambda_endpoint.rstrip('/')}/2015-03-31/functions/"
            f"{quote(function)}/invocations"
        )
        self.region, self.load = region, load
        self.journal = journal
        if not journal.exists():  # owner-only, like everything under the home
            os.close(os.open(journal, os.O_WRONLY | os.O_CREAT, 0o600))
        with self._db() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS reported"
                " (arn TEXT PRIMARY KEY, status TEXT NOT NULL, at TEXT NOT NULL)"
            )
        self._queue: queue.Queue[str] = queue.Queue()
        self._thread = threading.Thread(
            target=self._run, name="orderflow-status-events", daemon=True
        )
        self._thread.start()

    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.journal, timeout=30, isolation_level=None)

    def report(self, execution_arn: str) -> None:
        """Queue the ending of ``execution_arn`` (a no-op if it is not reported)."""
        self._queue.put(execution_arn)

    def reported(self, execution_arn: str) -> bool:
        """True once the ending of ``execution_arn`` has been delivered."""
        db = self._db()
        try:
            row = db.execute(
                "SELECT 1 FROM reported WHERE arn = ?", (execution_arn,)
            ).fetchone()
        finally:
            db.close()
        return row is not None

    def report_unreported(self, executions: list[Any]) -> int:
        """Queue every ended execution whose ending was never delivered; how many."""
        missed = [
            e.durable_execution_arn
            for e in executions
            if status_change_event(e, self.region) is not None
            and not self.reported(e.durable_execution_arn)
        ]
        for arn in missed:
            self.report(arn)
        return len(missed)

    def _run(self) -> None:
        while True:
            arn = self._queue.get()
            try:
                event = status_change_event(self.load(arn), self.region)
                if event is not None and not self.reported(arn):
                    self._deliver(arn, event)
            except Exception:  # a bad record must not stop the reports after it
                log.exception("could not report the ending of an execution")

    def _deliver(self, arn: str, event: dict[str, Any]) -> None:
        delay = FIRST_DELAY
        for attempt in range(1, ATTEMPTS + 1):
            if self._invoke(event):
                db = self._db()
                try:
                    db.execute(
                        "INSERT OR IGNORE INTO reported VALUES (?, ?, ?)",
                        (arn, event["detail"]["status"], datetime.now(UTC).isoformat()),
                    )
                finally:
                    db.close()
                return
            log.warning("status change not delivered (attempt %d)", attempt)
            time.sleep(delay)
            delay = min(delay * 2, MAX_DELAY)
        log.error("status change of %s dropped after %d attempts", arn, ATTEMPTS)

    def _invoke(self, event: dict[str, Any]) -> bool:
        """One Invoke of the status-events function; True if it returned."""
        request = urllib.request.Request(  # noqa: S310 - the loopback endpoint
            self.url,
            data=json.dumps(event).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as answer:  # noqa: S310
                return answer.status == 200 and not answer.headers.get(
                    "X-Amz-Function-Error"
                )
        except OSError:
            return False


def watch(executor: Any, reporter: EndingReporter | None) -> None:
    """Report ``executor``'s endings and refuse callbacks of ended executions."""
    if reporter is not None:
        complete_events = executor._complete_events

        @functools.wraps(complete_events)
        def _complete_events(execution_arn: str) -> None:
            complete_events(execution_arn)
            reporter.report(execution_arn)

        executor._complete_events = _complete_events
    for name in CALLBACK_STEPS:
        setattr(executor, name, _refusing_ended(executor, getattr(executor, name)))


def _refusing_ended(executor: Any, step: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(step)
    def guarded(callback_id: str, *args: Any, **kwargs: Any) -> Any:
        arn = CallbackToken.from_str(callback_id).execution_arn
        execution = executor.get_execution(arn)
        if execution.is_complete:
            status = execution.close_status.value if execution.close_status else ""
            # The emulator wraps this in its ResourceNotFoundException (404).
            raise ExecutionEndedError(f"the durable execution has ended {status}")
        return step(callback_id, *args, **kwargs)

    return guarded
