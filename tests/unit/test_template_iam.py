"""IAM in template.yaml: no wildcard actions, narrow resources, scoped callbacks.

Callback completion and execution reads are checked for every durable function
the template declares (DurableConfig), which are orderflow/registry.py's.

The checks live in scripts/iam_checks.py, which scripts/validate_template.py
also runs on the translated CloudFormation; here they run on template.yaml
and on counter-examples that must fail, so a check that passes everything
would be caught.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from orderflow.registry import PROCESSES
from tests.utils.durable_guards import durable_functions
from tests.utils.template import Stack, load_script

STACK = Stack()
FUNCTION_ARN = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
# logical id -> the fixed FunctionName's Sub text, for every durable function
DURABLE = {
    logical_id: props["FunctionName"]["Fn::Sub"]
    for logical_id, props in sorted(durable_functions(STACK.template).items())
}
READS = ["lambda:GetDurableExecutionHistory"]

checks = load_script("iam_checks")


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


def test_the_durable_functions_have_the_fixed_names_of_the_registry() -> None:
    assert checks.durable_function_names(STACK.template) == {
        f"${{AWS::StackName}}-{p.function_name}" for p in PROCESSES
    }
    assert set(DURABLE.values()) == checks.durable_function_names(STACK.template)


@pytest.mark.parametrize("name", DURABLE.values(), ids=list(DURABLE))
@pytest.mark.parametrize("action", [None, READS], ids=["callbacks", "reads"])
def test_function_name_star_of_each_durable_function_passes(
    name: str, action: Any
) -> None:
    template = with_statement(
        callback_statement({"Fn::Sub": f"{FUNCTION_ARN}{name}:*"}, action=action)
    )

    assert checks.check_callback_scope(template) == []
    assert checks.check_read_scope(template) == []


def _wider_or_other(logical_id: str, name: str) -> list[Any]:
    return [
        "*",
        {"Fn::Sub": f"{FUNCTION_ARN}*"},
        {"Fn::Sub": f"{FUNCTION_ARN}{name}"},
        {"Fn::Sub": f"{FUNCTION_ARN}{name}*"},
        {"Fn::Sub": f"{FUNCTION_ARN}${{AWS::StackName}}-start-order:*"},
        {"Fn::GetAtt": [logical_id, "Arn"]},
    ]


WIDER = [
    (logical_id, resource)
    for logical_id, name in DURABLE.items()
    for resource in _wider_or_other(logical_id, name)
]
WIDER_IDS = [
    f"{logical_id}-{kind}"
    for logical_id in DURABLE
    for kind in (
        "star",
        "any-function",
        "unqualified",
        "name-prefix",
        "other",
        "getatt",
    )
]


@pytest.mark.parametrize(("logical_id", "resource"), WIDER, ids=WIDER_IDS)
def test_callbacks_on_anything_wider_or_other_are_reported(
    logical_id: str, resource: Any
) -> None:
    template = with_statement(callback_statement(resource))

    (problem,) = checks.check_callback_scope(template)

    assert "StatusEventsFunction/Decide: callback actions on" in problem


@pytest.mark.parametrize(("logical_id", "resource"), WIDER, ids=WIDER_IDS)
def test_execution_reads_on_anything_wider_or_other_are_reported(
    logical_id: str, resource: Any
) -> None:
    template = with_statement(callback_statement(resource, action=READS))

    (problem,) = checks.check_read_scope(template)

    assert "StatusEventsFunction/Decide: execution reads on" in problem


def test_the_template_scopes_execution_reads() -> None:
    assert checks.check_read_scope(STACK.template) == []


def test_the_approval_page_and_the_monitor_may_act_on_each_durable_function() -> None:
    assert checks.check_durable_grants(STACK.template) == []


@pytest.mark.parametrize("grantee", sorted(checks.DURABLE_GRANTS))
@pytest.mark.parametrize("name", DURABLE.values(), ids=list(DURABLE))
def test_a_grantee_missing_a_durable_functions_arn_is_reported(
    grantee: str, name: str
) -> None:
    template = copy.deepcopy(STACK.template)
    arn = {"Fn::Sub": f"{FUNCTION_ARN}{name}:*"}
    props = template["Resources"][grantee]["Properties"]
    for policy in props["Policies"]:
        for statement in policy.get("Statement", []):
            resources = checks.as_list(statement["Resource"])
            statement["Resource"] = [r for r in resources if r != arn]
    actions = ", ".join(checks.DURABLE_GRANTS[grantee])

    assert checks.check_durable_grants(template) == [
        f"{grantee}: may not {actions} on {name} (function:{name}:*)"
    ]


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
