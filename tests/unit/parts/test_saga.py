"""The saga part on its own: steps and undos as data, no order anywhere.

A tiny durable handler runs a saga of plain actions in the SDK's testing runner
(time skipped, a fraction of a second each), so each rule is shown on the part,
not through the order's providers: a refusal adds no undo, a lost answer adds
its own, a failed undo strands the saga and says why, undos run in reverse and
are retried more patiently than the steps they undo.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import StepSemantics
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner

from orderflow.domain.errors import (
    CardDeclinedError,
    OutOfStockError,
    ProviderTimeoutError,
)
from orderflow.parts.durable import provider_retry
from orderflow.parts.saga import Action, SagaStep, run_saga, step_config

Behaviour = Callable[[], dict[str, Any]]


def ok() -> dict[str, Any]:
    return {"done": True}


def nothing() -> dict[str, Any]:
    return {"done": False}


def refuse() -> dict[str, Any]:
    raise OutOfStockError("none left")


def decline() -> dict[str, Any]:
    raise CardDeclinedError("declined")


def lose_answer() -> dict[str, Any]:
    raise ProviderTimeoutError("no answer")


def broken() -> dict[str, Any]:
    raise RuntimeError("bug in the undo")


def run(
    plan: list[tuple[str, Behaviour, Behaviour]],
) -> tuple[dict[str, Any], list[str]]:
    """Run a saga of ``(name, do, undo)`` steps; its outcome and the calls made.

    Each call made ran as the durable step of its action's name.
    """
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
            "reason": outcome.reason,
        }

    with DurableFunctionTestRunner(handler=handler, poll_interval=0.01) as runner:
        result = runner.run(
            input=json.dumps({}), execution_name="saga-1", execution_timeout=60
        )
    steps = [op.name for op in result.operations]
    assert steps == list(dict.fromkeys(calls))  # retries retry the same step
    return json.loads(result.result), calls


def test_every_step_done_leaves_nothing_to_undo() -> None:
    outcome, calls = run([("a", ok, ok), ("b", ok, ok)])

    assert outcome == {
        "failed": None,
        "compensated": [],
        "stranded": None,
        "reason": "",
    }
    assert calls == ["a", "b"]


def test_a_refusal_undoes_what_was_begun_in_reverse_but_not_itself() -> None:
    outcome, calls = run([("a", ok, ok), ("b", ok, ok), ("c", refuse, ok)])

    assert outcome == {
        "failed": "c failed: none left",
        "compensated": ["undo-b", "undo-a"],
        "stranded": None,
        "reason": "c failed: none left",
    }
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
    assert outcome["failed"] == "c failed: none left"
    assert outcome["reason"] == (
        "c failed: none left; then undo-a failed: bug in the undo"
    )
    assert calls.count("undo-a") >= 1 and "undo-c" not in calls


def test_a_refusal_of_the_first_step_leaves_nothing_to_undo() -> None:
    outcome, calls = run([("a", decline, ok), ("b", ok, ok)])

    assert outcome["failed"] == "a failed: declined"
    assert outcome["compensated"] == [] and outcome["stranded"] is None
    assert calls == ["a"]


def test_undos_are_retried_more_patiently_than_the_steps_they_undo() -> None:
    # provider_retry gives a step 5 attempts; compensation_retry gives an undo 8.
    outcome, calls = run([("a", ok, lose_answer), ("b", lose_answer, nothing)])

    assert calls.count("b") == 5
    assert calls.count("undo-b") == 1  # answered: nothing to undo
    assert calls.count("undo-a") == 8
    assert outcome["stranded"] == "undo-a"
    assert outcome["reason"] == ("b failed: no answer; then undo-a failed: no answer")


def test_every_saga_step_runs_at_least_once_per_retry_with_its_strategy() -> None:
    retry = provider_retry()

    config = step_config(retry)

    assert config.retry_strategy is retry
    assert config.step_semantics is StepSemantics.AT_LEAST_ONCE_PER_RETRY
