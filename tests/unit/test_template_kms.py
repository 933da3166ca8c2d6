"""Each KMS key serves one purpose, and its policy names only who needs it.

The keys' policies from template.yaml, resolved as one stack would, decided by
tests/utils/iam.py the way KMS decides (the key policy alone, or the account
named in it and the principal's IAM policy): who may decrypt durable state,
the approval page's secret, the alerts topic and the log groups, and who not.
"""

from __future__ import annotations

import pytest

from tests.utils.durable_guards import durable_functions
from tests.utils.iam import (
    Principal,
    Request,
    as_list,
    identity_allows,
    key_allows,
    names,
)
from tests.utils.least_privilege import ROOT, VIA_LAMBDA, VIA_SNS, role
from tests.utils.template import ACCOUNT, REGION, STACK, Stack

S = Stack()
KEYS = {
    logical_id: S.resolve(r["Properties"]["KeyPolicy"])
    for logical_id, r in S.resources.items()
    if r["Type"] == "AWS::KMS::Key"
}
DURABLE = sorted(durable_functions(S.template))
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"
CRYPTO = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom")
USES = (
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:Generate",
    "kms:ReEncrypt",
    "kms:CreateGrant",
)
# Whoever IAM allows everything: what the key policy alone lets through.
ANYONE = Principal(
    arn=f"arn:aws:iam::{ACCOUNT}:role/admin",
    identity=({"Effect": "Allow", "Action": "kms:*", "Resource": "*"},),
)


def function_arn(logical_id: str, stack: Stack = S) -> str:
    return f"{FUNCTION}{stack.physical_name(logical_id)}"


def through_lambda(logical_id: str, stack: Stack = S) -> dict[str, str]:
    """The context of Lambda's KMS calls for one function's durable state."""
    return {
        "kms:ViaService": VIA_LAMBDA,
        "kms:EncryptionContext:aws:lambda:FunctionArn": function_arn(logical_id, stack),
    }


def allows(
    key: str, principal: Principal, action: str, context: dict[str, str]
) -> bool:
    request = Request.of(action, S.get_att(key, "Arn"), context)
    return key_allows(KEYS[key], principal, request, account_root=ROOT)


def principals(key: str) -> set[str]:
    """Every principal a key's policy names (ARNs and services)."""
    return {
        p
        for statement in KEYS[key]["Statement"]
        for kind in ("AWS", "Service")
        for p in names(statement, kind)
    }


def test_each_purpose_has_its_own_key_naming_only_who_needs_it() -> None:
    roles = {f: S.role_arn(f) for f in S.functions()}
    durable_roles = {roles[f] for f in DURABLE}

    assert principals("MonitoringKey") == {ROOT, f"logs.{REGION}.amazonaws.com"}
    assert principals("AlertsKey") == {ROOT, "cloudwatch.amazonaws.com"}
    assert principals("ApprovalSecretKey") == {ROOT, roles["ApprovalApiFunction"]}
    assert principals("DurableStateKey") == {
        ROOT,
        "lambda.amazonaws.com",
        *durable_roles,
        roles["ApprovalApiFunction"],
        roles["StatusEventsFunction"],
    }


def test_what_uses_each_key() -> None:
    props = S.functions()
    logs = [r for r in S.resources.values() if r["Type"] == "AWS::Logs::LogGroup"]
    secret = S.resources["ApprovalCsrfSecret"]["Properties"]

    assert S.resources["AlertsTopic"]["Properties"]["KmsMasterKeyId"] == {
        "Ref": "AlertsKey"
    }
    assert logs and all(
        S.resolve(g["Properties"]["KmsKeyId"]) == S.get_att("MonitoringKey", "Arn")
        for g in logs
    )
    assert secret["KmsKeyId"] == {"Ref": "ApprovalSecretKey"}
    assert S.resolve(props["ApprovalApiFunction"]["KmsKeyArn"]) == S.get_att(
        "ApprovalSecretKey", "Arn"
    )
    for logical_id in DURABLE:
        key = props[logical_id]["DurableConfig"]["KMSKeyArn"]
        assert S.resolve(key) == S.get_att("DurableStateKey", "Arn"), logical_id


@pytest.mark.parametrize("key", sorted(KEYS))
def test_the_account_uses_no_key_directly(key: str) -> None:
    """Root administers; any cryptography it delegates to IAM is through a service."""
    for statement in KEYS[key]["Statement"]:
        if ROOT not in names(statement, "AWS"):
            continue
        actions = as_list(statement["Action"])
        if any(a.startswith(USES) for a in actions):
            assert "kms:ViaService" in statement["Condition"]["StringEquals"], (
                key,
                statement["Sid"],
            )
    for action in CRYPTO:
        assert not allows(key, ANYONE, action, {}), (key, action)


def test_the_approval_page_cannot_decrypt_durable_state() -> None:
    page = role(S, "ApprovalApiFunction")
    workflow = through_lambda("OrderWorkflowFunction")
    reads = (
        "lambda:GetDurableExecution",
        "lambda:GetDurableExecutionHistory",
        "lambda:GetDurableExecutionState",
        "lambda:ListDurableExecutionsByFunction",
    )

    # Not with KMS itself, not for another function, never generating data keys.
    assert not allows("DurableStateKey", page, "kms:Decrypt", {})
    assert not allows(
        "DurableStateKey", page, "kms:Decrypt", through_lambda("StartOrderFunction")
    )
    assert not allows("DurableStateKey", page, "kms:GenerateDataKey", workflow)
    # Through Lambda it is named for one thing: completing a callback decrypts
    # with the caller's credentials. It may call no API that returns state.
    assert allows("DurableStateKey", page, "kms:Decrypt", workflow)
    for logical_id in DURABLE:
        for action in reads:
            execution = f"{function_arn(logical_id)}:1/durable-execution/o/x"
            request = Request.of(action, execution)
            assert not identity_allows(page.identity, request), (logical_id, action)


@pytest.mark.parametrize("key", ["MonitoringKey", "AlertsKey"])
def test_the_approval_page_cannot_use_the_logs_or_alerts_key(key: str) -> None:
    page = role(S, "ApprovalApiFunction")

    for context in ({}, {"kms:ViaService": VIA_SNS}, {"kms:ViaService": VIA_LAMBDA}):
        assert not allows(key, page, "kms:Decrypt", context), context


def test_only_the_approval_page_decrypts_its_secret() -> None:
    for logical_id in S.functions():
        may = allows("ApprovalSecretKey", role(S, logical_id), "kms:Decrypt", {})
        assert may == (logical_id == "ApprovalApiFunction"), logical_id
    # The deployer, through Secrets Manager, for this stack's secret only.
    secret = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{STACK}/approval-csrf"
    via = {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}
    for arn, expected in (
        (f"{secret}-AbC123", True),
        (f"{secret}-other-AbC123", False),
        (secret.replace(f"{STACK}/", f"{STACK}-other/") + "-AbC123", False),
    ):
        context = via | {"kms:EncryptionContext:SecretARN": arn}
        assert allows("ApprovalSecretKey", ANYONE, "kms:Decrypt", context) == expected


def test_each_workflow_reads_only_its_own_state() -> None:
    for logical_id in DURABLE:
        for other in DURABLE:
            context = through_lambda(other)
            may = allows("DurableStateKey", role(S, logical_id), "kms:Decrypt", context)
            assert may == (logical_id == other), (logical_id, other)


def test_lambda_keeps_durable_state_for_this_stacks_durable_functions_only() -> None:
    service = Principal(service="lambda.amazonaws.com")
    sibling_arn = function_arn("OrderWorkflowFunction").replace(
        f":function:{STACK}-", f":function:{STACK}-other-"
    )

    for logical_id in DURABLE:
        context = through_lambda(logical_id) | {
            "aws:SourceAccount": ACCOUNT,
            "aws:SourceArn": function_arn(logical_id),
        }
        assert allows("DurableStateKey", service, "kms:GenerateDataKey", context)
    for arn in (function_arn("StartOrderFunction"), sibling_arn):
        context = {
            "aws:SourceAccount": ACCOUNT,
            "aws:SourceArn": arn,
            "kms:EncryptionContext:aws:lambda:FunctionArn": arn,
        }
        assert not allows("DurableStateKey", service, "kms:GenerateDataKey", context)


def log_group_arns(stack_name: str) -> list[str]:
    """The ARN of every LogGroup the template declares, in a stack of that name."""
    return [
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:"
        + str(S.resolve(r["Properties"]["LogGroupName"])).replace(
            f"{STACK}-", f"{stack_name}-", 1
        )
        for r in S.resources.values()
        if r["Type"] == "AWS::Logs::LogGroup"
    ]


def test_the_logs_key_serves_exactly_this_stacks_log_groups() -> None:
    logs = Principal(service=f"logs.{REGION}.amazonaws.com")
    ours = log_group_arns(STACK)

    assert len(ours) == 9
    for arn in ours:
        context = {"kms:EncryptionContext:aws:logs:arn": arn}
        assert allows("MonitoringKey", logs, "kms:GenerateDataKey", context), arn
    # A stack whose name starts with this one's: its log groups are not ours.
    for arn in log_group_arns(f"{STACK}-other"):
        context = {"kms:EncryptionContext:aws:logs:arn": arn}
        assert not allows("MonitoringKey", logs, "kms:GenerateDataKey", context), arn
    assert not allows("MonitoringKey", logs, "kms:GenerateDataKey", {})
