"""The local stack's pure parts: template reading, route matching, name parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from orderflow.local.http_api import build_event
from orderflow.local.lambda_endpoint import LambdaApiError, page, split_function_name
from orderflow.local.stack import StackConfig, StackError
from orderflow.local.template import RouteSpec, read_functions

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


def test_the_local_stack_finds_every_function_of_the_template() -> None:
    functions = read_functions(TEMPLATE)

    workflow = functions["OrderWorkflowFunction"]
    assert workflow.module == "functions.order_workflow.app"
    assert workflow.attribute == "lambda_handler"
    assert workflow.durable and workflow.execution_timeout > 2 * 86400
    assert not functions["StartOrderFunction"].durable
    keys = {r.route_key for spec in functions.values() for r in spec.routes}
    assert {"POST /orders", "GET /orders/{order_id}", "GET /health"} <= keys


def test_route_templates_match_one_segment_per_parameter() -> None:
    route = RouteSpec.of("get", "/orders/{order_id}")

    found = route.pattern.match("/orders/ORD-1")
    assert found is not None and found.groupdict() == {"order_id": "ORD-1"}
    assert route.pattern.match("/orders/ORD-1/extra") is None
    assert route.method == "GET"


@pytest.mark.parametrize(
    ("name", "qualifier", "expected"),
    [
        ("OrderWorkflowFunction", None, ("OrderWorkflowFunction", "$LATEST")),
        ("OrderWorkflowFunction:live", None, ("OrderWorkflowFunction", "live")),
        ("OrderWorkflowFunction", "7", ("OrderWorkflowFunction", "7")),
        (
            "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3AFn%3Alive",
            None,
            ("Fn", "live"),
        ),
    ],
)
def test_function_names_are_parsed_like_lambda(
    name: str, qualifier: str | None, expected: tuple[str, str]
) -> None:
    assert split_function_name(name, qualifier) == expected


def test_requests_become_http_api_v2_events() -> None:
    route = RouteSpec.of("GET", "/orders/{order_id}")

    event = build_event(
        route,
        method="GET",
        raw_path="/orders/A-1",
        query="verbose=1",
        headers={"host": "127.0.0.1:3000"},
        body=b"\xff\xfe",
        path_parameters={"order_id": "A-1"},
        source_ip="127.0.0.1",
    )

    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /orders/{order_id}"
    assert event["pathParameters"] == {"order_id": "A-1"}
    assert event["queryStringParameters"] == {"verbose": "1"}
    assert event["requestContext"]["http"]["method"] == "GET"
    assert event["isBase64Encoded"] is True and event["body"] == "//4="


def test_functions_carry_their_deployed_names_and_aliases() -> None:
    functions = read_functions(TEMPLATE, stack_name="shop")

    assert functions["OrderWorkflowFunction"].function_name == "shop-order-workflow"
    assert functions["OrderWorkflowFunction"].aliases == ("live",)
    assert functions["ApprovalApiFunction"].function_name == "shop-approval-api"
    # No FunctionName: CloudFormation's STACK-LogicalId, without its suffix.
    assert functions["StartOrderFunction"].function_name == "shop-StartOrderFunction"
    assert functions["StartOrderFunction"].aliases == ()
    assert read_functions(TEMPLATE)["OrderWorkflowFunction"].function_name == (
        "orderflow-order-workflow"
    )


def test_a_page_marker_names_the_last_item_so_new_items_shift_nothing() -> None:
    items = [{"k": name} for name in "abcde"]

    first, marker = page(items, "k", {"MaxItems": ["2"]}, most=10)
    assert [i["k"] for i in first] == ["a", "b"] and marker
    grown = [{"k": "new"}, *items]  # started between two pages, listed first
    second, marker = page(grown, "k", {"MaxItems": ["2"], "Marker": [marker]}, most=10)
    assert [i["k"] for i in second] == ["c", "d"] and marker
    last, marker = page(grown, "k", {"MaxItems": ["2"], "Marker": [marker]}, most=10)
    assert [i["k"] for i in last] == ["e"] and marker is None
    with pytest.raises(LambdaApiError) as raised:
        page(items, "k", {"MaxItems": ["11"]}, most=10)
    assert raised.value.code == "InvalidParameterValueException"


def test_the_lambda_and_emulator_ports_follow_the_api_or_their_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("ORDERFLOW_LAMBDA_PORT", raising=False)
    monkeypatch.delenv("ORDERFLOW_EMULATOR_PORT", raising=False)
    assert StackConfig(home=tmp_path, api_port=3000).ports() == (3001, 3002)
    assert StackConfig(home=tmp_path, api_port=0).ports() == (0, 0)  # all free
    monkeypatch.setenv("ORDERFLOW_LAMBDA_PORT", "4100")
    assert StackConfig(home=tmp_path, api_port=3000).ports() == (4100, 3002)
    monkeypatch.setenv("ORDERFLOW_EMULATOR_PORT", "lambda")
    with pytest.raises(StackError, match="ORDERFLOW_EMULATOR_PORT=lambda"):
        StackConfig(home=tmp_path, api_port=3000).ports()
