"""The stuck-approvals alert reaches someone while the approver could still
decide, for every setting the template allows.

A flood of the public routes (docs/deploy.md, "Throttling") can keep an
approver at 429 until the request times out. The alert about the pending
approval is then what tells a person to step in, so it must arrive, in the
worst case, with a quarter of the approver's time left. The worst case is
computed from template.yaml: the schedule's rate, how late EventBridge may
deliver a run, Lambda's retries of a failed run and the function's timeout,
over the bounds and defaults of ApprovalTimeoutSeconds and
ApprovalAlertAfterSeconds and samconfig.toml's environments; then the real
check runs on a real store at the template's rate to show it alerts in time.
"""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orderflow.adapters.alerts import OutboxAlerts
from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.domain.records import ApprovalRequest
from orderflow.monitoring.service import alert_threshold, check_pending_approvals
from tests.utils.template import ROOT, Stack

STACK = Stack()
MONITOR = STACK.functions()["StatusEventsFunction"]
CHECK = MONITOR["Events"]["ApprovalsCheck"]["Properties"]
# Left to the operator when the alert arrives at its latest: a quarter of the
# approver's time (docs/monitoring.md).
LEAD_SHARE = 0.25
# Lambda retries a failed asynchronous invocation after about 1, then 2 minutes.
LAMBDA_RETRY_DELAYS = (60, 120)
NOW = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)


def _rate_seconds() -> int:
    found = re.fullmatch(r"rate\((\d+) minutes?\)", CHECK["Schedule"])
    assert found is not None, CHECK["Schedule"]
    return int(found.group(1)) * 60


def _worst_run_delay() -> int:
    """How late, at worst, a run does its work after its scheduled time: the
    event delivered at its maximum age, then failed runs retried by Lambda,
    each run taking the function's whole timeout."""
    event_age = int(CHECK["RetryPolicy"]["MaximumEventAgeInSeconds"])
    invoke_config = MONITOR.get("EventInvokeConfig", {})
    retries = int(invoke_config.get("MaximumRetryAttempts", 2))
    timeout = int(
        MONITOR.get("Timeout", STACK.template["Globals"]["Function"]["Timeout"])
    )
    return event_age + sum(LAMBDA_RETRY_DELAYS[:retries]) + (retries + 1) * timeout


def _values(name: str) -> set[int]:
    """A Number parameter's bounds, default, and every samconfig.toml override."""
    spec = STACK.template["Parameters"][name]
    values = {int(spec[k]) for k in ("MinValue", "MaxValue", "Default")}
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    for sections in config.values():
        if not isinstance(sections, dict):  # version = 0.1
            continue
        overrides = sections.get("deploy", {}).get("parameters", {})
        for override in overrides.get("parameter_overrides", []):
            key, _, value = override.partition("=")
            if key == name:
                values.add(int(value))
    return values


def _approval(name: str, *, asked: datetime, lifetime: timedelta) -> ApprovalRequest:
    return ApprovalRequest(
        callback_id=f"cb-{name}",
        subject_id=name,
        approver="approver@example.com",
        created_at=asked.isoformat(),
        expires_at=(asked + lifetime).isoformat(),
    )


def _settings() -> tuple[int, int]:
    env = STACK.environment("StatusEventsFunction")
    return (
        int(env["ORDERFLOW_APPROVAL_CHECK_SECONDS"]),
        int(env["ORDERFLOW_APPROVAL_CHECK_DELAY_SECONDS"]),
    )


def test_the_function_is_told_the_schedules_rate_and_worst_delay() -> None:
    window, delay = _settings()

    assert window == _rate_seconds()
    assert delay >= _worst_run_delay()


CASES = sorted(
    (timeout, after)
    for timeout in _values("ApprovalTimeoutSeconds")
    for after in _values("ApprovalAlertAfterSeconds")
)


@pytest.mark.parametrize(("timeout", "after"), CASES)
def test_the_alert_arrives_with_a_quarter_of_the_time_left_at_worst(
    timeout: int, after: int
) -> None:
    window, delay = _settings()
    lifetime = timedelta(seconds=timeout)
    approval = _approval("ORD-1", asked=NOW, lifetime=lifetime)

    threshold = alert_threshold(
        approval,
        after=timedelta(seconds=after),
        window=timedelta(seconds=window),
        delay=timedelta(seconds=delay),
    )
    # Crossed just after a run: the next run, up to one rate later, sees it,
    # and may itself do its work the worst delay late.
    worst = threshold + timedelta(seconds=_rate_seconds() + _worst_run_delay())

    assert timedelta(0) <= threshold <= timedelta(seconds=after)
    assert worst <= lifetime * (1 - LEAD_SHARE), (timeout, after, worst)


@pytest.mark.parametrize(("timeout", "after"), CASES)
def test_the_operators_setting_is_kept_whenever_it_is_early_enough(
    timeout: int, after: int
) -> None:
    window, delay = _settings()
    approval = _approval("ORD-1", asked=NOW, lifetime=timedelta(seconds=timeout))
    in_time = after + window + delay <= timeout * (1 - LEAD_SHARE)

    threshold = alert_threshold(
        approval,
        after=timedelta(seconds=after),
        window=timedelta(seconds=window),
        delay=timedelta(seconds=delay),
    )

    assert (threshold == timedelta(seconds=after)) is in_time


@pytest.mark.parametrize(
    ("timeout", "after", "offset"),
    [(1800, 600, 0), (1800, 120, 299), (3600, 43200, 17), (86400, 86400, 150)],
)
def test_the_runs_at_the_templates_rate_alert_once_and_in_time(
    tmp_path: Path, timeout: int, after: int, offset: int
) -> None:
    store = SqliteStore(tmp_path / "alerts.db")
    window, delay = _settings()
    lifetime = timedelta(seconds=timeout)
    asked = NOW - timedelta(seconds=offset)  # anywhere between two runs
    store.create_subject("order", "ORD-1", {}, at=asked.isoformat())
    store.put_approval(_approval("ORD-1", asked=asked, lifetime=lifetime))

    alerted_at = []
    run = NOW
    while run < asked + lifetime:
        check = check_pending_approvals(
            store=store,
            alerts=OutboxAlerts(store),
            now=run,
            after=timedelta(seconds=after),
            window=timedelta(seconds=window),
            delay=timedelta(seconds=delay),
        )
        alerted_at += [run] * len(check.alerted)
        run += timedelta(seconds=window)

    assert len(alerted_at) == 1
    # Done late by the worst delay, that run still leaves a quarter of the time.
    landed = alerted_at[0] + timedelta(seconds=_worst_run_delay())
    assert landed - asked <= lifetime * (1 - LEAD_SHARE)
