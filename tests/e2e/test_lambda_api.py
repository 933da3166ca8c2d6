"""The local Lambda endpoint answers as Lambda does, through boto3's own client.

Deployed names (``orderflow-order-workflow:live``) and the template's logical
ids both name a function; executions report the qualifier they were invoked
with; ListFunctions, GetFunction and ListDurableExecutionsByFunction answer in
the Lambda API's shapes (botocore parses them), with its filters and paging;
errors come back as the Lambda API's, never a 500.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import StackProcess
from tests.utils.orders import high_risk_order, low_risk_order

pytestmark = pytest.mark.e2e
WORKFLOW = "orderflow-order-workflow"
ARN_PREFIX = "arn:aws:lambda:us-east-1:123456789012:function:"


def start(stack: StackProcess, function: str, order: dict[str, Any]) -> str:
    """Start the order's execution by invoke, under its id; its ARN."""
    started = stack.lambda_client().invoke(
        FunctionName=function,
        InvocationType="Event",
        DurableExecutionName=order["order_id"],
        Payload=json.dumps(order).encode(),
    )
    assert started["StatusCode"] == 202
    return str(started["DurableExecutionArn"])


def status_of(stack: StackProcess, arn: str, wanted: str) -> dict[str, Any]:
    """The execution once its status is ``wanted``."""
    client = stack.lambda_client()
    deadline = time.monotonic() + 60
    while (got := client.get_durable_execution(DurableExecutionArn=arn))[
        "Status"
    ] != wanted:
        assert time.monotonic() < deadline, got
        time.sleep(0.2)
    return dict(got)


def listed(stack: StackProcess, **query: Any) -> list[dict[str, Any]]:
    """Every execution the listing returns, page by page (MaxItems 1)."""
    client = stack.lambda_client()
    found: list[dict[str, Any]] = []
    while True:
        page = client.list_durable_executions_by_function(MaxItems=1, **query)
        assert len(page["DurableExecutions"]) <= 1
        found += page["DurableExecutions"]
        if "NextMarker" not in page:
            return found
        query["Marker"] = page["NextMarker"]


def error_of(call: Any, **kwargs: Any) -> dict[str, Any]:
    """The ClientError's parsed error and status of a call that must fail."""
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    response = raised.value.response
    return {
        "code": response["Error"]["Code"],
        "message": response["Error"]["Message"],
        "status": response["ResponseMetadata"]["HTTPStatusCode"],
    }


def test_the_deployed_name_and_alias_start_an_execution_that_reports_them(
    stack: StackProcess,
) -> None:
    arn = start(stack, f"{WORKFLOW}:live", low_risk_order("ORD-LAPI-1"))

    execution = status_of(stack, arn, "SUCCEEDED")

    assert execution["DurableExecutionName"] == "ORD-LAPI-1"
    assert execution["Version"] == "live"
    assert execution["FunctionArn"] == f"{ARN_PREFIX}{WORKFLOW}:live"
    again = stack.lambda_client().invoke(
        FunctionName=f"{ARN_PREFIX}{WORKFLOW}",
        Qualifier="live",
        InvocationType="Event",
        DurableExecutionName="ORD-LAPI-1",
        Payload=json.dumps(low_risk_order("ORD-LAPI-1")).encode(),
    )
    assert again["DurableExecutionArn"] == arn  # the same function, by its ARN


def test_list_functions_names_every_function_as_deployed_page_by_page(
    stack: StackProcess,
) -> None:
    client = stack.lambda_client()
    names: list[str] = []
    query: dict[str, Any] = {}
    while True:
        page = client.list_functions(MaxItems=3, **query)
        assert len(page["Functions"]) <= 3
        names += [f["FunctionName"] for f in page["Functions"]]
        if "NextMarker" not in page:
            break
        query["Marker"] = page["NextMarker"]
    every = [f["FunctionName"] for f in client.list_functions()["Functions"]]

    assert names == every and len(set(names)) == len(names) == 8
    assert {
        WORKFLOW,
        "orderflow-return-workflow",
        "orderflow-expense-workflow",
        "orderflow-approval-api",
        "orderflow-StartOrderFunction",
        "orderflow-StatusEventsFunction",
    } <= set(names)
    workflow = next(
        f for f in client.list_functions()["Functions"] if f["FunctionName"] == WORKFLOW
    )
    assert workflow["FunctionArn"] == f"{ARN_PREFIX}{WORKFLOW}"
    assert workflow["Handler"] == "app.lambda_handler"
    assert workflow["Runtime"].startswith("python3")
    assert workflow["DurableConfig"]["ExecutionTimeout"] > 2 * 86400


def test_get_function_answers_for_names_aliases_and_logical_ids(
    stack: StackProcess,
) -> None:
    client = stack.lambda_client()

    on_alias = client.get_function(FunctionName=f"{WORKFLOW}:live")["Configuration"]
    by_id = client.get_function(FunctionName="OrderWorkflowFunction")["Configuration"]

    assert on_alias["FunctionArn"] == f"{ARN_PREFIX}{WORKFLOW}:live"
    assert by_id["FunctionName"] == WORKFLOW
    assert by_id["FunctionArn"] == f"{ARN_PREFIX}{WORKFLOW}"
    assert error_of(client.get_function, FunctionName="nope") == {
        "code": "ResourceNotFoundException",
        "message": f"Function not found: {ARN_PREFIX}nope",
        "status": 404,
    }
    assert error_of(client.get_function, FunctionName=f"{WORKFLOW}:gone") == {
        "code": "ResourceNotFoundException",
        "message": f"Function not found: {ARN_PREFIX}{WORKFLOW}:gone",
        "status": 404,
    }
    # No alias of that name: nothing starts.
    assert (
        error_of(
            client.invoke,
            FunctionName=f"{WORKFLOW}:gone",
            Payload=json.dumps(low_risk_order("ORD-LAPI-GONE")).encode(),
        )["code"]
        == "ResourceNotFoundException"
    )


def test_the_alias_live_is_listed_and_got_and_no_other(stack: StackProcess) -> None:
    client = stack.lambda_client()

    listed = client.list_aliases(FunctionName=WORKFLOW)["Aliases"]
    got = client.get_alias(FunctionName=WORKFLOW, Name="live")

    assert [(a["Name"], a["AliasArn"]) for a in listed] == [
        ("live", f"{ARN_PREFIX}{WORKFLOW}:live")
    ]
    assert got["AliasArn"] == f"{ARN_PREFIX}{WORKFLOW}:live"
    assert (
        client.list_aliases(FunctionName="orderflow-StartOrderFunction")["Aliases"]
        == []
    )
    assert error_of(client.get_alias, FunctionName=WORKFLOW, Name="gone")["code"] == (
        "ResourceNotFoundException"
    )


def test_executions_are_listed_by_qualifier_status_and_name_page_by_page(
    stack: StackProcess,
) -> None:
    done = start(stack, f"{WORKFLOW}:live", low_risk_order("ORD-LAPI-DONE"))
    waiting = start(stack, f"{WORKFLOW}:live", high_risk_order("ORD-LAPI-WAIT"))
    latest = start(stack, WORKFLOW, low_risk_order("ORD-LAPI-LATEST"))
    status_of(stack, done, "SUCCEEDED")
    status_of(stack, latest, "SUCCEEDED")
    ours = {done, waiting, latest}

    def arns(executions: list[dict[str, Any]]) -> list[str]:
        return [e["DurableExecutionArn"] for e in executions]

    on_live = listed(stack, FunctionName=WORKFLOW, Qualifier="live")
    in_name = listed(stack, FunctionName=f"{WORKFLOW}:live")
    everything = listed(stack, FunctionName=WORKFLOW)
    running = listed(stack, FunctionName=WORKFLOW, Statuses=["RUNNING"])
    ended = listed(stack, FunctionName=WORKFLOW, Statuses=["SUCCEEDED", "FAILED"])
    named = listed(
        stack,
        FunctionName="OrderWorkflowFunction",
        DurableExecutionName="ORD-LAPI-WAIT",
    )

    assert set(arns(on_live)) & ours == {done, waiting}
    assert arns(in_name) == arns(on_live)
    assert {e["FunctionArn"] for e in on_live} == {f"{ARN_PREFIX}{WORKFLOW}:live"}
    assert set(arns(everything)) >= ours and len(set(arns(everything))) == len(
        everything
    )
    assert set(arns(running)) & ours == {waiting}
    assert {e["Status"] for e in running} == {"RUNNING"}
    assert set(arns(ended)) & ours == {done, latest}
    assert arns(named) == [waiting]
    starts = [e["StartTimestamp"] for e in everything]
    assert starts == sorted(starts, reverse=True)  # newest first, as Lambda lists
    oldest_first = listed(stack, FunctionName=WORKFLOW, ReverseOrder=True)
    assert arns(oldest_first) == arns(everything)[::-1]


def test_errors_are_the_lambda_apis_own(stack: StackProcess) -> None:
    client = stack.lambda_client()
    unknown_arn = (
        "arn:aws:lambda:us-east-1:123456789012:durable-execution:"
        "OrderWorkflowFunction:nope:00000000-0000-0000-0000-000000000000"
    )

    missing = error_of(client.get_durable_execution, DurableExecutionArn=unknown_arn)
    no_function = error_of(
        client.list_durable_executions_by_function, FunctionName="nope"
    )
    not_served = error_of(client.list_versions_by_function, FunctionName=WORKFLOW)
    bad_page = error_of(
        client.list_durable_executions_by_function, FunctionName=WORKFLOW, MaxItems=5000
    )

    assert (missing["code"], missing["status"]) == ("ResourceNotFoundException", 404)
    assert (no_function["code"], no_function["status"]) == (
        "ResourceNotFoundException",
        404,
    )
    assert (not_served["code"], not_served["status"]) == (
        "UnknownOperationException",
        404,
    )
    assert bad_page["code"] == "InvalidParameterValueException"
    request = urllib.request.Request(stack.endpoints["lambda_url"] + "/no/such/route")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    assert raised.value.code == 404
    assert raised.value.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert json.loads(raised.value.read())["message"] == "Unknown operation"


@pytest.mark.parametrize(
    "path",
    [
        "/2015-03-31/functions",
        f"/2015-03-31/functions/{WORKFLOW}",
        f"/2025-12-01/functions/{WORKFLOW}/durable-executions",
    ],
)
def test_no_web_page_reads_the_functions_or_their_executions(
    stack: StackProcess, path: str
) -> None:
    request = urllib.request.Request(
        stack.endpoints["lambda_url"] + path,
        headers={"Origin": "http://evil.example"},
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    assert raised.value.code == 403
    assert raised.value.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert "DurableExecutions" not in raised.value.read().decode()
