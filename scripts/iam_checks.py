"""IAM checks on a template as plain data: SAM's template.yaml or translated JSON.

Imported by validate_template.py (on the translated CloudFormation) and by
tests/unit/test_template_iam.py (on template.yaml and on counter-examples that
must fail). Standard library only: it runs in both virtual environments.

- No statement allows ``*`` or ``service:*`` as an action (roles, SAM
  functions' inline policies, and resource policies: KMS, SQS, SNS).
- Completing a durable callback (``lambda:SendDurableExecutionCallback*``) is
  allowed only on ``arn:${AWS::Partition}:lambda:${AWS::Region}:
  ${AWS::AccountId}:function:NAME:*`` for a durable function's fixed NAME.
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
FUNCTION_ARN = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
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


def grants_callbacks(statement: dict[str, Any]) -> bool:
    """True if the statement allows completing or heartbeating a callback."""
    patterns = [a.lower() for a in _actions(statement)]
    return any(
        fnmatch.fnmatchcase(action.lower(), pattern)
        for action in CALLBACK_ACTIONS
        for pattern in patterns
    )


def check_callback_scope(template: Template) -> Problems:
    """Callback permissions name ``function:NAME:*`` of a durable function only."""
    allowed = {f"{FUNCTION_ARN}{name}:*" for name in durable_function_names(template)}
    problems: Problems = []
    for logical_id, statement in policy_statements(template):
        if statement.get("Effect") != "Allow" or not grants_callbacks(statement):
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
                    f"{logical_id}/{sid}: callback actions on {text or resource!r}; "
                    f"allowed: {', '.join(sorted(allowed)) or 'none'}"
                )
    return problems
