"""Every durable function of template.yaml is wired in, and each guard bites.

The guards (tests/utils/durable_guards.py) learn the durable functions from the
template and check them against orderflow/registry.py. They pass on
template.yaml; on a copy with a second durable function (InvoiceWorkflowFunction,
a copy of the order workflow) and none of its wiring, each reports what is
missing; with the wiring added, one list entry per place, they pass again.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from orderflow.registry import ORDERS, PROCESSES
from tests.utils import durable_guards as guards
from tests.utils.monitoring import Monitor, deployed_monitor
from tests.utils.template import load

Template = dict[str, Any]
INVOICES = dataclasses.replace(
    ORDERS,
    kind="invoice",
    function="InvoiceWorkflowFunction",
    function_name="invoice-workflow",
    approvals=None,
)
WITH_INVOICES = (*PROCESSES, INVOICES)
FUNCTION_ARN = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
INVOICES_NAME = "${AWS::StackName}-invoice-workflow"
ORDERS_NAME = "${AWS::StackName}-order-workflow"
NEW = "InvoiceWorkflowFunction"
DEPLOYED = list(guards.durable_functions(load()))  # in the template's order
NAMES = [f"${{AWS::StackName}}-{p.function_name}" for p in PROCESSES]


@pytest.fixture(scope="module")
def monitor() -> Iterator[Monitor]:
    """The monitor on moto, for the rule and metric guards."""
    with deployed_monitor() as running:
        yield running


def unwired() -> Template:
    """template.yaml plus a copy of the order workflow, named invoice-workflow."""
    template = load()
    workflow = copy.deepcopy(template["Resources"]["OrderWorkflowFunction"])
    workflow["Properties"]["FunctionName"] = {"Fn::Sub": INVOICES_NAME}
    template["Resources"][NEW] = workflow
    return template


def _statement(template: Template, function: str, sid: str) -> dict[str, Any]:
    props = template["Resources"][function]["Properties"]
    statement: dict[str, Any]
    (statement,) = [
        s
        for p in props["Policies"]
        if isinstance(p, dict)
        for s in p.get("Statement", [])
        if s["Sid"] == sid
    ]
    return statement


def wired() -> Template:
    """``unwired()`` with the invoice workflow added wherever a durable one goes."""
    template = unwired()
    resources = template["Resources"]
    log_group = copy.deepcopy(resources["OrderWorkflowLogGroup"])
    log_group["Properties"]["LogGroupName"] = {
        "Fn::Sub": f"/aws/lambda/{INVOICES_NAME}"
    }
    resources["InvoiceWorkflowLogGroup"] = log_group
    resources[NEW]["Properties"]["LoggingConfig"] = {
        "LogGroup": {"Ref": "InvoiceWorkflowLogGroup"}
    }
    arn = {"Fn::Sub": f"{FUNCTION_ARN}{INVOICES_NAME}:*"}
    for function, sid in (
        ("ApprovalApiFunction", "CompleteApprovalCallbacks"),
        ("StatusEventsFunction", "WorkflowExecutions"),
    ):
        _statement(template, function, sid)["Resource"].append(arn)
    rule = resources["StatusEventsFunction"]["Properties"]["Events"]["StatusChange"]
    rule["Properties"]["Pattern"]["detail"]["functionArn"].append(
        {"prefix": {"Fn::Sub": f"{FUNCTION_ARN}{INVOICES_NAME}:"}}
    )
    return template


def _all_guards(template: Template, monitor: Monitor) -> list[str]:
    return [
        *guards.check_registry(template, WITH_INVOICES),
        *guards.check_durable_settings(template),
        *guards.check_invoked_through_alias(template),
        *guards.check_grants(template),
        *guards.check_status_rule(template, monitor.matches),
        *guards.check_failures_alarmed(template, monitor.matches, monitor.emits),
    ]


def test_the_durable_functions_are_the_registered_processes() -> None:
    durable = guards.durable_functions(load())

    assert set(durable) == {p.function for p in PROCESSES}
    assert guards.check_registry(load()) == []


def test_every_guard_passes_on_the_template(monitor: Monitor) -> None:
    template = load()

    assert guards.check_durable_settings(template) == []
    assert guards.check_invoked_through_alias(template) == []
    assert guards.check_grants(template) == []
    assert guards.check_status_rule(template, monitor.matches) == []
    assert guards.check_failures_alarmed(template, monitor.matches, monitor.emits) == []


def test_every_guard_passes_with_a_wired_second_durable_function(
    monitor: Monitor,
) -> None:
    assert set(guards.durable_functions(wired())) == {*DEPLOYED, NEW}
    assert _all_guards(wired(), monitor) == []


def test_an_unregistered_durable_function_is_reported() -> None:
    assert guards.check_registry(unwired()) == [
        f"{NEW}: durable but not registered in orderflow/registry.py"
    ]


def test_a_registered_process_without_its_durable_function_is_reported() -> None:
    assert guards.check_registry(load(), WITH_INVOICES) == [
        f"{NEW}: registered for invoice, not durable"
    ]


def test_a_durable_function_named_unlike_its_registration_is_reported() -> None:
    template = wired()
    template["Resources"][NEW]["Properties"]["FunctionName"] = {
        "Fn::Sub": "${AWS::StackName}-returns"
    }

    (problem,) = guards.check_registry(template, WITH_INVOICES)

    assert problem.startswith(f"{NEW}: FunctionName")


def test_a_durable_function_sharing_the_orders_log_group_is_reported() -> None:
    assert guards.check_durable_settings(unwired()) == [
        "OrderWorkflowFunction: no log group of its own",
        f"{NEW}: no log group of its own",
    ]


def _drop(path: tuple[str, ...]) -> Callable[[Template], None]:
    def change(template: Template) -> None:
        node = template["Resources"]
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return change


def _set(path: tuple[str, ...], value: Any) -> Callable[[Template], None]:
    def change(template: Template) -> None:
        node = template["Resources"]
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


SETTINGS = [
    (_drop((NEW, "Properties", "AutoPublishAlias")), "AutoPublishAlias is not live"),
    (
        _set((NEW, "Properties", "AutoPublishAlias"), "prod"),
        "AutoPublishAlias is not live",
    ),
    (
        _drop((NEW, "Properties", "DurableConfig", "ExecutionTimeout")),
        "ExecutionTimeout None does not outlast 2 approval rounds of 86400 s",
    ),
    (
        _set((NEW, "Properties", "DurableConfig", "ExecutionTimeout"), 172800),
        "ExecutionTimeout 172800 does not outlast 2 approval rounds of 86400 s",
    ),
    (
        _drop((NEW, "Properties", "DurableConfig", "RetentionPeriodInDays")),
        "RetentionPeriodInDays is not RetentionDays",
    ),
    (_drop((NEW, "Properties", "LoggingConfig")), "no log group of its own"),
    (
        _set(("InvoiceWorkflowLogGroup", "Properties", "LogGroupName"), "/x"),
        f"its log group is not /aws/lambda/{INVOICES_NAME}",
    ),
    (
        _drop(("InvoiceWorkflowLogGroup", "Properties", "RetentionInDays")),
        "its log group keeps logs forever",
    ),
]


@pytest.mark.parametrize(
    ("change", "expected"),
    SETTINGS,
    ids=[
        "no-alias",
        "other-alias",
        "no-timeout",
        "short-timeout",
        "no-retention",
        "no-log-group",
        "log-group-name",
        "log-retention",
    ],
)
def test_each_missing_durable_setting_is_reported(
    change: Callable[[Template], None], expected: str
) -> None:
    template = wired()
    change(template)

    assert guards.check_durable_settings(template) == [f"{NEW}: {expected}"]


@pytest.mark.parametrize(
    "value",
    [
        {"Fn::Sub": f"{FUNCTION_ARN}{INVOICES_NAME}"},
        {"Fn::Sub": f"{FUNCTION_ARN}{INVOICES_NAME}:$LATEST"},
        {"Fn::Sub": INVOICES_NAME},
        {"Fn::GetAtt": [NEW, "Arn"]},
        {"Ref": NEW},
    ],
    ids=["unqualified", "latest", "bare-name", "getatt", "ref"],
)
def test_a_caller_naming_a_durable_function_but_not_its_alias_is_reported(
    value: Any,
) -> None:
    template = wired()
    props = template["Resources"]["StartOrderFunction"]["Properties"]
    props["Environment"]["Variables"]["RETURN_WORKFLOW_FUNCTION"] = value

    assert guards.check_invoked_through_alias(template) == [
        f"StartOrderFunction: RETURN_WORKFLOW_FUNCTION names {NEW} without :live"
    ]


def test_an_invoke_permission_on_a_durable_function_but_not_its_alias_is_reported() -> (
    None
):
    template = wired()
    invoke = _statement(template, "StartOrderFunction", "StartOrderExecutions")
    invoke["Resource"] = [
        invoke["Resource"],
        {"Fn::Sub": f"{FUNCTION_ARN}{INVOICES_NAME}:*"},
    ]

    assert guards.check_invoked_through_alias(template) == [
        f"StartOrderFunction: Invoke names {NEW} without :live"
    ]


@pytest.mark.parametrize(
    "value",
    [
        {"Fn::Sub": f"{FUNCTION_ARN}{INVOICES_NAME}:live"},
        {"Ref": f"{NEW}.Alias"},
    ],
    ids=["alias-arn", "alias-ref"],
)
def test_a_caller_naming_the_alias_passes(value: Any) -> None:
    template = wired()
    props = template["Resources"]["StartOrderFunction"]["Properties"]
    props["Environment"]["Variables"]["RETURN_WORKFLOW_FUNCTION"] = value

    assert guards.check_invoked_through_alias(template) == []


def test_callbacks_and_history_of_an_unwired_durable_function_are_reported() -> None:
    assert guards.check_grants(unwired()) == [
        "ApprovalApiFunction: may not lambda:SendDurableExecutionCallbackSuccess, "
        f"lambda:SendDurableExecutionCallbackFailure on {INVOICES_NAME} "
        f"(function:{INVOICES_NAME}:*)",
        "StatusEventsFunction: may not lambda:GetDurableExecutionHistory, "
        f"lambda:SendDurableExecutionCallbackSuccess on {INVOICES_NAME} "
        f"(function:{INVOICES_NAME}:*)",
    ]


def test_one_callback_action_missing_on_a_durable_function_is_reported() -> None:
    template = wired()
    approval = _statement(template, "ApprovalApiFunction", "CompleteApprovalCallbacks")
    approval["Action"] = ["lambda:SendDurableExecutionCallbackSuccess"]

    assert guards.check_grants(template) == [
        "ApprovalApiFunction: may not lambda:SendDurableExecutionCallbackFailure on "
        f"{name} (function:{name}:*)"
        for name in sorted([*NAMES, INVOICES_NAME])
    ]


def test_a_grant_wider_than_the_durable_functions_is_reported() -> None:
    template = wired()
    monitor = _statement(template, "StatusEventsFunction", "WorkflowExecutions")
    monitor["Resource"] = [{"Fn::Sub": f"{FUNCTION_ARN}${{AWS::StackName}}-*"}]

    problems = guards.check_grants(template)

    n = len(NAMES) + 1  # each durable function loses its grant...
    assert [p.split(":")[0] for p in problems] == [
        *["StatusEventsFunction"] * n,
        "StatusEventsFunction/WorkflowExecutions",  # ...and the wide one is named
        "StatusEventsFunction/WorkflowExecutions",
    ]
    assert "callback actions on" in problems[n]
    assert "execution reads on" in problems[n + 1]


def test_the_rule_missing_a_durable_function_is_reported(monitor: Monitor) -> None:
    assert guards.check_status_rule(unwired(), monitor.matches) == [
        f"{NEW}: the rule misses its running, succeeded, failed, timed-out, stopped"
    ]


def test_a_rule_prefix_wider_than_the_function_name_is_reported(
    monitor: Monitor,
) -> None:
    template = wired()
    rule = template["Resources"]["StatusEventsFunction"]["Properties"]["Events"]
    prefixes = rule["StatusChange"]["Properties"]["Pattern"]["detail"]["functionArn"]
    prefixes[-1] = {"prefix": {"Fn::Sub": f"{FUNCTION_ARN}{INVOICES_NAME}"}}

    problems = guards.check_status_rule(template, monitor.matches)

    assert problems[0] == f"{NEW}: the rule also matches orderflow-invoice-workflow-v2"
    assert problems[1].startswith("the rule's functionArn {'prefix': 'arn:aws:lambda")
    assert len(problems) == 2


def test_failures_of_an_unwired_durable_function_reach_no_alarm(
    monitor: Monitor,
) -> None:
    assert guards.check_failures_alarmed(unwired(), monitor.matches, monitor.emits) == [
        f"{NEW}: its {kind} events never reach StatusEventsFunction"
        for kind in ("running", "succeeded", "failed", "timed-out", "stopped")
    ]


def test_an_alarm_on_one_functions_metric_is_reported(monitor: Monitor) -> None:
    template = wired()
    alarm = template["Resources"]["FailedExecutionsAlarm"]["Properties"]
    for query in alarm["Metrics"]:
        if "MetricStat" in query:
            query["MetricStat"]["Metric"]["Dimensions"].append(
                {"Name": "FunctionName", "Value": "orderflow-order-workflow"}
            )

    problems = guards.check_failures_alarmed(template, monitor.matches, monitor.emits)

    assert problems == [
        f"{function}: no alarm on the dashboard watches its {kind}"
        for function in (*DEPLOYED, NEW)
        for kind in ("failed", "timed-out")
    ]


def test_an_alarm_missing_from_the_dashboard_is_reported(monitor: Monitor) -> None:
    template = wired()
    props = template["Resources"]["OperationsDashboard"]["Properties"]
    alarm = '"${FailedExecutionsAlarm.Arn}", '
    assert alarm in props["DashboardBody"]["Fn::Sub"]
    props["DashboardBody"]["Fn::Sub"] = props["DashboardBody"]["Fn::Sub"].replace(
        alarm, ""
    )

    problems = guards.check_failures_alarmed(template, monitor.matches, monitor.emits)

    assert problems == [
        f"{function}: no alarm on the dashboard watches its {kind}"
        for function in (*DEPLOYED, NEW)
        for kind in ("failed", "timed-out")
    ]


def test_a_status_missing_from_the_dashboard_is_reported(monitor: Monitor) -> None:
    template = wired()
    props = template["Resources"]["OperationsDashboard"]["Properties"]
    row = '["${AWS::StackName}", "ExecutionsStopped", "service", "orderflow"]'
    body = props["DashboardBody"]["Fn::Sub"]
    props["DashboardBody"]["Fn::Sub"] = re.sub(rf",\s*{re.escape(row)}", "", body)
    assert row not in props["DashboardBody"]["Fn::Sub"]

    problems = guards.check_failures_alarmed(template, monitor.matches, monitor.emits)

    assert problems == [
        f"{function}: the dashboard does not show its stopped"
        for function in (*DEPLOYED, NEW)
    ]
