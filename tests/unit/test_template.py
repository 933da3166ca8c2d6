"""template.yaml against the code it deploys: handlers, routes, timeouts, table, events.

SAM validates the template on its own terms (scripts/validate_template.py); these
tests catch what only the code knows: a Handler naming a missing function, a
route the resolver does not serve, a setting the config never reads.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from orderflow.adapters.dynamodb_store import table_definition
from orderflow.registry import PROCESSES, process
from tests.utils.durable_guards import (
    check_durable_settings,
    check_invoked_through_alias,
    check_registry,
    durable_functions,
)
from tests.utils.orders import load_event

ROOT = Path(__file__).resolve().parents[2]
APPROVAL_ROUNDS = 2  # TWO_APPROVERS: two callbacks, one after the other


class CfnLoader(yaml.SafeLoader):
    """SafeLoader that reads CloudFormation short tags (!Ref, !Sub...) as long form."""


def _short_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    key = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    return {key: value}


CfnLoader.add_multi_constructor("!", _short_tag)

TEMPLATE: dict[str, Any] = yaml.load(  # a SafeLoader subclass
    (ROOT / "template.yaml").read_text(), Loader=CfnLoader
)
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
FUNCTIONS = {
    logical_id: resource["Properties"]
    for logical_id, resource in RESOURCES.items()
    if resource["Type"] == "AWS::Serverless::Function"
}
DURABLE = durable_functions(TEMPLATE)
ORDERS = process("order")
ROUTES = [
    (logical_id, event["Properties"]["Method"].upper(), event["Properties"]["Path"])
    for logical_id, props in FUNCTIONS.items()
    for event in props.get("Events", {}).values()
    if event["Type"] == "HttpApi"
]


def _module_name(props: dict[str, Any]) -> tuple[str, str]:
    """``functions.<dir>.app`` and the attribute, from CodeUri and Handler."""
    module_file, _, attribute = props["Handler"].rpartition(".")
    parts = Path(props["CodeUri"]).parts
    return ".".join([*parts, module_file]), attribute


LoadHandler = Callable[[str], tuple[ModuleType, str]]


@pytest.fixture
def handler_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LoadHandler]:
    """Import a function's handler module afresh, on a throwaway SQLite store."""
    saved: dict[str, ModuleType | None] = {}

    def load(logical_id: str) -> tuple[ModuleType, str]:
        module_name, attribute = _module_name(FUNCTIONS[logical_id])
        monkeypatch.setenv("ORDERFLOW_STORE", f"sqlite:{tmp_path / 'orderflow.db'}")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # for boto3 clients
        # Handlers read their settings at import, so import under this env.
        saved.setdefault(module_name, sys.modules.pop(module_name, None))
        return importlib.import_module(module_name), attribute

    yield load
    for module_name, module in saved.items():  # leave sys.modules as found
        sys.modules.pop(module_name, None)
        if module is not None:
            sys.modules[module_name] = module


def _resolver_routes(module: ModuleType) -> set[tuple[str, str]]:
    """(METHOD, /path/{param}) for every route of the module's Powertools app."""
    app = module.app
    routes = app._static_routes + app._dynamic_routes
    return {(r.method, re.sub(r"<(\w+)>", r"{\1}", r.path)) for r in routes}


def test_template_has_the_three_functions() -> None:
    assert set(FUNCTIONS) >= {
        "OrderWorkflowFunction",
        "StartOrderFunction",
        "OrderStatusFunction",
    }


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_code_uri_is_a_directory_with_the_handler_module(logical_id: str) -> None:
    props = FUNCTIONS[logical_id]
    code_dir = ROOT / props["CodeUri"]
    module_file = props["Handler"].rpartition(".")[0]
    assert code_dir.is_dir(), f"{logical_id}: CodeUri {props['CodeUri']} is missing"
    assert (code_dir / f"{module_file}.py").is_file()


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_handler_names_a_callable_lambda_handler(
    logical_id: str, handler_module: LoadHandler
) -> None:
    module, attribute = handler_module(logical_id)
    assert attribute == "lambda_handler"
    assert callable(getattr(module, attribute, None)), (
        f"{module.__name__} has no callable {attribute}"
    )


@pytest.mark.parametrize(
    ("logical_id", "method", "path"), ROUTES, ids=[f"{m} {p}" for _, m, p in ROUTES]
)
def test_every_http_route_has_a_resolver_route(
    logical_id: str, method: str, path: str, handler_module: LoadHandler
) -> None:
    module, _ = handler_module(logical_id)
    assert (method, path) in _resolver_routes(module)


@pytest.mark.parametrize(
    "logical_id", sorted({logical_id for logical_id, _, _ in ROUTES})
)
def test_every_resolver_route_is_deployed(
    logical_id: str, handler_module: LoadHandler
) -> None:
    module, _ = handler_module(logical_id)
    deployed = {(m, p) for owner, m, p in ROUTES if owner == logical_id}
    assert _resolver_routes(module) <= deployed, "a route API Gateway never sends"


@pytest.mark.parametrize("logical_id", sorted(DURABLE))
def test_execution_timeout_outlasts_two_approval_rounds(logical_id: str) -> None:
    durable = FUNCTIONS[logical_id]["DurableConfig"]
    approval = TEMPLATE["Parameters"]["ApprovalTimeoutSeconds"]
    longest = max(int(approval["Default"]), int(approval.get("MaxValue", 0)))
    assert int(durable["ExecutionTimeout"]) > APPROVAL_ROUNDS * longest
    assert durable["RetentionPeriodInDays"] == {"Ref": "RetentionDays"}


def test_the_durable_functions_are_the_registered_processes() -> None:
    assert set(DURABLE) == {p.function for p in PROCESSES}
    assert check_registry(TEMPLATE) == []


@pytest.mark.parametrize("logical_id", sorted(DURABLE))
def test_each_durable_function_publishes_its_live_alias(logical_id: str) -> None:
    assert FUNCTIONS[logical_id]["AutoPublishAlias"] == "live"


def test_each_durable_function_is_invoked_through_its_alias() -> None:
    name = FUNCTIONS[ORDERS.function]["FunctionName"]["Fn::Sub"]
    target = FUNCTIONS["StartOrderFunction"]["Environment"]["Variables"]

    assert target["ORDER_WORKFLOW_FUNCTION"]["Fn::Sub"].endswith(
        f":function:{name}:live"
    )
    assert check_invoked_through_alias(TEMPLATE) == []


def test_each_durable_function_has_a_log_group_of_its_own_with_retention() -> None:
    assert check_durable_settings(TEMPLATE) == []


def test_orders_table_matches_the_dynamodb_store() -> None:
    table = RESOURCES["OrdersTable"]["Properties"]
    expected = table_definition("unused")

    def by_name(items: list[dict[str, Any]], key: str) -> dict[str, Any]:
        return {item[key]: item for item in items}

    assert table["KeySchema"] == expected["KeySchema"]
    assert by_name(table["AttributeDefinitions"], "AttributeName") == by_name(
        expected["AttributeDefinitions"], "AttributeName"
    )
    assert by_name(table.get("GlobalSecondaryIndexes", []), "IndexName") == by_name(
        expected["GlobalSecondaryIndexes"], "IndexName"
    )
    assert table["BillingMode"] == expected["BillingMode"]


def test_durable_invoke_event_carries_the_low_risk_order() -> None:
    from aws_durable_execution_sdk_python.execution import (
        DurableExecutionInvocationInput,
    )
    from aws_durable_execution_sdk_python.lambda_service import OperationType

    invocation = DurableExecutionInvocationInput.from_json_dict(
        load_event("order-workflow.invoke.json")
    )
    (execution,) = invocation.initial_execution_state.operations
    assert execution.operation_type is OperationType.EXECUTION
    assert execution.execution_details is not None
    payload = execution.execution_details.input_payload
    assert json.loads(payload or "") == load_event("order-low-risk.json")


@pytest.mark.parametrize(
    "name",
    ["start-order.apigw.json", "order-status.apigw.json", "health.apigw.json"],
)
def test_api_events_name_a_template_route(name: str) -> None:
    event = load_event(name)
    method, path = event["routeKey"].split(" ", 1)
    assert (method, path) in {(m, p) for _, m, p in ROUTES}
    assert event["requestContext"]["http"]["method"] == method
    assert event["version"] == "2.0"
    if event.get("body"):
        assert json.loads(event["body"]) == load_event("order-low-risk.json")


@dataclass
class _Context:
    function_name: str = "orderflow-order-status"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:orderflow-order-status"
    )
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"


def test_health_event_runs_through_the_status_handler(
    handler_module: LoadHandler,
) -> None:
    module, attribute = handler_module("OrderStatusFunction")
    response = getattr(module, attribute)(load_event("health.apigw.json"), _Context())
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"status": "ok"}
