"""The local stack's StatusChange rule (orderflow/local/status_events.py).

Executions are the testing SDK's own ``Execution`` records; the events built
from them go through the monitor's parser and the registry, as in AWS. The
reporter delivers to a real HTTP server that answers as the Lambda endpoint
does, a function error first.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from aws_durable_execution_sdk_python.lambda_service import ErrorObject
from aws_durable_execution_sdk_python_testing.execution import Execution
from aws_durable_execution_sdk_python_testing.model import StartDurableExecutionInput

from orderflow.local.lambda_endpoint import _lambda_error
from orderflow.local.status_events import EndingReporter, status_change_event
from orderflow.local.template import read_functions
from orderflow.monitoring.events import StatusChangeEvent, parse_event
from orderflow.registry import ORDERS, RETURNS, process_running

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
STOP = ErrorObject.from_message("Execution stopped by user request")


def execution(name: str, function: str = "OrderWorkflowFunction") -> Execution:
    """A started execution of ``function``, as the emulator keeps it."""
    started = Execution.new(
        StartDurableExecutionInput(
            account_id="123456789012",
            function_name=function,
            function_qualifier="live",
            execution_name=name,
            execution_timeout_seconds=900,
            execution_retention_period_days=1,
            input="{}",
            invocation_id=f"inv-{name}",
        )
    )
    started.start()
    return started


@pytest.mark.parametrize(
    ("end", "status"),
    [
        (lambda e: e.complete_stopped(error=STOP), "STOPPED"),
        (lambda e: e.complete_timeout(error=STOP), "TIMED_OUT"),
        (lambda e: e.complete_fail(error=STOP), "FAILED"),
    ],
    ids=["stopped", "timed-out", "failed"],
)
def test_an_ending_outside_the_workflow_becomes_lambdas_status_change_event(
    end: Any, status: str
) -> None:
    ended = execution("ORD-9")
    end(ended)

    event = status_change_event(ended, "us-east-1")

    assert event is not None
    parsed = parse_event(event)
    assert isinstance(parsed, StatusChangeEvent)
    detail = parsed.detail
    assert (detail.order_id, detail.status.value) == ("ORD-9", status)
    assert detail.execution_arn == ended.durable_execution_arn
    assert detail.ended_at is not None and detail.ended_at >= detail.started_at
    assert process_running(detail.function_arn) is ORDERS


def test_another_process_is_named_by_its_function() -> None:
    ended = execution("RET-1", "ReturnWorkflowFunction")
    ended.complete_stopped(error=STOP)

    event = status_change_event(ended, "us-east-1")

    assert event is not None
    assert process_running(event["detail"]["functionArn"]) is RETURNS


def test_running_and_succeeded_executions_are_not_reported() -> None:
    running = execution("ORD-1")
    done = execution("ORD-2")
    done.complete_success(result="{}")

    assert status_change_event(running, "us-east-1") is None
    assert status_change_event(done, "us-east-1") is None


def test_the_stack_reports_to_the_function_the_templates_rule_feeds() -> None:
    functions = read_functions(TEMPLATE)

    assert [n for n, f in functions.items() if f.status_changes] == [
        "StatusEventsFunction"
    ]


def test_an_emulator_error_carries_its_code_where_lambda_puts_it() -> None:
    body = json.dumps({"Type": "ResourceNotFoundException", "Message": "gone"})

    status, headers, _ = _lambda_error((404, [], body.encode()))

    assert status == 404 and ("x-amzn-ErrorType", "ResourceNotFoundException") in (
        headers
    )
    assert _lambda_error((200, [], b"{}")) == (200, [], b"{}")
    assert _lambda_error((500, [], b"not json")) == (500, [], b"not json")


class _Endpoint(BaseHTTPRequestHandler):
    """Answers Invoke as the Lambda endpoint does: a function error, then success."""

    received: list[dict[str, Any]]
    errors_left: int

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(200)
        if type(self).errors_left > 0:
            type(self).errors_left -= 1
            self.send_header("X-Amz-Function-Error", "Unhandled")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def endpoint() -> Iterator[tuple[str, type[_Endpoint]]]:
    handler = type("Handler", (_Endpoint,), {"received": [], "errors_left": 1})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", handler
    server.shutdown()
    server.server_close()


def wait_until(check: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_an_ending_is_retried_until_delivered_then_never_sent_again(
    endpoint: tuple[str, type[_Endpoint]], tmp_path: Path
) -> None:
    url, handler = endpoint
    stopped = execution("ORD-7")
    stopped.complete_stopped(error=STOP, now=datetime.now(UTC))
    journal = tmp_path / "endings.db"

    def reporter() -> EndingReporter:
        return EndingReporter(
            lambda_endpoint=url,
            function="StatusEventsFunction",
            journal=journal,
            region="us-east-1",
            load=lambda arn: stopped,
        )

    first = reporter()
    first.report(stopped.durable_execution_arn)
    wait_until(lambda: first.reported(stopped.durable_execution_arn))

    assert [e["detail"]["status"] for e in handler.received] == ["STOPPED"] * 2
    assert journal.stat().st_mode & 0o777 == 0o600
    # After a restart, only what was never delivered is sent again.
    running = execution("ORD-8")
    assert reporter().report_unreported([stopped, running]) == 0
    time.sleep(0.3)
    assert len(handler.received) == 2
