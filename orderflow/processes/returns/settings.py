"""The returns process's tunables: each a named setting, its default, its variable.

The approval time-out, the links' base URL and the store come from the
application's ``Settings`` (orderflow/config.py); these are the returns' own.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from orderflow.processes.returns.rules import (
    DAMAGED_REFUND_PERCENT,
    ReturnRiskThresholds,
)


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "")
    try:
        return int(raw) if raw else default
    except ValueError as e:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from e


@dataclass(frozen=True)
class ReturnSettings:
    """How returns are judged, approved and awaited."""

    # ORDERFLOW_RETURN_WINDOW_DAYS: how long after delivery a return may start.
    window_days: int = 30
    # ORDERFLOW_RETURN_ONE_APPROVER_FROM / _TWO_APPROVERS_FROM / _DENY_FROM /
    # _ALWAYS_HUMAN_ABOVE_CENTS: the risk routing (rules.py).
    thresholds: ReturnRiskThresholds = field(default_factory=ReturnRiskThresholds)
    # ORDERFLOW_RETURN_APPROVERS: who approves returns, in escalation order;
    # empty: the application's approvers (ORDERFLOW_APPROVERS).
    approvers: tuple[str, ...] = ()
    # ORDERFLOW_RETURN_PARCEL_DEADLINE_SECONDS: how long the customer has to
    # send the parcel before the label is voided and the return cancelled.
    parcel_deadline_seconds: int = 14 * 24 * 3600
    # ORDERFLOW_RETURN_PARCEL_POLL_SECONDS / _MAX_SECONDS: the parcel check's
    # first delay and longest delay (doubling in between, with jitter).
    parcel_poll_seconds: int = 60
    parcel_poll_max_seconds: int = 6 * 3600
    # ORDERFLOW_RETURN_DAMAGED_REFUND_PERCENT: what a damaged unit refunds.
    damaged_refund_percent: int = DAMAGED_REFUND_PERCENT

    def __post_init__(self) -> None:
        for name, value, least in (
            ("ORDERFLOW_RETURN_WINDOW_DAYS", self.window_days, 0),
            (
                "ORDERFLOW_RETURN_PARCEL_DEADLINE_SECONDS",
                self.parcel_deadline_seconds,
                1,
            ),
            ("ORDERFLOW_RETURN_PARCEL_POLL_SECONDS", self.parcel_poll_seconds, 1),
            (
                "ORDERFLOW_RETURN_PARCEL_POLL_MAX_SECONDS",
                self.parcel_poll_max_seconds,
                self.parcel_poll_seconds,
            ),
        ):
            if value < least:
                raise ValueError(f"{name} must be at least {least}, got {value}")
        if not 0 <= self.damaged_refund_percent <= 100:
            raise ValueError("ORDERFLOW_RETURN_DAMAGED_REFUND_PERCENT must be 0-100")

    @property
    def window(self) -> timedelta:
        """The return window as a duration."""
        return timedelta(days=self.window_days)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ReturnSettings:
        """Settings from environment variables, each falling back to its default."""
        env = os.environ if env is None else env
        d, t = cls(), ReturnRiskThresholds()
        approvers = env.get("ORDERFLOW_RETURN_APPROVERS", "").split(",")
        return cls(
            window_days=_int(env, "ORDERFLOW_RETURN_WINDOW_DAYS", d.window_days),
            thresholds=ReturnRiskThresholds(
                one_approver_from=_int(
                    env, "ORDERFLOW_RETURN_ONE_APPROVER_FROM", t.one_approver_from
                ),
                two_approvers_from=_int(
                    env, "ORDERFLOW_RETURN_TWO_APPROVERS_FROM", t.two_approvers_from
                ),
                deny_from=_int(env, "ORDERFLOW_RETURN_DENY_FROM", t.deny_from),
                always_human_above_cents=_int(
                    env,
                    "ORDERFLOW_RETURN_ALWAYS_HUMAN_ABOVE_CENTS",
                    t.always_human_above_cents,
                ),
            ),
            approvers=tuple(a.strip() for a in approvers if a.strip()),
            parcel_deadline_seconds=_int(
                env,
                "ORDERFLOW_RETURN_PARCEL_DEADLINE_SECONDS",
                d.parcel_deadline_seconds,
            ),
            parcel_poll_seconds=_int(
                env, "ORDERFLOW_RETURN_PARCEL_POLL_SECONDS", d.parcel_poll_seconds
            ),
            parcel_poll_max_seconds=_int(
                env,
                "ORDERFLOW_RETURN_PARCEL_POLL_MAX_SECONDS",
                d.parcel_poll_max_seconds,
            ),
            damaged_refund_percent=_int(
                env,
                "ORDERFLOW_RETURN_DAMAGED_REFUND_PERCENT",
                d.damaged_refund_percent,
            ),
        )
