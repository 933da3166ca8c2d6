"""AWS's durable-execution emulator, started so that a restart loses nothing.

``dex-local-runner`` keeps executions in SQLite but its timers and in-flight
invocations only in memory: after a restart, an execution that was mid-invocation,
waiting out a retry back-off or a ``wait``, or holding a callback with a time-out,
would never wake. In AWS the service survives a crashed function and re-drives it.
So this launcher starts the same ``WebRunner`` and then, for every execution that
is not complete, re-arms its timers and callback time-outs and invokes it once.
Re-invoking is safe by construction: the SDK replays from the checkpoints, and an
execution that is still waiting just suspends again.

It reaches into the emulator's executor (``_schedule_earliest_pending``,
``_schedule_callback_timeouts``, ``_invoke_execution``): the package offers no
public hook for this. tests/e2e/test_restart.py pins the behaviour.

It also stands in for EventBridge: executions that end outside their workflow
are reported to the status-events function, and their callbacks refused
(orderflow/local/status_events.py).
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aws_durable_execution_sdk_python.lambda_service import (
    CallbackOptions,
    OperationStatus,
    OperationType,
)
from aws_durable_execution_sdk_python_testing.runner import WebRunner, WebRunnerConfig
from aws_durable_execution_sdk_python_testing.stores.base import StoreType
from aws_durable_execution_sdk_python_testing.web.server import WebServiceConfig

from orderflow.local.log_redaction import redact_root_handlers
from orderflow.local.status_events import EndingReporter, watch

log = logging.getLogger("orderflow.local.emulator")


def recover(executor: Any, executions: list[Any]) -> int:
    """Re-drive every incomplete execution of ``executions``; how many there were."""
    count = 0
    for execution in executions:
        if execution.is_complete:
            continue
        arn = execution.durable_execution_arn
        _rearm_callback_timeouts(executor, execution)
        executor._schedule_earliest_pending(arn)
        executor._invoke_execution(arn)
        count += 1
    return count


def _rearm_callback_timeouts(executor: Any, execution: Any) -> None:
    """Arm each open callback's time-out for the time it has left."""
    open_callbacks = {
        op.operation_id: op.callback_details.callback_id
        for op in execution.operations
        if op.operation_type == OperationType.CALLBACK
        and op.status == OperationStatus.STARTED
        and op.callback_details is not None
    }
    now = datetime.now(UTC)
    for update, at in zip(execution.updates, execution.update_timestamps, strict=True):
        options = update.callback_options
        callback_id = open_callbacks.get(update.operation_id)
        if callback_id is None or options is None or not options.timeout_seconds:
            continue
        started = at if at.tzinfo else at.replace(tzinfo=UTC)
        left = max(1, int(options.timeout_seconds - (now - started).total_seconds()))
        executor._schedule_callback_timeouts(
            execution.durable_execution_arn,
            CallbackOptions(timeout_seconds=left, heartbeat_timeout_seconds=0),
            callback_id,
        )


def main(argv: list[str] | None = None) -> int:
    """Run the emulator until terminated."""
    parser = argparse.ArgumentParser(prog="orderflow-emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--lambda-endpoint", required=True)
    parser.add_argument("--store-path", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--skip-time", action="store_true")
    parser.add_argument(
        "--status-events-function",
        help="the function the template's status-change rule feeds; unset, "
        "endings are not reported (callbacks of ended executions are refused still)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    redact_root_handlers()  # its warnings quote callback ids, which are secrets
    config = WebRunnerConfig(
        web_service=WebServiceConfig(host=args.host, port=args.port),
        lambda_endpoint=args.lambda_endpoint,
        local_runner_endpoint=f"http://{args.host}:{args.port}",
        local_runner_region=args.region,
        store_type=StoreType.SQLITE,
        store_path=args.store_path,
        skip_time=args.skip_time,
    )
    with WebRunner(config) as runner:
        store = runner._store
        assert store is not None  # the runner made it on entering
        reporter = (
            EndingReporter(
                lambda_endpoint=args.lambda_endpoint,
                function=args.status_events_function,
                journal=Path(args.store_path).with_name("endings.db"),
                region=args.region,
                load=store.load,
            )
            if args.status_events_function
            else None
        )
        watch(runner._executor, reporter)
        executions = store.list_all()
        recovered = recover(runner._executor, executions)
        log.info("re-driving %d incomplete executions", recovered)
        if reporter is not None:
            missed = reporter.report_unreported(executions)
            log.info("reporting %d endings a restart cut off", missed)
        try:
            runner.serve_forever()
        except KeyboardInterrupt:
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
