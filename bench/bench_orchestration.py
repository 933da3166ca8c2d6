"""Orchestration overhead: what orderflow adds to the durable SDK, per order.

For each path (auto-approve; one approver who approves), the real handler runs
orders in the testing SDK's in-process runner (DurableFunctionTestRunner, its
default in-memory execution store) against a SQLite store on a temporary file,
as the local stack does. The baseline is a bare-SDK workflow with the same
operations, same names, same kinds, in the same order, whose bodies do nothing:
its shape is read from the real workflow's own operations, so it follows the
workflow as it changes, and every measured order is checked to have that shape.

The figure is the handler's CPU time (the thread CPU clocks of the threads the
SDK runs each invocation on: the handler with its steps, and the checkpointer),
summed over every invocation of one order (one for auto-approve; two for the
approval path: up to the callback, then the replay that finishes it). Median
over N orders, the two workflows interleaved. A second figure per path counts
the whole process's CPU (time.process_time) from start to result, the runner's
own work and polling included, for comparison with figures counted that way.
Both include orderflow's SQLite store calls, which the bare workflow does not
make; the notes give their share, timed separately.

The third figure per path separates what the workflow does from what it costs
to orchestrate: the handler's CPU minus the CPU of its step bodies and
condition checks (the business calls, store writes and scoring a bare workflow
would have to make too, timed on their own threads), against the same for the
bare workflow, whose bodies are empty. What is left is the SDK plus orderflow's
orchestration: the workflow function between operations, retry and wait
configuration, and the serialisation and checkpointing of larger results.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python import execution as sdk_execution
from aws_durable_execution_sdk_python.config import Duration
from aws_durable_execution_sdk_python.serdes import JsonSerDes
from aws_durable_execution_sdk_python.waits import (
    WaitForConditionConfig,
    WaitStrategyConfig,
    create_wait_strategy,
)
from aws_durable_execution_sdk_python_testing.runner import (
    DurableFunctionTestResult,
    DurableFunctionTestRunner,
)

from bench.ratios import QUICK, Figure, median, report
from functions.order_workflow.app import make_workflow
from orderflow.adapters.sandbox import SandboxProvider
from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.config import Settings
from orderflow.ports import Store
from orderflow.processes.orders.deps import Deps
from tests.utils.approvals import RunnerCallbacks, decide_at_desk
from tests.utils.orders import high_risk_order, low_risk_order

ORDERS = 2 if QUICK else 40
WARMUP = 1 if QUICK else 5
TARGET = 1.25
CALLBACK = "{} create callback id"
# (sub_type, name, checks) of each top-level operation; checks is how many
# times a wait_for_condition ran its check (its state's "polls"), else 1.
Shape = list[tuple[str, str, int]]


class CpuMeter:
    """CPU time of the threads the SDK runs each invocation on.

    ``durable_execution`` runs an invocation on a two-thread pool of its own
    ("dex-handler"): one thread runs the handler and its steps, the other sends
    the checkpoints. Their thread CPU clocks, summed, are the handler's CPU,
    free of whatever else the process does meanwhile (the runner's polling).
    """

    def __init__(self) -> None:
        self.cpu = 0.0
        self.invocations = 0
        self.bodies = 0.0
        self._lock = threading.Lock()

    def add(self, seconds: float) -> None:
        """Account one finished task."""
        with self._lock:
            self.cpu += seconds

    def reset(self) -> None:
        """Start a new order."""
        with self._lock:
            self.cpu, self.invocations, self.bodies = 0.0, 0, 0.0

    def install_bodies(self) -> None:
        """Also sum the thread CPU of every step body (callback submitters too:
        the SDK runs them as steps) and every condition check: the workflow's
        own work, inside the handler's."""
        meter = self

        def metered(func: Callable[..., Any]) -> Callable[..., Any]:
            def body(*args: Any) -> Any:
                started = time.thread_time()
                try:
                    return func(*args)
                finally:
                    with meter._lock:
                        meter.bodies += time.thread_time() - started

            return body

        for name in ("step", "wait_for_condition"):
            original = getattr(DurableContext, name)

            def patched(
                ctx: DurableContext,
                func: Any,
                *args: Any,
                _original: Any = original,
                **kw: Any,
            ) -> Any:
                return _original(ctx, metered(func), *args, **kw)

            setattr(DurableContext, name, patched)

    def install(self) -> None:
        """Meter every task the SDK submits to its invocation pool."""
        meter = self

        class MeteredPool(ThreadPoolExecutor):
            def submit(
                self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
            ) -> Future[Any]:
                def metered() -> Any:
                    started = time.thread_time()
                    try:
                        return fn(*args, **kwargs)
                    finally:
                        meter.add(time.thread_time() - started)

                return super().submit(metered)

        sdk_execution.ThreadPoolExecutor = MeteredPool  # type: ignore[attr-defined]

    def wrap(self, handler: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        """Count invocations of ``handler``."""

        def counted(event: Any, context: Any) -> Any:
            with self._lock:
                self.invocations += 1
            return handler(event, context)

        return counted


METER = CpuMeter()


class TimedStore:
    """A Store proxy summing the thread CPU its calls take (the store's share)."""

    def __init__(self, inner: SqliteStore) -> None:
        self._inner = inner
        self.cpu = 0.0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._inner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return method(*args, **kwargs)
            finally:
                self.cpu += time.thread_time() - started

        return timed


def shape_of(result: DurableFunctionTestResult) -> Shape:
    """The top-level operations of a finished execution, as (kind, name, checks)."""
    return [(str(op.sub_type), str(op.name), _checks(op)) for op in result.operations]


def _checks(op: Any) -> int:
    if str(op.sub_type) != "WaitForCondition":
        return 1
    try:
        return int(json.loads(op.result or "{}")["polls"])
    except (ValueError, KeyError, TypeError):
        return 1


def _until(checks: int) -> WaitForConditionConfig[dict[str, int]]:
    """A condition that is met at its ``checks``-th check, waiting 1 s between."""
    return WaitForConditionConfig(
        wait_strategy=create_wait_strategy(
            WaitStrategyConfig(
                should_continue_polling=lambda state: state["polls"] < checks,
                max_attempts=checks + 1,
                initial_delay=Duration.from_seconds(1),
            )
        ),
        initial_state={"polls": 0},
        serdes=JsonSerDes(),  # as the workflow's own condition: plain JSON
    )


def bare_workflow(shape: Shape) -> Callable[[Any, DurableContext], Any]:
    """A workflow running ``shape``'s operations with empty bodies."""

    def workflow(event: Any, ctx: DurableContext) -> Any:
        for kind, name, checks in shape:
            if kind == "Step":
                ctx.step(lambda _: {"ok": True}, name=name)
            elif kind == "WaitForCallback":
                ctx.wait_for_callback(lambda _id, _ctx: None, name=name)
            elif kind == "Wait":
                ctx.wait(Duration.from_seconds(1), name=name)
            elif kind == "WaitForCondition":
                ctx.wait_for_condition(
                    lambda state, _: {"polls": state["polls"] + 1},
                    config=_until(checks),
                    name=name,
                )
            else:
                raise NotImplementedError(
                    f"bench_orchestration cannot mirror a {kind} operation ({name})"
                    " yet: teach bare_workflow() this kind"
                )
        return {"status": "COMPLETED"}

    return workflow


@dataclass(frozen=True)
class OrderPath:
    """One workflow path: the order that takes it and the approvals it waits on."""

    name: str
    make_order: Callable[[str], dict[str, Any]]
    approvals: int

    def drive(
        self,
        runner: DurableFunctionTestRunner,
        order_id: str,
        desk: Store | None = None,
    ) -> DurableFunctionTestResult:
        """Run one order to its end, approving every callback it waits on.

        With ``desk`` (orderflow's store), each approval is decided through the
        approval desk, whose claim the workflow checks; the bare workflow takes
        the raw result.
        """
        order = self.make_order(order_id)
        arn = runner.run_async(input=json.dumps(order), execution_name=order_id)
        for n in range(1, self.approvals + 1):
            callback_id = runner.wait_for_callback(
                arn, name=CALLBACK.format(f"wait-for-approval-{n}"), timeout=30
            )
            if desk is not None:
                decide_at_desk(
                    desk, RunnerCallbacks(runner), callback_id, approved=True
                )
                continue
            decision = {"approved": True, "approver": "bench@example.com"}
            runner.send_callback_success(callback_id, json.dumps(decision).encode())
        result: DurableFunctionTestResult = runner.wait_for_result(arn, timeout=60)
        assert result.result is not None, result.error
        return result


PATHS = (
    OrderPath("auto-approve", low_risk_order, approvals=0),
    OrderPath("approval (1 approver)", high_risk_order, approvals=1),
)


def measure(path: OrderPath, workdir: Path) -> tuple[list[Figure], dict[str, Any]]:
    """Median CPU per order, orderflow against the bare SDK: the handler's
    threads (the figure with the target), and the whole process (runner
    included: how the issue's 2.8 ms per step was counted)."""
    sqlite = SqliteStore(workdir / f"{path.name[:4]}.db")
    store = TimedStore(sqlite)
    deps = Deps(
        store=store,  # a proxy with the Store's methods
        provider=SandboxProvider(store),
        settings=Settings(store_url=f"sqlite:{sqlite.path}"),
    )
    ours = METER.wrap(durable_execution(make_workflow(lambda: deps)))
    with DurableFunctionTestRunner(handler=ours, poll_interval=0.01) as runner:
        first = path.drive(runner, "SHAPE-0", sqlite)
        shape = shape_of(first)
        assert json.loads(first.result or "{}")["status"] == "COMPLETED", first.result
        bare = METER.wrap(durable_execution(bare_workflow(shape)))
        with DurableFunctionTestRunner(handler=bare, poll_interval=0.01) as base:
            samples: dict[str, list[float]] = {
                "ours": [],
                "bare": [],
                "store": [],
                "ours_process": [],
                "bare_process": [],
                "ours_outside": [],
                "bare_outside": [],
            }
            invocations: dict[str, int] = {}
            for i in range(WARMUP + ORDERS):
                for label, run in (("ours", runner), ("bare", base)):
                    METER.reset()
                    store.cpu = 0.0
                    process = time.process_time()
                    desk = sqlite if label == "ours" else None
                    result = path.drive(run, f"B-{label}-{i}", desk)
                    process = time.process_time() - process
                    assert shape_of(result) == shape, (label, shape_of(result))
                    if i >= WARMUP:
                        samples[label].append(METER.cpu * 1000)
                        outside = (METER.cpu - METER.bodies) * 1000
                        samples[f"{label}_outside"].append(outside)
                        invocations[label] = METER.invocations
                        samples[f"{label}_process"].append(process * 1000)
                        if label == "ours":
                            samples["store"].append(store.cpu * 1000)
    steps = sum(1 for kind, _, _ in shape if kind == "Step")

    def versus(what: str, samples_of: str, target: float | None) -> Figure:
        return Figure(
            name=f"{path.name}: {what}",
            value=median(samples[f"ours{samples_of}"]),
            baseline=median(samples[f"bare{samples_of}"]),
            unit="ms",
            baseline_name="bare SDK, same operations",
            target=target,
        )

    figure = versus("handler CPU per order", "", TARGET)
    outside = versus("handler CPU outside step bodies and checks", "_outside", TARGET)
    whole = versus("whole-process CPU per order", "_process", None)
    detail = {
        "path": path.name,
        "operations": [f"{kind}:{name}" for kind, name, _ in shape],
        "steps": steps,
        "invocations_per_order": invocations,
        "bare_ms_per_operation": figure.baseline / len(shape),
        "bare_process_ms_per_operation": whole.baseline / len(shape),
        "store_ms_per_order": median(samples["store"]),
        "ratio_without_store": (figure.value - median(samples["store"]))
        / figure.baseline,
        "samples_ms": samples,
    }
    return [figure, outside, whole], detail


def main() -> None:
    """Measure both paths and report."""
    METER.install()
    METER.install_bodies()
    with tempfile.TemporaryDirectory() as tmp:
        results = [measure(path, Path(tmp)) for path in PATHS]
    figures = [figure for pair, _ in results for figure in pair]
    notes = [
        f"{d['path']}: {len(d['operations'])} operations ({d['steps']} steps), "
        f"{d['invocations_per_order']['ours']} invocation(s) per order; bare SDK "
        f"{d['bare_ms_per_operation']:.2f} ms handler CPU per operation "
        f"({d['bare_process_ms_per_operation']:.2f} ms whole-process); of ours, "
        f"{d['store_ms_per_order']:.2f} ms in SQLite store calls (ratio without "
        f"them {d['ratio_without_store']:.2f})"
        for _, d in results
    ]
    notes.append(
        f"median of {ORDERS} orders per workflow after {WARMUP} warm-up orders, "
        "interleaved; handler CPU = thread CPU of the SDK's invocation threads; "
        "whole-process = time.process_time around the order, runner included"
    )
    report(
        "orchestration",
        "Orchestration overhead: CPU per order, in-process runner",
        figures,
        notes=notes,
        extra={"paths": [d for _, d in results]},
    )


if __name__ == "__main__":
    main()
