"""Monitoring in template.yaml against what really happens.

- The status-change rule's pattern, as a deployed stack resolves it, is run by
  moto's EventBridge against the recorded events, sent as each durable
  function's: theirs match, another function's (whose name only starts like
  one of theirs) does not.
- Every metric an alarm or the dashboard reads is one the handler emits, with
  the same namespace and dimensions (an alarm on a metric nobody emits never
  fires, and nothing says so); each durable function's failures reach an alarm
  on the dashboard (tests/utils/durable_guards.py).
- Parameters: grouped and labelled in the console, documented in docs/deploy.md,
  and samconfig.toml overrides only parameters that exist.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.utils.durable_guards import (
    alarm_metrics,
    check_failures_alarmed,
    check_status_rule,
    dashboard,
    dashboard_metrics,
    durable_functions,
)
from tests.utils.monitoring import (
    STATUS_KINDS,
    MetricKey,
    Monitor,
    deployed_monitor,
    schedule_event,
    status_event,
    status_event_of,
)
from tests.utils.template import ACCOUNT, REGION, ROOT, Stack

STACK = Stack()
RULE = STACK.functions()["StatusEventsFunction"]["Events"]["StatusChange"]
PATTERN = STACK.resolve(RULE["Properties"]["Pattern"])
# logical id -> deployed name, for every durable function (orderflow/registry.py's)
DURABLE = {k: STACK.physical_name(k) for k in sorted(durable_functions(STACK.template))}
CHANGES = [(k, kind) for k in DURABLE for kind in STATUS_KINDS]


@pytest.fixture(scope="module")
def monitor() -> Iterator[Monitor]:
    """StatusEventsFunction on moto, and moto's EventBridge to run the rule."""
    with deployed_monitor(STACK) as running:
        yield running


@pytest.fixture
def rule_queue(monitor: Monitor) -> Callable[[dict[str, Any]], bool]:
    """Whether the rule, resolved for the stack, matches an event."""
    return functools.partial(monitor.matches, PATTERN)


@pytest.mark.parametrize(("logical_id", "kind"), CHANGES)
def test_the_rule_matches_each_status_change_of_each_durable_function(
    rule_queue: Any, logical_id: str, kind: str
) -> None:
    assert rule_queue(status_event_of(kind, DURABLE[logical_id])) is True


@pytest.mark.parametrize("kind", STATUS_KINDS)
def test_the_rule_matches_the_recorded_status_changes(
    rule_queue: Any, kind: str
) -> None:
    assert rule_queue(status_event(kind)) is True


def test_the_rule_does_not_match_a_function_whose_name_starts_like_ours(
    rule_queue: Any,
) -> None:
    other = status_event("other-function")
    assert other["detail"]["functionArn"].startswith(
        status_event("failed")["detail"]["functionArn"].rsplit(":", 1)[0]
    ), "the recorded counter-example must share our name as a prefix"

    assert rule_queue(other) is False


@pytest.mark.parametrize("logical_id", DURABLE)
def test_the_rule_does_not_match_a_function_named_like_a_durable_one_plus_more(
    rule_queue: Any, logical_id: str
) -> None:
    name = DURABLE[logical_id]

    assert rule_queue(status_event_of("failed", f"{name}-v2")) is False
    assert rule_queue(status_event_of("failed", f"{name}2")) is False


def test_the_rule_does_not_match_another_sources_event(rule_queue: Any) -> None:
    assert rule_queue(status_event("failed") | {"source": "my.app"}) is False


def test_the_prefixes_are_each_durable_functions_name_and_a_colon() -> None:
    prefixes = [p["prefix"] for p in PATTERN["detail"]["functionArn"]]

    assert sorted(prefixes) == sorted(
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}:"
        for name in DURABLE.values()
    )


def test_the_rule_guard_passes_on_the_template(monitor: Monitor) -> None:
    assert check_status_rule(STACK.template, monitor.matches) == []


def test_each_durable_functions_failures_reach_an_alarm_and_the_dashboard(
    monitor: Monitor,
) -> None:
    problems = check_failures_alarmed(STACK.template, monitor.matches, monitor.emits)

    assert problems == []


@pytest.fixture(scope="module")
def emitted(monitor: Monitor) -> set[MetricKey]:
    """(namespace, metric, dimensions) the handler emits across recorded events,
    sent as each durable function's."""
    events = [status_event_of(k, n) for n in DURABLE.values() for k in STATUS_KINDS]
    return set().union(*(monitor.emits(e) for e in [*events, schedule_event()]))


def _ours(namespace: str) -> bool:
    return not namespace.startswith("AWS/")


def test_every_alarm_watches_a_metric_the_handler_emits(
    emitted: set[MetricKey],
) -> None:
    alarms = {
        k: STACK.resolve(r["Properties"])
        for k, r in STACK.resources.items()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    }
    watched = [
        (name, metric)
        for name, alarm in alarms.items()
        for metric in alarm_metrics(alarm)
        if _ours(metric[0])
    ]

    assert {"FailedExecutionsAlarm", "RetriesAlarm"} <= {n for n, _ in watched}
    for name, metric in watched:
        assert metric in emitted, f"{name} watches {metric}, which nobody emits"


def test_every_dashboard_metric_of_ours_is_emitted(
    emitted: set[MetricKey],
) -> None:
    titles = [w["properties"]["title"] for w in dashboard(STACK)["widgets"]]
    shown = list(dashboard_metrics(STACK))

    assert {
        "Executions by status",
        "Approvals pending",
        "Step retries (executions ended)",
        "Waiting versus computing (executions ended, ms)",
    } <= set(titles)
    for metric in shown:
        assert metric in emitted, f"the dashboard shows {metric}, which nobody emits"


def test_alerts_topic_is_encrypted_with_a_key_alarms_may_use() -> None:
    topic = STACK.resources["AlertsTopic"]["Properties"]
    key = STACK.resources["AlertsKey"]["Properties"]
    services = [
        s["Principal"].get("Service")
        for s in key["KeyPolicy"]["Statement"]
        if isinstance(s["Principal"], dict)
    ]

    assert topic["KmsMasterKeyId"] == {"Ref": "AlertsKey"}
    assert "cloudwatch.amazonaws.com" in services
    assert key["EnableKeyRotation"] is True


def test_every_parameter_is_grouped_labelled_and_documented() -> None:
    parameters = set(STACK.template["Parameters"])
    interface = STACK.template["Metadata"]["AWS::CloudFormation::Interface"]
    grouped = [p for g in interface["ParameterGroups"] for p in g["Parameters"]]
    deploy_doc = (ROOT / "docs" / "deploy.md").read_text()

    assert sorted(grouped) == sorted(parameters), "each parameter in one group"
    assert set(interface["ParameterLabels"]) == parameters
    undocumented = {p for p in parameters if f"| {p} |" not in deploy_doc}
    assert not undocumented, f"docs/deploy.md has no row for {undocumented}"


def test_samconfig_overrides_only_parameters_that_exist() -> None:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    parameters = set(STACK.template["Parameters"])

    assert {"default", "dev", "prod"} <= set(config)
    for env, sections in config.items():
        if not isinstance(sections, dict) or "deploy" not in sections:
            continue
        overrides = sections["deploy"]["parameters"].get("parameter_overrides", [])
        names = {o.split("=", 1)[0] for o in overrides}
        assert names <= parameters, f"[{env}] overrides unknown {names - parameters}"
