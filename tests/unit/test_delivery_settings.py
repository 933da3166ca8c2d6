"""Delivery polling and sandbox settings, and the execution time-out they imply."""

from __future__ import annotations

from pathlib import Path

import pytest

from orderflow.config import Settings
from orderflow.local.template import read_functions
from orderflow.parts.parcels import max_polls

ROOT = Path(__file__).resolve().parents[2]
APPROVAL_ROUNDS, LONGEST_APPROVAL = 2, 86_400  # template.yaml ApprovalTimeoutSeconds
DELIVERY_WAITS = 2  # wait-for-delivery, and wait-for-redelivery after a re-shipment


def test_delivery_and_sandbox_variables_are_read() -> None:
    settings = Settings.from_env(
        {
            "ORDERFLOW_DELIVERY_POLL_SECONDS": "30",
            "ORDERFLOW_DELIVERY_POLL_MAX_SECONDS": "7200",
            "ORDERFLOW_DELIVERY_WINDOW_SECONDS": "1209600",
            "ORDERFLOW_SANDBOX_STAGE_SECONDS": "60",
        }
    )

    assert (
        settings.delivery_poll_seconds,
        settings.delivery_poll_max_seconds,
        settings.delivery_window_seconds,
        settings.sandbox_stage_seconds,
    ) == (30, 7200, 1_209_600, 60)


def test_delivery_defaults_are_the_documented_ones() -> None:
    settings = Settings()

    assert settings.delivery_poll_seconds == 2
    assert settings.delivery_poll_max_seconds == 3600
    assert settings.delivery_window_seconds == 7 * 24 * 3600
    assert settings.sandbox_stage_seconds == 0


@pytest.mark.parametrize(
    ("name", "raw", "least"),
    [
        ("ORDERFLOW_DELIVERY_POLL_SECONDS", "0", "1"),
        ("ORDERFLOW_DELIVERY_POLL_MAX_SECONDS", "1", "2"),
        ("ORDERFLOW_DELIVERY_WINDOW_SECONDS", "0", "1"),
        ("ORDERFLOW_SANDBOX_STAGE_SECONDS", "-1", "0"),
    ],
)
def test_out_of_range_values_are_refused_naming_the_variable(
    name: str, raw: str, least: str
) -> None:
    with pytest.raises(ValueError, match=f"{name} must be at least {least}, got {raw}"):
        Settings.from_env({name: raw})


def test_bad_integer_is_refused_naming_the_variable() -> None:
    with pytest.raises(ValueError, match="ORDERFLOW_DELIVERY_WINDOW_SECONDS must be"):
        Settings.from_env({"ORDERFLOW_DELIVERY_WINDOW_SECONDS": "a week"})


@pytest.mark.parametrize(
    ("first", "longest", "window"), [(2, 3600, 604_800), (1, 1, 1), (60, 60, 3600)]
)
def test_the_poll_budget_covers_twice_the_window_at_full_back_off(
    first: int, longest: int, window: int
) -> None:
    polls = max_polls(first=first, longest=longest, window=window)

    delays = [min(first * 2**n, longest) for n in range(polls - 1)]
    assert sum(delays) >= 2 * window  # HALF jitter still covers the window
    assert sum(delays[:-1]) < 2 * window  # and not a poll more


def test_the_execution_timeout_outlasts_approvals_and_both_delivery_waits() -> None:
    workflow = read_functions(ROOT / "template.yaml")["OrderWorkflowFunction"]
    settings = Settings()
    delivery = settings.delivery_window_seconds + settings.delivery_poll_max_seconds

    need = APPROVAL_ROUNDS * LONGEST_APPROVAL + DELIVERY_WAITS * delivery

    assert workflow.execution_timeout > need
