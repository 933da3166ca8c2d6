"""The saga part: steps and their undos as data, run as named durable steps.

A process lists its ``SagaStep``s in order, each a keyed action and the action
that undoes it; ``run_saga`` runs them, and when one fails for good, undoes what
was begun, in reverse. The rules:

- A refusal (a ``TerminalProviderError``: out of stock, card declined) did
  nothing, so it adds no undo.
- Any other final failure (retries exhausted on time-outs, a lost answer) may
  have acted before its answer was lost, so its own undo runs too: an undo
  answers "nothing to undo" (``{"done": False}``) when there was none.
- An undo that exhausts its (patient) retries leaves money or stock stranded:
  the outcome says so (``stranded``), and the process alerts and ends FAILED.

Every step runs AT_LEAST_ONCE_PER_RETRY: its body is a keyed call, so running it
again after a crash changes nothing (docs/providers.md, promise 1).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aws_durable_execution_sdk_python import StepError
from aws_durable_execution_sdk_python.config import StepConfig, StepSemantics

from orderflow.domain.errors import TerminalProviderError
from orderflow.parts import logs
from orderflow.parts.durable import RetryStrategy, compensation_retry, provider_retry
from orderflow.parts.metrics import COMPENSATIONS, REFUNDED_CENTS, REFUNDS, Metric

if TYPE_CHECKING:
    from aws_durable_execution_sdk_python import DurableContext


@dataclass(frozen=True)
class Action:
    """One keyed call as a named step; ``run`` answers JSON ({"done": ...})."""

    name: str  # the operation's stable name
    run: Callable[[], dict[str, Any]]
    refunds: bool = False  # gives the customer money back (counted as a refund)


@dataclass(frozen=True)
class SagaStep:
    """An action and the action that undoes it."""

    do: Action
    undo: Action


@dataclass(frozen=True)
class SagaOutcome:
    """How a saga ended. ``failed`` is None when every step succeeded."""

    failed: str | None = None  # why the saga stopped: "<step> failed: <message>"
    compensated: list[str] = field(default_factory=list)  # undos that undid
    stranded: str | None = None  # the undo that failed for good, if one did
    reason: str = ""  # the failure, then the undo's, in words


def step_config(retry: RetryStrategy) -> StepConfig:
    """A keyed step's config: at least once per retry, with ``retry``."""
    return StepConfig(
        retry_strategy=retry, step_semantics=StepSemantics.AT_LEAST_ONCE_PER_RETRY
    )


def refused(error: StepError) -> bool:
    """True when a provider refused (a TerminalProviderError): nothing happened."""
    return error.error_type in _names(TerminalProviderError)


def _names(base: type) -> set[str]:
    found, todo = set(), [base]
    while todo:
        cls = todo.pop()
        found.add(f"{cls.__module__}.{cls.__qualname__}")
        todo.extend(cls.__subclasses__())
    return found


def answered(result: dict[str, Any]) -> dict[str, object]:
    """A provider's answer, for the step's log line: done or not, and its figures."""
    keys = ("done", "reference", "amount_cents", "quantity")
    return {"provider": {k: result[k] for k in keys if k in result}}


def compensated(result: dict[str, Any]) -> dict[str, object]:
    """An undo's answer, for its log line: whether there was anything to undo."""
    return (
        {"compensated": bool(result["done"])}
        | answered(result)
        | {logs.METRICS: [Metric(COMPENSATIONS)] if result["done"] else []}
    )


def refunded(cents: int) -> list[Metric]:
    """A refund's metrics: one refund of ``cents``, when there was one."""
    if cents <= 0:
        return []
    return [Metric(REFUNDS), Metric(REFUNDED_CENTS, value=cents)]


def _answer_of(action: Action, *, undo: bool) -> Callable[[dict[str, Any]], Any]:
    """The log line's fields for ``action``'s answer; a refund's metrics with them."""

    def fields(result: dict[str, Any]) -> dict[str, object]:
        line = compensated(result) if undo else answered(result)
        if not (action.refunds and result["done"]):
            return line
        undid = [Metric(COMPENSATIONS)] if undo else []
        gave = refunded(-int(result.get("amount_cents") or 0))
        return line | {logs.METRICS: undid + gave}

    return fields


def run_saga(ctx: DurableContext, steps: Sequence[SagaStep]) -> SagaOutcome:
    """Run ``steps`` in order; on a final failure, undo what was begun, in reverse."""
    begun: list[Action] = []
    for step in steps:
        try:
            ctx.step(
                logs.logged(step.do.run, _answer_of(step.do, undo=False)),
                name=step.do.name,
                config=step_config(provider_retry()),
            )
        except StepError as e:
            if not refused(e):
                begun.append(step.undo)
            return undo_in_reverse(
                ctx, begun[::-1], failed=f"{step.do.name} failed: {e.message}"
            )
        begun.append(step.undo)
    return SagaOutcome()


def undo_in_reverse(
    ctx: DurableContext, undos: Sequence[Action], *, failed: str
) -> SagaOutcome:
    """Run each undo as its own step, in the order given."""
    undone: list[str] = []
    for undo in undos:
        try:
            result = ctx.step(
                logs.logged(undo.run, _answer_of(undo, undo=True)),
                name=undo.name,
                config=step_config(compensation_retry()),
            )
        except StepError as e:
            why = f"{failed}; then {undo.name} failed: {e.message}"
            return SagaOutcome(failed, undone, stranded=undo.name, reason=why)
        if result["done"]:
            undone.append(undo.name)
    return SagaOutcome(failed, undone, reason=failed)
