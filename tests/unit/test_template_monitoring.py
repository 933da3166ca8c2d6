"""Monitoring in template.yaml against what really happens.

- The status-change rule's pattern, as a deployed stack resolves it, is run by
  moto's EventBridge against the recorded events: ours match, another
  function's (whose name only starts like ours) does not.
- Every metric an alarm or the dashboard reads is one the handler emits, with
  the same namespace and dimensions (an alarm on a metric nobody emits never
  fires, and nothing says so).
- Parameters: grouped and labelled in the console, documented in docs/deploy.md,
  and samconfig.toml overrides only parameters that exist.
"""

from __future__ import annotations

import contextlib
import io
import json
import tomllib
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from tests.utils.deployed import (
    LambdaContext,
    Metric,
    Output,
    aws_credentials,
    deployed,
)
from tests.utils.monitoring import history, schedule_event, status_event
from tests.utils.template import ROOT, Stack

STACK = Stack()
RULE = STACK.functions()["StatusEventsFunction"]["Events"]["StatusChange"]
OURS = ["running", "succeeded", "failed", "timed-out", "stopped"]


@pytest.fixture
def rule_queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The rule, resolved for the stack, on moto's EventBridge; a queue as target."""
    aws_credentials(monkeypatch)
    with mock_aws():
        events, sqs = boto3.client("events"), boto3.client("sqs")
        queue = sqs.create_queue(QueueName="matched")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        pattern = STACK.resolve(RULE["Properties"]["Pattern"])
        events.put_rule(Name="status-change", EventPattern=json.dumps(pattern))
        events.put_targets(
            Rule="status-change",
            Targets=[{"Id": "q", "Arn": arn["Attributes"]["QueueArn"]}],
        )

        def matched(event: dict[str, Any]) -> bool:
            sent = events.put_events(
                Entries=[
                    {
                        "Source": event["source"],
                        "DetailType": event["detail-type"],
                        "Detail": json.dumps(event["detail"]),
                        "Resources": event["resources"],
                    }
                ]
            )
            assert sent["FailedEntryCount"] == 0
            got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
            return bool(got.get("Messages"))

        yield matched


@pytest.mark.parametrize("kind", OURS)
def test_the_rule_matches_a_status_change_of_the_orchestrator(
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


def test_the_rule_does_not_match_another_sources_event(rule_queue: Any) -> None:
    assert rule_queue(status_event("failed") | {"source": "my.app"}) is False


def test_the_prefix_ends_with_the_function_name_and_a_colon() -> None:
    (prefix,) = STACK.resolve(RULE["Properties"]["Pattern"])["detail"]["functionArn"]
    name = STACK.physical_name("OrderWorkflowFunction")

    assert prefix["prefix"].endswith(f":function:{name}:")


@pytest.fixture(scope="module")
def emitted() -> set[tuple[str, str, frozenset[tuple[str, str]]]]:
    """(namespace, metric, dimensions) the handler emits across recorded events."""
    found: list[Metric] = []
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        deployed("StatusEventsFunction", monkeypatch, STACK) as running,
    ):
        for event in [status_event(kind) for kind in OURS] + [schedule_event()]:
            found += _run(running, event)
    return {(m.namespace, m.name, frozenset(m.dimensions.items())) for m in found}


def _run(running: Any, event: dict[str, Any]) -> list[Metric]:
    arn = event.get("detail", {}).get("durableExecutionArn")
    buffer = io.StringIO()
    with Stubber(running.module.lambda_client) as stub:
        if arn and event["detail"]["status"] != "RUNNING":
            stub.add_response(
                "get_durable_execution_history",
                {"Events": history("capture-retried")},
            )
        with contextlib.redirect_stdout(buffer):
            running.module.lambda_handler(event, LambdaContext())
    return Output.parse(buffer.getvalue()).metrics


def _alarm_metrics(alarm: dict[str, Any]) -> Iterator[tuple[str, str, frozenset]]:
    if "MetricName" in alarm:
        dims = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
        yield alarm["Namespace"], alarm["MetricName"], frozenset(dims.items())
    for query in alarm.get("Metrics", []):
        if "MetricStat" in query:
            metric = query["MetricStat"]["Metric"]
            dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
            yield metric["Namespace"], metric["MetricName"], frozenset(dims.items())


def _ours(namespace: str) -> bool:
    return not namespace.startswith("AWS/")


def test_every_alarm_watches_a_metric_the_handler_emits(
    emitted: set[tuple[str, str, frozenset[tuple[str, str]]]],
) -> None:
    alarms = {
        k: STACK.resolve(r["Properties"])
        for k, r in STACK.resources.items()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    }
    watched = [
        (name, metric)
        for name, alarm in alarms.items()
        for metric in _alarm_metrics(alarm)
        if _ours(metric[0])
    ]

    assert {"FailedExecutionsAlarm", "RetriesAlarm"} <= {n for n, _ in watched}
    for name, metric in watched:
        assert metric in emitted, f"{name} watches {metric}, which nobody emits"


def test_every_dashboard_metric_of_ours_is_emitted(
    emitted: set[tuple[str, str, frozenset[tuple[str, str]]]],
) -> None:
    body = json.loads(
        STACK.resolve(
            STACK.resources["OperationsDashboard"]["Properties"]["DashboardBody"]
        )
    )
    titles = [w["properties"]["title"] for w in body["widgets"]]
    shown = []
    for widget in body["widgets"]:
        for row in widget["properties"].get("metrics", []):
            values = [v for v in row if isinstance(v, str)]
            namespace, name, *pairs = values
            shown.append(
                (namespace, name, frozenset(zip(pairs[::2], pairs[1::2], strict=True)))
            )

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
    key = STACK.resources["MonitoringKey"]["Properties"]
    services = [
        s["Principal"].get("Service")
        for s in key["KeyPolicy"]["Statement"]
        if isinstance(s["Principal"], dict)
    ]

    assert topic["KmsMasterKeyId"] == {"Ref": "MonitoringKey"}
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
