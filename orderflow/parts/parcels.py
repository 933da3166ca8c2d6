"""Waiting for a parcel: the carrier's tracking as one durable wait.

An order waits for its delivery, a return for the customer's parcel: both ask
the carrier, back off (``parts.durable.delivery_wait``) and stop when the
parcel's journey ends or the window does. The state is plain JSON, so the
wait's checkpoints read well in the history; its shape is part of every
recorded execution, so it stays as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_durable_execution_sdk_python import WaitForConditionError
from aws_durable_execution_sdk_python.serdes import JsonSerDes
from aws_durable_execution_sdk_python.waits import WaitForConditionConfig

from orderflow.domain.errors import TransientProviderError
from orderflow.domain.shipping import Tracking
from orderflow.parts import logs
from orderflow.parts.durable import delivery_wait

if TYPE_CHECKING:
    from aws_durable_execution_sdk_python import DurableContext

OVERDUE = "OVERDUE"  # not a carrier status: the window ran out first
TRACKING_FAILED = "TRACKING_FAILED"  # a terminal tracking error: nothing to wait for
State = dict[str, Any]


@cache  # hundreds of steps for a long window, asked on every invocation
def max_polls(*, first: int, longest: int, window: int) -> int:
    """Polls whose full back-off covers twice the window (HALF jitter halves it)."""
    polls, covered, delay = 1, 0, first
    while covered < 2 * window:
        covered += delay
        delay = min(delay * 2, longest)
        polls += 1
    return polls


@dataclass(frozen=True)
class ParcelWait:
    """How a process waits: first check, longest gap, and the whole window."""

    first_seconds: int
    max_seconds: int
    window_seconds: int

    @property
    def budget(self) -> int:
        """How many checks the window holds, at most."""
        return max_polls(
            first=self.first_seconds,
            longest=self.max_seconds,
            window=self.window_seconds,
        )


def first_state(shipment_key: str) -> State:
    """What a wait starts from."""
    return {"shipment_key": shipment_key, "done": False, "polls": 0, "errors": 0}


def poll(
    track: Callable[[str], Tracking], state: State, *, now: datetime, wait: ParcelWait
) -> State:
    """One check: ask the carrier, count, and decide whether to go on.

    A transient tracking error is counted and polled through: the wait's check
    must not raise for it (an error in a check fails the wait for good).
    """
    state = {**state, "polls": state["polls"] + 1}
    state.setdefault("first_polled_at", now.isoformat())
    try:
        tracking = track(state["shipment_key"])
    except TransientProviderError as e:
        state |= {"errors": state["errors"] + 1, "last_error": str(e)}
    else:
        state |= tracking.as_dict()
        if tracking.status.is_final:
            return state | {"done": True}
    waited = (now - datetime.fromisoformat(state["first_polled_at"])).total_seconds()
    if waited >= wait.window_seconds or state["polls"] >= wait.budget - 1:
        return state | {"done": True, "status": OVERDUE}
    return state


def _polled(state: State) -> dict[str, object]:
    """One check's answer, for its log line: the parcel's status, and if it ends."""
    return {
        "parcel": state.get("status"),
        "polls": state["polls"],
        "errors": state["errors"],
        "done": state["done"],
    }


def await_parcel(
    ctx: DurableContext,
    *,
    name: str,
    shipment_key: str,
    wait: ParcelWait,
    check: Callable[[State], State],
) -> State:
    """Run ``check`` (one ``poll``), backing off, until the parcel's journey ends."""
    start = first_state(shipment_key)
    try:
        state: State = ctx.wait_for_condition(
            lambda state, check_ctx: logs.logged(lambda: check(state), _polled)(
                check_ctx
            ),
            config=WaitForConditionConfig(
                wait_strategy=delivery_wait(
                    first_seconds=wait.first_seconds,
                    max_seconds=wait.max_seconds,
                    max_polls=wait.budget,
                ),
                initial_state=start,
                serdes=JsonSerDes(),  # plain JSON: readable in the history
            ),
            name=name,
        )
    except WaitForConditionError as e:
        # A terminal tracking error (an unknown shipment): nothing to wait for;
        # the process's books check turns this into a failure.
        return start | {
            "done": True,
            "status": TRACKING_FAILED,
            "last_error": e.message,
        }
    return state
