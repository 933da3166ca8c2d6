"""The saga part on its own: steps and undos as data, no order anywhere.

A tiny durable handler runs a saga of plain actions in the SDK's testing runner
(time skipped), so each rule is shown on the part, not through the order's
providers: a refusal adds no undo, a lost answer adds its own, a failed undo
strands the saga, and undos run in reverse.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner

from orderflow.domain.errors import OutOfStockError, ProviderTimeoutError
from orderflow.parts.saga import Action, SagaStep, run_saga

Behaviour = Callable[[], dict[str, Any]]


def ok() -> dict[str, Any]:
    return {"done": True}


def nothing() -> dict[str, Any]:
    return {"done": False}


def refuse() -> dict[str, Any]:
    raise OutOfStockError("none left")


def lose_answer() -> dict[str, Any]:
    raise ProviderTimeoutError("no answer")


def broken() -> dict[str, Any]:
    raise RuntimeError("bug in the undo")


def run(
    plan: list[tuple[str, Behaviour, Behaviour]],
) -> tuple[dict[str, Any], list[str]]:
    """Run a saga of ``(name, do, undo)`` steps; its outcome and the calls made."""
    calls: list[str] = []

    def traced(name: str, body: Behaviour) -> Action:
        def call() -> dict[str, Any]:
            calls.append(name)
            return body()

        return Action(name, call)

    @durable_execution
    def handler(event: Any, ctx: DurableContext) -> dict[str, Any]:
        steps = [
            SagaStep(traced(name, do), traced(f"undo-{name}", undo))
            for name, do, undo in plan
        ]
        outcome = run_saga(ctx, steps)
        return {
            "failed": outcome.failed,
            "compensated": outcome.compensated,
            "stranded": outcome.stranded,
        }

    with DurableFunctionTestRunner(handler=handler, poll_interval=0.01) as runner:
        result = runner.run(
            input=json.dumps({}), execution_name="saga-1", execution_timeout=60
        )
    return json.loads(result.result), calls


def test_every_step_done_leaves_nothing_to_undo() -> None:
    outcome, calls = run([("a", ok, ok), ("b", ok, ok)])

    assert outcome == {"failed": None, "compensated": [], "stranded": None}
    assert calls == ["a", "b"]


def test_a_refusal_undoes_what_was_begun_in_reverse_but_not_itself() -> None:
    outcome, calls = run([("a", ok, ok), ("b", ok, ok), ("c", refuse, ok)])

    assert outcome["failed"] == "c failed: none left"
    assert outcome["compensated"] == ["undo-b", "undo-a"]
    assert calls == ["a", "b", "c", "undo-b", "undo-a"]


def test_a_lost_answer_undoes_itself_first() -> None:
    outcome, calls = run([("a", ok, ok), ("b", lose_answer, nothing)])

    assert calls[-2:] == ["undo-b", "undo-a"]
    assert calls.count("b") > 1  # retried as transient before giving up
    # b's undo found nothing to undo: only a's counts as compensated.
    assert outcome["compensated"] == ["undo-a"]


def test_an_undo_that_fails_for_good_strands_the_saga() -> None:
    outcome, calls = run([("a", ok, broken), ("b", ok, ok), ("c", refuse, ok)])

    assert outcome["stranded"] == "undo-a"
    assert outcome["compensated"] == ["undo-b"]
    assert calls.count("undo-a") >= 1 and "undo-c" not in calls
