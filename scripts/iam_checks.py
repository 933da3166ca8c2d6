"""IAM checks on a template as plain data: SAM's template.yaml or translated JSON.

Imported by validate_template.py (on the translated CloudFormation) and by
tests/unit/test_template_iam.py (on template.yaml and on counter-examples that
must fail). Standard library only: it runs in both virtual environments.

- No statement allows ``*`` or ``service:*`` as an action (roles, SAM
  functions' inline policies, and resource policies: KMS, SQS, SNS).
- Completing a durable callback (``lambda:SendDurableExecutionCallback*``) or
  reading an execution (``lambda:GetDurableExecution*``) is allowed only on
  ``arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:NAME:*``
  for a durable function's fixed NAME.
- Every durable function's executions are open to the roles that serve them
  (``DURABLE_GRANTS``): the approval page completes its callbacks, the monitor
  reads its history and re-sends decisions. A durable function missing from one
  of those statements would have its approvals denied or its failures unread.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import Any

Template = dict[str, Any]
Problems = list[str]

CALLBACK_ACTIONS = (
    "lambda:SendDurableExecutionCallbackSuccess",
    "lambda:SendDurableExecutionCallbackFailure",
    "lambda:SendDurableExecutionCallbackHeartbeat",
)
READ_ACTIONS = (
    "lambda:GetDurableExecution",
    "lambda:GetDurableExecutionHistory",
)
FUNCTION_ARN = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
# The functions (SAM's, or the roles SAM makes for them: NAMERole) that must
# hold these actions on every durable function's ``function:NAME:*``.
DURABLE_GRANTS: dict[str, tuple[str, ...]] = {
    "ApprovalApiFunction": (
        "lambda:SendDurableExecutionCallbackSuccess",
        "lambda:SendDurableExecutionCallbackFailure",
    ),
    "StatusEventsFunction": (
        "lambda:GetDurableExecutionHistory",
        "lambda:SendDurableExecutionCallbackSuccess",
    ),
}
# Resource policies and where their document sits.
POLICY_DOCUMENTS = {
    "AWS::KMS::Key": "KeyPolicy",
    "AWS::SQS::QueuePolicy": "PolicyDocument",
    "AWS::SNS::TopicPolicy": "PolicyDocument",
    "AWS::IAM::Policy": "PolicyDocument",
    "AWS::IAM::ManagedPolicy": "PolicyDocument",
}


def as_list(value: Any) -> list[Any]:
    """``value`` if it is a list, else a list of it."""
    return value if isinstance(value, list) else [value]


def policy_statements(template: Template) -> Iterator[tuple[str, dict[str, Any]]]:
    """(logical id, statement) for every policy statement the template declares."""
    for logical_id, resource in template.get("Resources", {}).items():
        kind, props = resource.get("Type"), resource.get("Properties", {})
        documents: list[Any] = []
        if kind == "AWS::IAM::Role":
            documents = [p.get("PolicyDocument", {}) for p in props.get("Policies", [])]
        elif kind == "AWS::Serverless::Function":
            documents = [
                p for p in as_list(props.get("Policies", [])) if isinstance(p, dict)
            ]
        elif kind in POLICY_DOCUMENTS:
            documents = [props.get(POLICY_DOCUMENTS[kind], {})]
        for document in documents:
            for statement in as_list(document.get("Statement", [])):
                if isinstance(statement, dict):
                    yield logical_id, statement


def sub_text(value: Any) -> str | None:
    """The text of a string or an ``Fn::Sub``; None for other intrinsics."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        sub = value["Fn::Sub"]
        text = sub[0] if isinstance(sub, list) else sub
        return text if isinstance(text, str) else None
    return None


def _actions(statement: dict[str, Any]) -> list[str]:
    return [a for a in as_list(statement.get("Action", [])) if isinstance(a, str)]


def check_no_wildcard_actions(template: Template) -> Problems:
    """Problems for every Allow of ``*``, ``service:*`` or any NotAction."""
    problems: Problems = []
    for logical_id, statement in policy_statements(template):
        if statement.get("Effect") != "Allow":
            continue
        sid = statement.get("Sid", "?")
        if "NotAction" in statement:
            problems.append(f"{logical_id}/{sid}: Allow with NotAction")
        wide = [a for a in _actions(statement) if a == "*" or a.endswith(":*")]
        if wide:
            problems.append(f"{logical_id}/{sid}: allows {', '.join(wide)}")
    return problems


def durable_function_names(template: Template) -> set[str]:
    """The fixed FunctionName (as its Sub text) of every durable function."""
    names = set()
    for resource in template.get("Resources", {}).values():
        props = resource.get("Properties", {})
        if "DurableConfig" in props and (name := sub_text(props.get("FunctionName"))):
            names.add(name)
    return names


def execution_arns(template: Template) -> set[str]:
    """``function:NAME:*`` (as Sub text) of every durable function."""
    return {f"{FUNCTION_ARN}{name}:*" for name in durable_function_names(template)}


def grants_any(statement: dict[str, Any], actions: tuple[str, ...]) -> bool:
    """True if the statement allows one of ``actions``, by name or by pattern."""
    patterns = [a.lower() for a in _actions(statement)]
    return any(
        fnmatch.fnmatchcase(action.lower(), pattern)
        for action in actions
        for pattern in patterns
    )


def grants_callbacks(statement: dict[str, Any]) -> bool:
    """True if the statement allows completing or heartbeating a callback."""
    return grants_any(statement, CALLBACK_ACTIONS)


def _check_scope(template: Template, actions: tuple[str, ...], what: str) -> Problems:
    """Statements allowing ``actions`` name ``function:NAME:*`` of durable ones."""
    allowed = execution_arns(template)
    problems: Problems = []
    for logical_id, statement in policy_statements(template):
        if statement.get("Effect") != "Allow" or not grants_any(statement, actions):
            continue
        sid = statement.get("Sid", "?")
        if not allowed:
            problems.append(
                f"{logical_id}/{sid}: no durable function has a FunctionName"
            )
        for resource in as_list(statement.get("Resource", [])):
            text = sub_text(resource)
            if text not in allowed:
                problems.append(
                    f"{logical_id}/{sid}: {what} on {text or resource!r}; "
                    f"allowed: {', '.join(sorted(allowed)) or 'none'}"
                )
    return problems


def check_callback_scope(template: Template) -> Problems:
    """Callback permissions name ``function:NAME:*`` of a durable function only."""
    return _check_scope(template, CALLBACK_ACTIONS, "callback actions")


def check_read_scope(template: Template) -> Problems:
    """Execution reads name ``function:NAME:*`` of a durable function only."""
    return _check_scope(template, READ_ACTIONS, "execution reads")


def check_durable_grants(
    template: Template, grants: dict[str, tuple[str, ...]] = DURABLE_GRANTS
) -> Problems:
    """Each grantee holds each of its actions on every durable function."""
    resources = template.get("Resources", {})
    problems: Problems = [
        f"{logical_id}: durable, but no fixed FunctionName to scope grants to"
        for logical_id, resource in resources.items()
        if "DurableConfig" in resource.get("Properties", {})
        and not sub_text(resource["Properties"].get("FunctionName"))
    ]
    if not durable_function_names(template):
        problems.append("no durable function has a FunctionName")
    for grantee, actions in grants.items():
        owners = {grantee, f"{grantee}Role"}
        if not owners & set(resources):
            problems.append(f"{grantee}: not in the template")
            continue
        held = [
            (
                {a.lower() for a in _actions(s)},
                {sub_text(r) for r in as_list(s.get("Resource", []))},
            )
            for logical_id, s in policy_statements(template)
            if logical_id in owners and s.get("Effect") == "Allow"
        ]
        for name in sorted(durable_function_names(template)):
            arn = f"{FUNCTION_ARN}{name}:*"
            missing = [
                action
                for action in actions
                if not any(action.lower() in a and arn in r for a, r in held)
            ]
            if missing:
                problems.append(
                    f"{grantee}: may not {', '.join(missing)} on {name} "
                    f"(function:{name}:*)"
                )
    return problems
