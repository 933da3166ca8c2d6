"""IAM in template.yaml: no wildcard actions, narrow resources, scoped callbacks.

The checks live in scripts/iam_checks.py, which scripts/validate_template.py
also runs on the translated CloudFormation; here they run on template.yaml
and on counter-examples that must fail, so a check that passes everything
would be caught.
"""

from __future__ import annotations

import copy
import importlib.util
from types import ModuleType
from typing import Any

import pytest

from tests.utils.template import ROOT, Stack

STACK = Stack()
FUNCTION_ARN = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
WORKFLOW_NAME = "${AWS::StackName}-order-workflow"


def _load_checks() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "iam_checks", ROOT / "scripts" / "iam_checks.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


checks = _load_checks()


def with_statement(statement: dict[str, Any]) -> dict[str, Any]:
    """template.yaml with one more statement on StatusEventsFunction's role."""
    template = copy.deepcopy(STACK.template)
    props = template["Resources"]["StatusEventsFunction"]["Properties"]
    props["Policies"].append({"Statement": [statement]})
    return template


def callback_statement(resource: Any, action: Any = None) -> dict[str, Any]:
    """An Allow of the callback actions on ``resource``."""
    return {
        "Sid": "Decide",
        "Effect": "Allow",
        "Action": action
        or [
            "lambda:SendDurableExecutionCallbackSuccess",
            "lambda:SendDurableExecutionCallbackFailure",
        ],
        "Resource": resource,
    }


def test_the_template_allows_no_wildcard_action() -> None:
    assert checks.check_no_wildcard_actions(STACK.template) == []


def test_every_statement_is_seen_including_resource_policies() -> None:
    kinds = {
        STACK.resources[logical_id]["Type"]
        for logical_id, _ in checks.policy_statements(STACK.template)
    }

    assert {
        "AWS::Serverless::Function",
        "AWS::KMS::Key",
        "AWS::SQS::QueuePolicy",
    } <= kinds


@pytest.mark.parametrize(
    "action", ["*", "dynamodb:*", ["sns:Publish", "kms:*"], "Lambda:*"]
)
def test_a_wildcard_action_is_reported(action: Any) -> None:
    template = with_statement(
        {"Sid": "Wide", "Effect": "Allow", "Action": action, "Resource": "arn:x"}
    )

    (problem,) = checks.check_no_wildcard_actions(template)

    assert "StatusEventsFunction/Wide" in problem


def test_not_action_is_reported() -> None:
    template = with_statement(
        {"Sid": "Not", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    )

    assert checks.check_no_wildcard_actions(template) == [
        "StatusEventsFunction/Not: Allow with NotAction"
    ]


def test_the_template_scopes_callback_completion() -> None:
    assert checks.check_callback_scope(STACK.template) == []


def test_the_durable_function_has_the_fixed_name_callbacks_are_scoped_to() -> None:
    assert checks.durable_function_names(STACK.template) == {WORKFLOW_NAME}


def test_callbacks_on_function_name_star_of_the_orchestrator_pass() -> None:
    template = with_statement(
        callback_statement({"Fn::Sub": f"{FUNCTION_ARN}{WORKFLOW_NAME}:*"})
    )

    assert checks.check_callback_scope(template) == []


@pytest.mark.parametrize(
    "resource",
    [
        "*",
        {"Fn::Sub": f"{FUNCTION_ARN}*"},
        {"Fn::Sub": f"{FUNCTION_ARN}{WORKFLOW_NAME}"},
        {"Fn::Sub": f"{FUNCTION_ARN}{WORKFLOW_NAME}*"},
        {"Fn::Sub": f"{FUNCTION_ARN}${{AWS::StackName}}-start-order:*"},
        {"Fn::GetAtt": ["OrderWorkflowFunction", "Arn"]},
    ],
    ids=["star", "any-function", "unqualified", "name-prefix", "other", "getatt"],
)
def test_callbacks_on_anything_wider_or_other_are_reported(resource: Any) -> None:
    template = with_statement(callback_statement(resource))

    (problem,) = checks.check_callback_scope(template)

    assert "StatusEventsFunction/Decide: callback actions on" in problem


@pytest.mark.parametrize(
    "action", ["lambda:SendDurableExecutionCallback*", "lambda:Send*", "LAMBDA:*"]
)
def test_callback_actions_granted_by_a_pattern_are_checked_too(action: str) -> None:
    template = with_statement(callback_statement("*", action=action))

    assert len(checks.check_callback_scope(template)) == 1


def test_no_role_names_a_bare_star_resource_for_data_or_messaging() -> None:
    guarded = ("dynamodb:", "lambda:", "sns:", "sqs:", "kms:")
    for logical_id in STACK.functions():
        for statement in STACK.statements(logical_id):
            resources = statement["Resource"]
            resources = resources if isinstance(resources, list) else [resources]
            actions = statement["Action"]
            actions = actions if isinstance(actions, list) else [actions]
            if any(a.startswith(guarded) for a in actions):
                assert "*" not in resources, (logical_id, statement.get("Sid"))


# SAM policy templates that grant more than a handler here calls: Scan,
# BatchWrite, DeleteItem, DescribeTable and the like, on every index.
BROAD_TEMPLATES = {
    "DynamoDBCrudPolicy",
    "DynamoDBWritePolicy",
    "DynamoDBReadPolicy",
    "SESCrudPolicy",
    "S3CrudPolicy",
    "SQSPollerPolicy",
}


def test_no_function_uses_a_broad_sam_policy_template() -> None:
    for logical_id, props in STACK.functions().items():
        named = {
            name
            for policy in props.get("Policies", [])
            if isinstance(policy, dict)
            for name in policy
        }
        assert not named & BROAD_TEMPLATES, f"{logical_id}: {named & BROAD_TEMPLATES}"
