"""Guards over every durable function of a template; each returns its problems.

A durable function (one with DurableConfig) is wired into template.yaml in
several places: the registry names it, it is invoked through its alias, the
approval page completes its callbacks, the monitor reads its history, the
status-change rule lets its events through and its failures reach the alarms
and the dashboard. Each guard takes a template as data (``tests.utils.template
.load()``, or a copy a test has changed) and lists what is missing, so a test
can show that a second durable function without that wiring is reported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from orderflow.registry import PROCESSES, Process
from tests.utils.monitoring import STATUS_KINDS, MetricKey, status_event_of
from tests.utils.template import Stack, load_script

Template = dict[str, Any]
Problems = list[str]
Matcher = Callable[[dict[str, Any], dict[str, Any]], bool]  # (pattern, event)
Emits = Callable[[dict[str, Any]], set[MetricKey]]  # event -> metrics emitted

iam_checks = load_script("iam_checks")
ALIAS = "live"
APPROVAL_ROUNDS = 2  # TWO_APPROVERS: two callbacks, one after the other
MONITOR, STATUS_RULE = "StatusEventsFunction", "StatusChange"
ALARMED_KINDS = ("failed", "timed-out")  # FailedExecutionsAlarm's statuses
STACK_NAME = "${AWS::StackName}-"


def durable_functions(template: Template) -> dict[str, dict[str, Any]]:
    """Every SAM function with a DurableConfig: its properties by logical id."""
    return {
        logical_id: resource.get("Properties", {})
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
        and "DurableConfig" in resource.get("Properties", {})
    }


def check_registry(
    template: Template, processes: Iterable[Process] = PROCESSES
) -> Problems:
    """The durable functions are exactly the registered processes' functions."""
    durable = durable_functions(template)
    registered = {p.function: p for p in processes}
    problems = [
        f"{logical_id}: durable but not registered in orderflow/registry.py"
        for logical_id in sorted(set(durable) - set(registered))
    ]
    for logical_id, process in registered.items():
        expected = {"Fn::Sub": f"{STACK_NAME}{process.function_name}"}
        if logical_id not in durable:
            problems.append(f"{logical_id}: registered for {process.kind}, not durable")
        elif (name := durable[logical_id].get("FunctionName")) != expected:
            problems.append(f"{logical_id}: FunctionName {name!r}, not {expected!r}")
    return problems


def check_durable_settings(template: Template) -> Problems:
    """Alias, DurableConfig and a log group of its own, for every durable function."""
    resources, problems = template["Resources"], []
    approval = template["Parameters"]["ApprovalTimeoutSeconds"]
    longest = max(int(approval["Default"]), int(approval.get("MaxValue", 0)))
    log_groups = [
        props.get("LoggingConfig", {}).get("LogGroup")
        for props in Stack(template).functions().values()
    ]
    for logical_id, props in durable_functions(template).items():
        if props.get("AutoPublishAlias") != ALIAS:
            problems.append(f"{logical_id}: AutoPublishAlias is not {ALIAS}")
        config = props["DurableConfig"]
        timeout = config.get("ExecutionTimeout")
        if not isinstance(timeout, int) or timeout <= APPROVAL_ROUNDS * longest:
            problems.append(
                f"{logical_id}: ExecutionTimeout {timeout!r} does not outlast "
                f"{APPROVAL_ROUNDS} approval rounds of {longest} s"
            )
        if config.get("RetentionPeriodInDays") != {"Ref": "RetentionDays"}:
            problems.append(f"{logical_id}: RetentionPeriodInDays is not RetentionDays")
        group = props.get("LoggingConfig", {}).get("LogGroup")
        target = resources.get(group["Ref"], {}) if _is_ref(group) else {}
        name = iam_checks.sub_text(props.get("FunctionName"))
        log_props = target.get("Properties", {})
        if target.get("Type") != "AWS::Logs::LogGroup" or log_groups.count(group) > 1:
            problems.append(f"{logical_id}: no log group of its own")
        elif log_props.get("LogGroupName") != {"Fn::Sub": f"/aws/lambda/{name}"}:
            problems.append(f"{logical_id}: its log group is not /aws/lambda/{name}")
        elif "RetentionInDays" not in log_props:
            problems.append(f"{logical_id}: its log group keeps logs forever")
    return problems


def _is_ref(node: Any) -> bool:
    return isinstance(node, dict) and set(node) == {"Ref"}


def check_invoked_through_alias(template: Template) -> Problems:
    """Every variable or InvokeFunction naming a durable function names its alias."""
    durable = durable_functions(template)
    names = {
        name: logical_id
        for logical_id, props in durable.items()
        if (name := iam_checks.sub_text(props.get("FunctionName")))
    }
    problems = []
    for caller, props in Stack(template).functions().items():
        variables = props.get("Environment", {}).get("Variables", {})
        invokes = [
            s["Resource"]
            for p in props.get("Policies", [])
            if isinstance(p, dict)
            for s in p.get("Statement", [])
            if "lambda:InvokeFunction" in iam_checks.as_list(s.get("Action", []))
        ]
        for where, node in [*variables.items(), *(("Invoke", r) for r in invokes)]:
            for target in _unaliased(node, durable, names):
                problems.append(f"{caller}: {where} names {target} without :{ALIAS}")
    return problems


def _unaliased(
    node: Any, durable: dict[str, Any], names: dict[str, str]
) -> Iterator[str]:
    """Durable functions ``node`` names other than through their alias."""
    if isinstance(node, list):
        for item in node:
            yield from _unaliased(item, durable, names)
    elif isinstance(node, dict):
        ref, get_att = node.get("Ref"), node.get("Fn::GetAtt")
        if ref in durable:
            yield ref
        elif isinstance(get_att, list | str):
            target = get_att.split(".")[0] if isinstance(get_att, str) else get_att[0]
            if target in durable:
                yield target
        for value in node.values():
            yield from _unaliased(value, durable, names)
    elif isinstance(node, str):
        for name, logical_id in names.items():
            pattern = rf"(^|:function:){re.escape(name)}(:(?P<q>[^:/\s]+))?($|/)"
            for match in re.finditer(pattern, node):
                if match.group("q") != ALIAS:
                    yield logical_id


def check_grants(template: Template) -> Problems:
    """The approval page and the monitor hold their actions on each durable
    function, and no callback or execution read is allowed on anything else."""
    return [
        *iam_checks.check_durable_grants(template),
        *iam_checks.check_callback_scope(template),
        *iam_checks.check_read_scope(template),
    ]


def _status_pattern(stack: Stack) -> dict[str, Any] | None:
    events = stack.functions().get(MONITOR, {}).get("Events", {})
    rule = events.get(STATUS_RULE, {}).get("Properties", {})
    return stack.resolve(rule["Pattern"]) if "Pattern" in rule else None


def check_status_rule(template: Template, matches: Matcher) -> Problems:
    """The rule matches each durable function's status changes, and only theirs."""
    stack = Stack(template)
    pattern = _status_pattern(stack)
    if pattern is None:
        return [f"{MONITOR} has no {STATUS_RULE} rule"]
    problems = []
    names = {k: stack.physical_name(k) for k in durable_functions(template)}
    for logical_id, name in names.items():
        missed = [
            k for k in STATUS_KINDS if not matches(pattern, status_event_of(k, name))
        ]
        if missed:
            problems.append(f"{logical_id}: the rule misses its {', '.join(missed)}")
        if matches(pattern, status_event_of("failed", f"{name}-v2")):
            problems.append(f"{logical_id}: the rule also matches {name}-v2")
    allowed = {f":function:{name}:" for name in names.values()}
    for spec in pattern.get("detail", {}).get("functionArn", []):
        prefix = spec.get("prefix", "") if isinstance(spec, dict) else spec
        if not any(prefix.endswith(a) for a in allowed):
            problems.append(f"the rule's functionArn {spec!r} is no durable function's")
    return problems


def alarm_metrics(alarm: dict[str, Any]) -> Iterator[MetricKey]:
    """(namespace, metric, dimensions) of every metric a resolved alarm reads."""
    stats = [alarm] if "MetricName" in alarm else []
    stats += [
        q["MetricStat"]["Metric"] for q in alarm.get("Metrics", []) if "MetricStat" in q
    ]
    for metric in stats:
        dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
        yield metric["Namespace"], metric["MetricName"], frozenset(dims.items())


def dashboard(stack: Stack) -> dict[str, Any]:
    """The resolved OperationsDashboard body."""
    body = stack.resources["OperationsDashboard"]["Properties"]["DashboardBody"]
    parsed: dict[str, Any] = json.loads(stack.resolve(body))
    return parsed


def dashboard_metrics(stack: Stack) -> Iterator[MetricKey]:
    """(namespace, metric, dimensions) of every metric the dashboard names;
    a SEARCH expression's row names none (``dashboard_searches``)."""
    for widget in dashboard(stack)["widgets"]:
        for row in widget["properties"].get("metrics", []):
            if not any(isinstance(v, str) for v in row):
                continue
            namespace, name, *pairs = [v for v in row if isinstance(v, str)]
            yield namespace, name, frozenset(zip(pairs[::2], pairs[1::2], strict=True))


def check_failures_alarmed(
    template: Template, matches: Matcher, emits: Emits
) -> Problems:
    """Each durable function's status changes reach the monitor; the dashboard
    shows each status's own metric and an alarm on it watches each failure's."""
    stack = Stack(template)
    pattern = _status_pattern(stack) or {}
    topic = stack.ref("AlertsTopic")
    shown = set(dashboard_metrics(stack))
    on_dashboard = {
        arn
        for widget in dashboard(stack)["widgets"]
        for arn in widget["properties"].get("alarms", [])
    }
    watched: dict[MetricKey, set[str]] = {}  # metric -> alarms alerting on it
    for logical_id, resource in stack.resources.items():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        alarm = stack.resolve(resource["Properties"])
        if topic in alarm.get("AlarmActions", []):
            for metric in alarm_metrics(alarm):
                watched.setdefault(metric, set()).add(stack.get_att(logical_id, "Arn"))
    problems = []
    for logical_id in durable_functions(template):
        name = stack.physical_name(logical_id)
        emitted = {
            kind: emits(event)
            for kind in STATUS_KINDS
            if matches(pattern, event := status_event_of(kind, name))
        }
        problems += [
            f"{logical_id}: its {kind} events never reach {MONITOR}"
            for kind in STATUS_KINDS
            if kind not in emitted
        ]
        for kind, metrics in emitted.items():
            # What this status alone emits, so each status has its own line.
            others = set().union(*(m for k, m in emitted.items() if k != kind))
            if not (metrics - others) & shown:
                problems.append(f"{logical_id}: the dashboard does not show its {kind}")
        for kind in ALARMED_KINDS:
            # What only a failure emits: StepRetries comes with every ending.
            only = emitted.get(kind, set()) - emitted.get("succeeded", set())
            alarms = {a for m in only for a in watched.get(m, set())}
            if kind in emitted and not alarms & on_dashboard:
                problems.append(
                    f"{logical_id}: no alarm on the dashboard watches its {kind}"
                )
    return problems
