"""template.yaml's approval function: public but throttled, and least privilege.

scripts/validate_template.py translates and lints the template; these check the
intent: which routes are public, how they are throttled, what the function
may do, and where the links and the CSRF key come from.
"""

from __future__ import annotations

from typing import Any

from orderflow.registry import PROCESSES
from tests.unit.test_template import FUNCTIONS, RESOURCES, TEMPLATE
from tests.utils.durable_guards import durable_functions
from tests.utils.template import Stack

APPROVAL = FUNCTIONS["ApprovalApiFunction"]
FUNCTION_ARN = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
ROUTES = {
    ("GET", "/approvals/{token}"),
    ("HEAD", "/approvals/{token}"),
    ("OPTIONS", "/approvals/{token}"),
    ("POST", "/approvals/{token}"),
    ("GET", "/approvals/static/approval.css"),
}


def _statements(props: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for p in props["Policies"] if "Statement" in p for s in p["Statement"]]


def test_the_approval_routes_are_public_and_throttled() -> None:
    events = [e["Properties"] for e in APPROVAL["Events"].values()]

    assert {(e["Method"], e["Path"]) for e in events} == ROUTES
    for event in events:
        assert event["ApiId"] == {"Ref": "OrdersApi"}
        # NONE overrides the IAM or JWT default; with ApiAuth=NONE there is no
        # default (tests/unit/test_api_template.py reads the translation).
        assert event["Auth"] == {
            "Fn::If": [
                "HasDefaultAuthorizer",
                {"Authorizer": "NONE"},
                {"Ref": "AWS::NoValue"},
            ]
        }
        limits = event["RouteSettings"]
        default = RESOURCES["OrdersApi"]["Properties"]["DefaultRouteSettings"]
        assert 0 < limits["ThrottlingRateLimit"] < default["ThrottlingRateLimit"]
        assert 0 < limits["ThrottlingBurstLimit"] < default["ThrottlingBurstLimit"]


def test_the_approval_function_may_complete_each_workflows_callbacks_only() -> None:
    lambda_statements = [
        s
        for s in _statements(APPROVAL)
        if any(str(a).startswith("lambda:") for a in _actions(s))
    ]
    durable = durable_functions(TEMPLATE)

    (statement,) = lambda_statements
    assert sorted(_actions(statement)) == [
        "lambda:SendDurableExecutionCallbackFailure",
        "lambda:SendDurableExecutionCallbackSuccess",
    ]
    resources = [r["Fn::Sub"] for r in statement["Resource"]]
    assert sorted(resources) == sorted(
        f"{FUNCTION_ARN}{props['FunctionName']['Fn::Sub']}:*"
        for props in durable.values()
    )
    assert set(durable) == {p.function for p in PROCESSES}


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def test_the_csrf_key_is_a_generated_secret_resolved_at_deploy_time() -> None:
    secret = RESOURCES["ApprovalCsrfSecret"]
    variable = APPROVAL["Environment"]["Variables"]["ORDERFLOW_CSRF_SECRET"]

    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
    assert variable == {
        "Fn::Sub": "{{resolve:secretsmanager:${ApprovalCsrfSecret}:SecretString}}"
    }


def test_the_workflow_builds_links_on_the_api_and_mails_from_one_sender() -> None:
    workflow = FUNCTIONS["OrderWorkflowFunction"]
    variables = workflow["Environment"]["Variables"]

    assert variables["ORDERFLOW_MAIL_FROM"] == {"Ref": "ApprovalMailFrom"}
    condition, custom, default = variables["ORDERFLOW_PUBLIC_URL"]["Fn::If"]
    assert (condition, custom) == ("HasPublicUrl", {"Ref": "PublicUrl"})
    assert "${OrdersApi}.execute-api" in default["Fn::Sub"]
    assert TEMPLATE["Parameters"]["ApprovalMailFrom"]["Default"] == ""


def _ses(stack: Stack) -> list[dict[str, Any]]:
    return [
        s
        for s in stack.statements("OrderWorkflowFunction")
        if "ses:SendEmail" in _actions(s)
    ]


def test_the_workflow_may_mail_only_with_a_sender_and_only_from_it() -> None:
    sender = "orders@example.com"

    assert _ses(Stack()) == []  # no sender: the links wait in the outbox
    (ses,) = _ses(Stack(parameters={"ApprovalMailFrom": sender}))
    assert ses["Condition"] == {"StringEquals": {"ses:FromAddress": sender}}
