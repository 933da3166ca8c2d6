"""The HTTP API as SAM translates template.yaml: who may call each route, and
how each route is throttled.

What matters is what API Gateway is given, so these read the translation
(tests/utils/template.py ``translated``): the API's OpenAPI body, in which each
operation names the security scheme API Gateway makes its route's
authorization of, and the stage's route settings.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from orderflow.local.template import RouteSpec
from tests.utils.orders import load_event
from tests.utils.template import Stack, translated
from tests.workflow.returns.conftest import RecordingStarter

ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool"
AUDIENCES = ["orders-app", "returns-app"]
JWT = {"ApiAuth": "JWT", "JwtIssuer": ISSUER, "JwtAudience": ",".join(AUDIENCES)}
# Customer data behind an id: the routes no anonymous caller may reach.
PROTECTED = {
    "POST /orders",
    "GET /orders/{order_id}",
    "POST /returns",
    "GET /returns/{return_id}",
    "GET /health",
}
AUTHORIZER = "x-amazon-apigateway-authorizer"
APPROVAL_ROUTES = {
    "GET /approvals/{token}",
    "HEAD /approvals/{token}",
    "OPTIONS /approvals/{token}",
    "POST /approvals/{token}",
    "GET /approvals/static/approval.css",
}


def _api(cfn: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    """The translated OrdersApi's OpenAPI body, its schemes' Refs resolved."""
    body: dict[str, Any] = cfn["Resources"]["OrdersApi"]["Properties"]["Body"]
    stack = Stack(template=cfn, parameters=parameters)
    body["components"] = stack.resolve(body.get("components", {}))
    return body


def route_authorization(parameters: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Route key -> the authorization API Gateway gives the route, as it reads
    the imported body: AuthorizationType, and a JWT authorizer's configuration."""
    body = _api(translated(parameters), parameters)
    schemes = body["components"].get("securitySchemes", {})
    routes = {}
    for path, operations in body["paths"].items():
        for method, operation in operations.items():
            names = [name for entry in operation.get("security", []) for name in entry]
            assert len(names) <= 1, f"{method} {path}: {names}"
            scheme = schemes.get(names[0], {}) if names else {}
            authorizer = scheme.get(AUTHORIZER, {})
            if scheme.get("x-amazon-apigateway-authtype") == "awsSigv4":
                kind = "AWS_IAM"
            elif authorizer.get("type") == "jwt":
                kind = "JWT"
            else:
                kind = "NONE"
            routes[f"{method.upper()} {path}"] = {
                "AuthorizationType": kind,
                "JwtConfiguration": authorizer.get("jwtConfiguration"),
                "IdentitySource": authorizer.get("identitySource"),
            }
    return routes


def test_every_route_of_the_template_is_in_the_translation() -> None:
    routes = route_authorization({"ApiAuth": "IAM"})

    assert set(routes) == PROTECTED | APPROVAL_ROUTES


def test_with_jwt_the_order_and_return_routes_take_a_token_of_the_issuer() -> None:
    routes = route_authorization(JWT)

    for key in PROTECTED:
        assert routes[key] == {
            "AuthorizationType": "JWT",
            "JwtConfiguration": {"issuer": ISSUER, "audience": AUDIENCES},
            "IdentitySource": "$request.header.Authorization",
        }, key


@pytest.mark.parametrize("api_auth", ["IAM", "JWT", "NONE"])
def test_the_approval_routes_stay_public_whatever_the_api_auth(api_auth: str) -> None:
    parameters = JWT if api_auth == "JWT" else {"ApiAuth": api_auth}
    routes = route_authorization(parameters)

    for key in APPROVAL_ROUTES:
        assert routes[key]["AuthorizationType"] == "NONE", (api_auth, key)


def test_with_iam_the_order_and_return_routes_need_sigv4() -> None:
    routes = route_authorization({"ApiAuth": "IAM"})

    assert {routes[k]["AuthorizationType"] for k in PROTECTED} == {"AWS_IAM"}


def test_no_jwt_authorizer_is_deployed_unless_asked_for() -> None:
    for api_auth in ("IAM", "NONE"):
        body = _api(translated({"ApiAuth": api_auth}), {"ApiAuth": api_auth})
        schemes = body["components"].get("securitySchemes", {})
        authorizers = [s for s in schemes.values() if AUTHORIZER in s]
        assert not authorizers, api_auth


def test_jwt_without_an_issuer_or_an_audience_is_refused_at_deploy_time() -> None:
    stack = Stack()
    (rule,) = stack.template["Rules"].values()

    def holds(assertion: dict[str, Any], parameters: dict[str, str]) -> bool:
        return _rule_truth(Stack(parameters=parameters), assertion["Assert"])

    assert Stack(parameters=JWT).resolve(rule["RuleCondition"]["Fn::Equals"]) == [
        "JWT",
        "JWT",
    ]
    assert all(holds(a, JWT) for a in rule["Assertions"])
    for missing in ({"JwtIssuer": ""}, {"JwtAudience": ""}, {"JwtAudience": "a,,b"}):
        assert not all(holds(a, JWT | missing) for a in rule["Assertions"]), missing


def _rule_truth(stack: Stack, node: dict[str, Any]) -> bool:
    """A rule assertion's value: Fn::Not, Fn::Equals and Fn::Contains."""
    ((function, args),) = node.items()
    if function == "Fn::Not":
        return not _rule_truth(stack, args[0])
    left, right = (stack.resolve(a) for a in args)
    if function == "Fn::Equals":
        return bool(left == right)
    assert function == "Fn::Contains", function
    return right in left


def test_with_none_the_parameter_says_customer_data_is_exposed() -> None:
    spec = Stack().template["Parameters"]["ApiAuth"]
    description = " ".join(spec["Description"].split())

    assert spec["AllowedValues"] == ["IAM", "JWT", "NONE"]
    assert "NONE" in description
    assert "GET /orders/{order_id}" in description
    for data in ("name", "email", "address"):
        assert data in description, data


# -- throttling -------------------------------------------------------------


def _stage(parameters: dict[str, str]) -> dict[str, Any]:
    cfn = translated(parameters)
    (stage,) = [
        r["Properties"]
        for r in cfn["Resources"].values()
        if r["Type"] == "AWS::ApiGatewayV2::Stage"
    ]
    return stage


def test_each_approval_route_has_a_bucket_of_its_own() -> None:
    stage = _stage({"ApiAuth": "IAM"})
    settings = stage["RouteSettings"]

    # Route-level settings are keyed by route key: one token bucket each.
    assert set(settings) == APPROVAL_ROUTES
    for key, limits in settings.items():
        assert limits["ThrottlingRateLimit"] > 0, key
        assert limits["ThrottlingBurstLimit"] >= limits["ThrottlingRateLimit"], key


def test_a_flood_of_what_no_approver_needs_is_cut_before_the_page_and_decision() -> (
    None
):
    settings = _stage({"ApiAuth": "IAM"})["RouteSettings"]
    page = settings["GET /approvals/{token}"]
    decision = settings["POST /approvals/{token}"]

    for probe in ("HEAD /approvals/{token}", "OPTIONS /approvals/{token}"):
        for limit in ("ThrottlingRateLimit", "ThrottlingBurstLimit"):
            assert settings[probe][limit] < min(page[limit], decision[limit]), probe
    # The stylesheet is loaded with every page view: as often as the page.
    assert settings["GET /approvals/static/approval.css"] == page


def test_the_approval_routes_stay_below_the_apis_default_limits() -> None:
    stage = _stage({"ApiAuth": "IAM"})
    default = stage["DefaultRouteSettings"]

    for key, limits in stage["RouteSettings"].items():
        for limit in ("ThrottlingRateLimit", "ThrottlingBurstLimit"):
            assert limits[limit] < default[limit], key


# -- PublicUrl -------------------------------------------------------------


def test_the_public_url_description_says_empty_is_the_apis_own_domain() -> None:
    description = " ".join(
        Stack().template["Parameters"]["PublicUrl"]["Description"].split()
    )

    assert "relative" not in description
    assert "execute-api" in description


def _api_url(stack: Stack) -> str:
    return str(stack.resolve(stack.template["Outputs"]["ApiUrl"]["Value"]))


def test_with_no_public_url_links_and_status_urls_are_on_the_apis_domain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = Stack(parameters={"PublicUrl": ""})
    readers = {
        k: stack.environment(k)["ORDERFLOW_PUBLIC_URL"]
        for k, props in stack.functions().items()
        if "ORDERFLOW_PUBLIC_URL" in props.get("Environment", {}).get("Variables", {})
    }
    # The workflows build links at deploy time on the API's URL; the front
    # doors and the page are given nothing and use the request's own domain.
    assert {readers[k] for k in readers if "Workflow" in k} == {_api_url(stack)}
    given_nothing = {k for k, url in readers.items() if url == ""}
    assert given_nothing == {
        "StartOrderFunction",
        "StartReturnFunction",
        "ApprovalApiFunction",
    }

    env = stack.environment("StartOrderFunction")
    monkeypatch.setenv("ORDERFLOW_PUBLIC_URL", env["ORDERFLOW_PUBLIC_URL"])
    monkeypatch.setenv("ORDERFLOW_STORE", f"sqlite:{tmp_path / 'h.db'}")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    module = importlib.reload(importlib.import_module("functions.start_order.app"))
    module.starter = RecordingStarter()
    event = load_event("start-order.apigw.json")
    domain = event["requestContext"]["domainName"]

    answer = module.lambda_handler(event, _Context())

    assert answer["statusCode"] == 202, answer
    status_url = json.loads(answer["body"])["status_url"]
    assert status_url.startswith(f"https://{domain}/orders/")
    assert RouteSpec.of("GET", "/orders/{order_id}").pattern.match(
        status_url.removeprefix(f"https://{domain}")
    )


class _Context:
    function_name = "start-order"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:x"
    aws_request_id = "req-1"
