"""The monitor's settings: read from the environment, defaults, bad values named."""

from __future__ import annotations

import pytest

from orderflow.config import Settings


def test_monitoring_variables_are_read() -> None:
    settings = Settings.from_env(
        {
            "ORDERFLOW_ALERT_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:alerts",
            "ORDERFLOW_APPROVAL_ALERT_AFTER_SECONDS": "600",
            "ORDERFLOW_APPROVAL_CHECK_SECONDS": "300",
        }
    )

    assert settings.alert_topic_arn == "arn:aws:sns:us-east-1:123456789012:alerts"
    assert settings.approval_alert_after_seconds == 600
    assert settings.approval_check_seconds == 300


def test_monitoring_defaults_alert_through_the_outbox_after_four_hours() -> None:
    settings = Settings.from_env({})

    assert settings.alert_topic_arn == ""
    assert settings.approval_alert_after_seconds == 4 * 3600
    assert settings.approval_check_seconds == 15 * 60


@pytest.mark.parametrize(
    "name",
    ["ORDERFLOW_APPROVAL_ALERT_AFTER_SECONDS", "ORDERFLOW_APPROVAL_CHECK_SECONDS"],
)
def test_a_period_below_one_second_is_refused_naming_the_variable(name: str) -> None:
    with pytest.raises(ValueError, match=f"{name} must be at least 1"):
        Settings.from_env({name: "0"})


@pytest.mark.parametrize(
    "name",
    ["ORDERFLOW_APPROVAL_ALERT_AFTER_SECONDS", "ORDERFLOW_APPROVAL_CHECK_SECONDS"],
)
def test_a_period_that_is_no_integer_is_refused_naming_it(name: str) -> None:
    with pytest.raises(ValueError, match=f"{name} must be an integer, got '4h'"):
        Settings.from_env({name: "4h"})
