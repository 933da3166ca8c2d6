"""AWS calls as the IAM requests they are, and a role held to exactly those.

``iam_requests`` turns one botocore call into what IAM authorises: the action,
the resource and the condition keys the template's policies use (the partition
keys a DynamoDB call reaches as ``dynamodb:LeadingKeys``: an item's ``pk``, or
the value a Query names for the table's or the index's partition key).
``implied`` adds the KMS requests AWS makes for a function. ``assert_exact``
checks both ways: every request allowed (by IAM, and for KMS by the key
policy too), and every grant used (each action, resource and condition value
of a role's statements, and each key-policy statement that names the role).
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Iterator, Mapping
from typing import Any

from orderflow.adapters.dynamodb_store import table_definition
from tests.utils.iam import (
    Principal,
    Request,
    as_list,
    covers,
    identity_allows,
    key_allows,
    names,
)
from tests.utils.template import ACCOUNT, REGION, Stack

Raw = tuple[str, str, dict[str, Any]]  # (service, operation, parameters)
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
VIA_LAMBDA = f"lambda.{REGION}.amazonaws.com"
VIA_SNS = f"sns.{REGION}.amazonaws.com"
TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
_DEFINITION = table_definition("any")
_HASH = {
    index: next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")
    for index, schema in [
        (None, _DEFINITION["KeySchema"]),
        *(
            (i["IndexName"], i["KeySchema"])
            for i in _DEFINITION["GlobalSecondaryIndexes"]
        ),
    ]
}


def table_arn(table: str, index: str | None = None) -> str:
    """A table's (or one of its indexes') ARN."""
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"
    return f"{arn}/index/{index}" if index else arn


def leading_key(body: Mapping[str, Any]) -> str:
    """The partition key value one item request or Query reaches."""
    for element in ("Key", "Item"):
        if element in body:
            return str(body[element][_HASH[None]]["S"])
    attribute = _HASH[body.get("IndexName")]
    found = re.search(rf"\b{attribute} = (:\w+)", body["KeyConditionExpression"])
    assert found, f"a Query without {attribute} = :value"
    return str(body["ExpressionAttributeValues"][found.group(1)]["S"])


def dynamodb_request(action: str, body: Mapping[str, Any]) -> Request:
    """One DynamoDB item or query request, with its leading key."""
    resource = table_arn(body["TableName"], body.get("IndexName"))
    context = {"dynamodb:LeadingKeys": leading_key(body)}
    return Request.of(f"dynamodb:{action}", resource, context)


def iam_requests(
    service: str,
    operation: str,
    params: dict[str, Any],
    callback_owners: Mapping[str, str],
    default_owner: str,
) -> list[Request]:
    """The IAM requests one API call is authorised as."""
    if service == "dynamodb" and operation == "TransactWriteItems":
        return [
            dynamodb_request(TRANSACT_ACTIONS[kind], body)
            for item in params["TransactItems"]
            for kind, body in item.items()
        ]
    if service == "dynamodb":
        return [dynamodb_request(operation, params)]
    if service == "lambda" and operation == "Invoke":
        return [Request.of("lambda:InvokeFunction", params["FunctionName"])]
    if service == "lambda" and "Callback" in operation:
        # A callback id is opaque; IAM checks the function of its execution.
        owner = callback_owners.get(params["CallbackId"], default_owner)
        return [Request.of(f"lambda:{operation}", owner)]
    if service == "lambda":
        return [Request.of(f"lambda:{operation}", params["DurableExecutionArn"])]
    if service == "sns":
        return [Request.of(f"sns:{operation}", params["TopicArn"])]
    raise AssertionError(f"unexpected call {service}:{operation}")


def unqualified(function_arn: str) -> str:
    """``arn:…:function:NAME`` of a qualified or unqualified function ARN."""
    return ":".join(function_arn.split(":")[:7])


def durable_key(stack: Stack, function_arn: str) -> str | None:
    """The DurableConfig key of the function named by ``function_arn``."""
    name = unqualified(function_arn).rsplit(":", 1)[1]
    for logical_id, props in stack.functions().items():
        if stack.physical_name(logical_id) == name:
            key = props.get("DurableConfig", {}).get("KMSKeyArn")
            return None if key is None else str(stack.resolve(key))
    return None


def implied(stack: Stack, logical_id: str, requests: list[Request]) -> list[Request]:
    """The KMS requests AWS makes for the function.

    SNS encrypts a Publish to the alerts topic with its key, as the publisher;
    Lambda decrypts an environment under the function's own key; a durable
    function's role decrypts its own state (checkpoints and replays), and the
    caller of a callback API decrypts with the key of the callback's function
    (Lambda's durable encryption guide).
    """
    topic, made = stack.ref("AlertsTopic"), []
    via_sns = {"kms:ViaService": VIA_SNS}
    props = stack.functions()[logical_id]
    if any(r.action == "sns:Publish" and r.resource == topic for r in requests):
        key = stack.get_att("AlertsKey", "Arn")
        made += [
            Request.of(a, key, via_sns) for a in ("kms:GenerateDataKey", "kms:Decrypt")
        ]
    if "KmsKeyArn" in props:
        made.append(Request.of("kms:Decrypt", str(stack.resolve(props["KmsKeyArn"]))))
    own = (
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{stack.physical_name(logical_id)}"
    )
    callbacks = [r.resource for r in requests if "Callback" in r.action]
    for function_arn in ([own] if "DurableConfig" in props else []) + callbacks:
        if (key := durable_key(stack, function_arn)) is not None:
            context = {
                "kms:ViaService": VIA_LAMBDA,
                "kms:EncryptionContext:aws:lambda:FunctionArn": unqualified(
                    function_arn
                ),
            }
            made.append(Request.of("kms:Decrypt", key, context))
    return made


def key_policies(stack: Stack) -> dict[str, dict[str, Any]]:
    """Each KMS key's resolved policy, by the key's ARN."""
    return {
        stack.get_att(logical_id, "Arn"): stack.resolve(r["Properties"]["KeyPolicy"])
        for logical_id, r in stack.resources.items()
        if r["Type"] == "AWS::KMS::Key"
    }


def role(stack: Stack, logical_id: str) -> Principal:
    """The function's role as a KMS principal, with its identity policy."""
    statements = tuple(stack.statements(logical_id))
    return Principal(arn=stack.role_arn(logical_id), identity=statements)


def variants(statement: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The statement once for each action, resource and condition value.

    A clause listing several values (any of them, or each request value one of
    them) becomes one statement per value, so each value must be used.
    """
    condition = statement.get("Condition") or {}
    lists = [
        (operator, key, as_list(values))
        for operator, clauses in condition.items()
        if operator != "Null"
        for key, values in clauses.items()
    ]
    for action, resource in itertools.product(
        as_list(statement["Action"]), as_list(statement["Resource"])
    ):
        for chosen in itertools.product(*(values for _, _, values in lists)):
            narrowed = copy.deepcopy(dict(condition))
            for (operator, key, _), value in zip(lists, chosen, strict=True):
                narrowed[operator][key] = [value]
            yield {**statement, "Action": action, "Resource": resource} | (
                {"Condition": narrowed} if condition else {}
            )


def allowed(stack: Stack, logical_id: str, request: Request) -> bool:
    """AWS would allow the function's role this request."""
    principal = role(stack, logical_id)
    if request.action.startswith("kms:"):
        policy = key_policies(stack)[request.resource]
        return key_allows(policy, principal, request, account_root=ROOT)
    return identity_allows(principal.identity, request)


def requests_of(
    raw: list[Raw], callback_owners: Mapping[str, str], default_owner: str
) -> list[Request]:
    """The recorded calls as IAM requests."""
    return [
        r
        for service, op, params in raw
        for r in iam_requests(service, op, params, callback_owners, default_owner)
    ]


def assert_exact(stack: Stack, logical_id: str, requests: list[Request]) -> None:
    """Every request allowed; every grant, to the last condition value, used."""
    used = list(dict.fromkeys(requests + implied(stack, logical_id, requests)))
    denied = [r for r in used if not allowed(stack, logical_id, r)]
    assert not denied, f"{logical_id} would be denied {denied}"
    for statement in stack.statements(logical_id):
        for narrow in variants(statement):
            assert any(covers(narrow, r) for r in used), (
                f"{logical_id} is granted {statement.get('Sid')}: {narrow}, never used"
            )
    arn = stack.role_arn(logical_id)
    for key, policy in key_policies(stack).items():
        for statement in policy["Statement"]:
            if arn not in names(statement, "AWS"):
                continue
            for narrow in variants(statement):
                assert any(
                    r.resource == key
                    and covers(narrow, Request(r.action, "*", r.context))
                    for r in used
                ), f"{logical_id} is named in {statement.get('Sid')}: {narrow}, unused"
