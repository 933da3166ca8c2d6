"""The returns' settings: defaults, environment variables, refusals by name."""

from __future__ import annotations

import pytest

from orderflow.processes.returns.settings import ReturnSettings


def test_every_setting_has_a_default_and_its_variable() -> None:
    env = {
        "ORDERFLOW_RETURN_WINDOW_DAYS": "14",
        "ORDERFLOW_RETURN_ONE_APPROVER_FROM": "20",
        "ORDERFLOW_RETURN_ALWAYS_HUMAN_ABOVE_CENTS": "5000",
        "ORDERFLOW_RETURN_APPROVERS": "a@example.com, b@example.com",
        "ORDERFLOW_RETURN_PARCEL_DEADLINE_SECONDS": "3600",
        "ORDERFLOW_RETURN_DAMAGED_REFUND_PERCENT": "50",
    }

    settings = ReturnSettings.from_env(env)

    assert ReturnSettings.from_env({}) == ReturnSettings()
    assert settings.window.days == 14
    assert settings.thresholds.one_approver_from == 20
    assert settings.thresholds.always_human_above_cents == 5000
    assert settings.approvers == ("a@example.com", "b@example.com")
    assert (settings.parcel_deadline_seconds, settings.damaged_refund_percent) == (
        3600,
        50,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ORDERFLOW_RETURN_WINDOW_DAYS", "soon"),
        ("ORDERFLOW_RETURN_PARCEL_DEADLINE_SECONDS", "0"),
        ("ORDERFLOW_RETURN_DAMAGED_REFUND_PERCENT", "120"),
    ],
)
def test_a_bad_value_is_refused_by_its_name(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        ReturnSettings.from_env({name: value})
