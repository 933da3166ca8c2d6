"""Each function's role holds exactly the actions its code calls, on what it touches.

Every function runs its paths under the environment template.yaml gives it, on
moto (DynamoDB, SNS) with Lambda's durable APIs stubbed, while a botocore hook
records each AWS call as the IAM action and resource it needs. Then, both ways:

- every recorded call is allowed by one of the function's own statements
  (nothing would be denied in AWS);
- every action/resource pair a statement grants was used by some call
  (nothing is granted that the code does not use).

Calls AWS makes on the function's behalf count as used: SNS encrypting with
the topic's KMS key for Publish. SAM's own additions (logs, X-Ray, durable
checkpoints, the dead-letter queue) are not the function's statements.
"""

from __future__ import annotations

import fnmatch
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from aws_durable_execution_sdk_python import durable_execution
from aws_durable_execution_sdk_python_testing.runner import DurableFunctionTestRunner
from botocore.client import BaseClient
from botocore.stub import Stubber

from functions.order_workflow.app import make_workflow
from orderflow.adapters.dynamodb_store import DynamoDbStore
from orderflow.adapters.lambda_callbacks import LambdaCallbacks
from orderflow.adapters.lambda_starter import LambdaWorkflowStarter
from orderflow.adapters.sandbox import SandboxProvider
from orderflow.config import Settings
from orderflow.domain.records import ApprovalLink, ApprovalRequest, Effect
from orderflow.parts.approvals.links import (
    TOKEN_BYTES,
    csrf_value,
    mint_token,
    token_hash,
)
from orderflow.parts.deps import StepDeps
from orderflow.processes.expenses.workflow import make_workflow as make_expense_workflow
from orderflow.processes.orders.deps import Deps
from orderflow.processes.orders.status import OrderStatus
from orderflow.processes.returns.deps import ReturnDeps
from orderflow.processes.returns.settings import ReturnSettings
from orderflow.processes.returns.workflow import make_workflow as make_return_workflow
from tests.utils.approvals import RunnerCallbacks, decide_at_desk
from tests.utils.deployed import Deployed, LambdaContext, deployed
from tests.utils.monitoring import (
    history,
    schedule_event,
    status_event,
    status_event_of,
)
from tests.utils.orders import high_risk_order, load_event, low_risk_order
from tests.utils.template import ACCOUNT, REGION, Stack

Call = tuple[str, str]  # (iam action, resource ARN)
Raw = tuple[str, str, dict[str, Any]]  # (service, operation, parameters)
STACK = Stack()
WORKFLOW = STACK.physical_name("OrderWorkflowFunction")
WORKFLOW_ALIAS = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{WORKFLOW}:live"
EXPENSES = STACK.physical_name("ExpenseWorkflowFunction")
EXPENSES_ALIAS = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{EXPENSES}:live"
RETURNS = STACK.physical_name("ReturnWorkflowFunction")
RETURNS_ALIAS = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{RETURNS}:live"
# A callback id is opaque: which durable function it belongs to, by id (the
# order workflow's unless a test says otherwise).
CALLBACK_OWNERS: dict[str, str] = {}
TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def _table_arn(table: str, index: str | None = None) -> str:
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"
    return f"{arn}/index/{index}" if index else arn


def iam_calls(service: str, operation: str, params: dict[str, Any]) -> list[Call]:
    """The IAM action(s) and resource(s) one API call is authorised against."""
    if service == "dynamodb" and operation == "TransactWriteItems":
        return [
            (f"dynamodb:{TRANSACT_ACTIONS[kind]}", _table_arn(body["TableName"]))
            for item in params["TransactItems"]
            for kind, body in item.items()
        ]
    if service == "dynamodb":
        resource = _table_arn(params["TableName"], params.get("IndexName"))
        return [(f"dynamodb:{operation}", resource)]
    if service == "lambda" and operation == "Invoke":
        return [("lambda:InvokeFunction", params["FunctionName"])]
    if service == "lambda" and "Callback" in operation:
        # A callback id is opaque; IAM checks the function of its execution.
        owner = CALLBACK_OWNERS.get(params["CallbackId"], WORKFLOW_ALIAS)
        return [(f"lambda:{operation}", owner)]
    if service == "lambda":
        return [(f"lambda:{operation}", params["DurableExecutionArn"])]
    if service == "sns":
        return [(f"sns:{operation}", params["TopicArn"])]
    raise AssertionError(f"unexpected call {service}:{operation}")


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Raw]]:
    """Record every AWS call any botocore client makes (moto's and stubbed)."""
    calls: list[Raw] = []
    original = BaseClient._make_api_call

    def record(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if not getattr(_OTHER_FUNCTION, "calling", False):
            calls.append((self.meta.service_model.endpoint_prefix, operation, params))
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", record)
    yield calls


def implied(logical_id: str, calls: list[Call]) -> list[Call]:
    """Calls AWS makes for the function: KMS for a Publish to an encrypted topic,
    and for decrypting an environment encrypted with the stack's key."""
    key = STACK.get_att("MonitoringKey", "Arn")
    topic = STACK.ref("AlertsTopic")
    made: list[Call] = []
    if ("sns:Publish", topic) in calls:
        made += [("kms:GenerateDataKey", key), ("kms:Decrypt", key)]
    own_key = STACK.functions()[logical_id].get("KmsKeyArn")
    if own_key is not None:
        made.append(("kms:Decrypt", STACK.resolve(own_key)))
    return made


def grants(logical_id: str) -> list[tuple[list[str], list[str]]]:
    """(actions, resources) of each Allow statement of the function, resolved."""
    found = []
    for statement in STACK.statements(logical_id):
        assert statement["Effect"] == "Allow"
        actions, resources = statement["Action"], statement["Resource"]
        found.append(
            (
                actions if isinstance(actions, list) else [actions],
                resources if isinstance(resources, list) else [resources],
            )
        )
    return found


def allowed(call: Call, actions: list[str], resources: list[str]) -> bool:
    """True if the statement's action and resource patterns cover the call."""
    action, resource = call
    return any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in actions) and any(
        fnmatch.fnmatchcase(resource, r) for r in resources
    )


def assert_exact(logical_id: str, raw: list[Raw]) -> None:
    """Every call allowed; every granted pair used."""
    calls = [c for service, op, params in raw for c in iam_calls(service, op, params)]
    used = calls + implied(logical_id, calls)
    statements = grants(logical_id)
    denied = [c for c in set(used) if not any(allowed(c, *s) for s in statements)]
    assert not denied, f"{logical_id} would be denied {sorted(denied)}"
    for actions, resources in statements:
        for action in actions:
            for resource in resources:
                assert any(allowed(c, [action], [resource]) for c in used), (
                    f"{logical_id} is granted {action} on {resource}, never used"
                )


def store_for(running: Deployed) -> DynamoDbStore:
    """The function's table through a client the recorder sees."""
    table = running.env["ORDERFLOW_STORE"].removeprefix("dynamodb://")
    return DynamoDbStore(table, client=boto3.client("dynamodb"))


def api_event(name: str, **path: str) -> dict[str, Any]:
    """A recorded API Gateway event with path parameters replaced."""
    event: dict[str, Any] = load_event(name)
    if path:
        event["pathParameters"] = path
        event["rawPath"] = "/orders/" + path["order_id"]
    return event


def test_start_order_holds_exactly_what_it_calls(
    recorded: list[Raw], monkeypatch: pytest.MonkeyPatch
) -> None:
    with deployed("StartOrderFunction", monkeypatch, STACK) as running:
        recorded.clear()  # creating the table is not the function's
        module = running.module
        client = boto3.client("lambda")
        module.starter = LambdaWorkflowStarter(
            module.SETTINGS.workflow_function, client
        )
        with Stubber(client) as stub:
            for _ in range(2):  # a new order, then the same order again
                stub.add_response(
                    "invoke",
                    {"StatusCode": 202, "DurableExecutionArn": "arn:exec:ORD-1001"},
                )
            for _ in range(2):
                response = module.lambda_handler(
                    api_event("start-order.apigw.json"), LambdaContext()
                )
                assert response["statusCode"] == 202, response
        assert_exact("StartOrderFunction", recorded)


def test_order_status_holds_exactly_what_it_calls(
    recorded: list[Raw], monkeypatch: pytest.MonkeyPatch
) -> None:
    with deployed("OrderStatusFunction", monkeypatch, STACK) as running:
        store = store_for(running)
        store.create_subject("order", "ORD-1001", low_risk_order("ORD-1001"), at="t0")
        recorded.clear()  # the seeding is not the function's
        for event in (
            api_event("order-status.apigw.json", order_id="ORD-1001"),
            load_event("health.apigw.json"),
        ):
            response = running.module.lambda_handler(event, LambdaContext())
            assert response["statusCode"] == 200, response
        assert_exact("OrderStatusFunction", recorded)


def test_status_events_holds_exactly_what_it_calls(
    recorded: list[Raw], monkeypatch: pytest.MonkeyPatch
) -> None:
    with deployed("StatusEventsFunction", monkeypatch, STACK) as running:
        store = store_for(running)
        now = datetime.fromisoformat(schedule_event()["time"])
        asked = (now - timedelta(days=2)).isoformat()
        store.create_subject("order", "ORD-2001", {}, at=asked)
        store.put_approval(
            ApprovalRequest("cb-1", "ORD-2001", "a@example.com", asked, asked)
        )
        # A decision whose request died before completing the callback.
        recent, decided = now - timedelta(hours=1), now - timedelta(minutes=30)
        store.create_subject("order", "ORD-2002", {}, at=recent.isoformat())
        store.set_status(
            "ORD-2002", OrderStatus.AWAITING_APPROVAL, at=recent.isoformat()
        )
        store.put_approval(
            ApprovalRequest(
                "cb-2", "ORD-2002", "a@example.com", recent.isoformat(), asked
            )
        )
        store.decide_approval(
            "cb-2", status="APPROVED", decided_by="a@example.com",
            at=decided.isoformat(),
        )  # fmt: skip
        # The same for an expense claim, whose callbacks are the other workflow's.
        store.create_subject("expense", "EXP-2002", {}, at=recent.isoformat())
        store.set_status("EXP-2002", "AWAITING_APPROVAL", at=recent.isoformat())
        store.put_approval(
            ApprovalRequest(
                "cb-3", "EXP-2002", "a@example.com", recent.isoformat(), asked
            )
        )
        store.decide_approval(
            "cb-3", status="APPROVED", decided_by="a@example.com",
            at=decided.isoformat(),
        )  # fmt: skip
        monkeypatch.setitem(CALLBACK_OWNERS, "cb-3", EXPENSES_ALIAS)
        store.create_subject("return", "RET-2002", {}, at=recent.isoformat())
        store.set_status("RET-2002", "AWAITING_APPROVAL", at=recent.isoformat())
        store.put_approval(
            ApprovalRequest(
                "cb-4", "RET-2002", "a@example.com", recent.isoformat(), asked
            )
        )
        store.decide_approval(
            "cb-4", status="REJECTED", decided_by="a@example.com",
            at=decided.isoformat(),
        )  # fmt: skip
        monkeypatch.setitem(CALLBACK_OWNERS, "cb-4", RETURNS_ALIAS)
        recorded.clear()
        events = (
            status_event("timed-out"),
            status_event_of("timed-out", EXPENSES),
            status_event_of("timed-out", RETURNS),
            schedule_event(),
        )
        with Stubber(running.module.lambda_client) as stub:
            for _ in range(3):
                stub.add_response(
                    "get_durable_execution_history",
                    {"Events": history("capture-retried")},
                )
            for _ in range(3):
                stub.add_response("send_durable_execution_callback_success", {})
            for event in events:
                running.module.lambda_handler(event, LambdaContext())
            stub.assert_no_pending_responses()
        assert_exact("StatusEventsFunction", recorded)


def _ask(store: DynamoDbStore, token: str, callback_id: str, order_id: str) -> None:
    """A pending approval and its link, as the workflow's submitter leaves them."""
    now = datetime.now(UTC)
    created, expires = now.isoformat(), (now + timedelta(hours=1)).isoformat()
    approver = "approver@example.com"
    store.put_approval(
        ApprovalRequest(callback_id, order_id, approver, created, expires)
    )
    store.put_link(
        ApprovalLink(
            token_hash(token), callback_id, order_id, approver, created, expires
        )
    )


def test_approval_api_holds_exactly_what_it_calls(
    recorded: list[Raw], monkeypatch: pytest.MonkeyPatch
) -> None:
    token = mint_token(bytes(range(TOKEN_BYTES)))
    orphan = mint_token(bytes(TOKEN_BYTES))  # its order's record is missing
    with deployed("ApprovalApiFunction", monkeypatch, STACK) as running:
        store = store_for(running)
        store.create_subject("order", "ORD-1002", high_risk_order("ORD-1002"), at="t0")
        _ask(store, token, "cb-1", "ORD-1002")
        _ask(store, orphan, "cb-2", "ORD-GONE")
        # An expense claim's link, and one whose claim is gone: the other workflow's.
        claim, lost = mint_token(bytes([7] * TOKEN_BYTES)), mint_token(bytes([9] * 24))
        store.create_subject(
            "expense", "EXP-1", load_event("expense-claim.json"), at="t0"
        )
        _ask(store, claim, "cb-3", "EXP-1")
        _ask(store, lost, "cb-4", "EXP-GONE")
        for callback_id in ("cb-3", "cb-4"):
            monkeypatch.setitem(CALLBACK_OWNERS, callback_id, EXPENSES_ALIAS)
        # And a return's, of the returns workflow.
        ret, gone = mint_token(bytes([3] * 24)), mint_token(bytes([5] * 24))
        store.create_subject("return", "RET-1", {"order_id": "ORD-1002"}, at="t0")
        _ask(store, ret, "cb-5", "RET-1")
        _ask(store, gone, "cb-6", "RET-GONE")
        for callback_id in ("cb-5", "cb-6"):
            monkeypatch.setitem(CALLBACK_OWNERS, callback_id, RETURNS_ALIAS)
        recorded.clear()
        client = boto3.client("lambda")
        desk = running.module.desk
        desk.callbacks = LambdaCallbacks(client)

        def request(token: str, method: str, body: str | None = None) -> Any:
            name = "approval-decide" if body else "approval-view"
            event = json.loads(
                json.dumps(load_event(f"{name}.apigw.json")).replace(
                    "REPLACE-WITH-THE-TOKEN-FROM-THE-EMAIL-LINK", token
                )
            )
            event["requestContext"]["http"]["method"] = method
            event["routeKey"] = f"{method} /approvals/{{token}}"
            if body is not None:
                event["body"] = body
            return running.module.lambda_handler(event, LambdaContext())["statusCode"]

        assert request(token, "GET") == request(token, "HEAD") == 200
        assert request(claim, "GET") == 200
        with Stubber(client) as stub:
            for _ in range(3):
                stub.add_response("send_durable_execution_callback_success", {})
                stub.add_response("send_durable_execution_callback_failure", {})
            decisions = ((token, 200), (token, 409), (orphan, 500))
            others = ((claim, 200), (lost, 500), (ret, 200), (gone, 500))
            for link, status in (*decisions, *others):
                approval = store.get_link(token_hash(link))
                assert approval is not None
                csrf = csrf_value(desk.secret, approval)
                assert request(link, "POST", f"decision=approve&csrf={csrf}") == status
            stub.assert_no_pending_responses()
        assert_exact("ApprovalApiFunction", recorded)


# Set on a thread while it plays another function (the approval page deciding),
# whose calls are not the function's under test.
_OTHER_FUNCTION = threading.local()


def _approve_at_desk(store: Any, runner: DurableFunctionTestRunner, arn: str) -> None:
    """The approver decides through the desk, as the approval function would."""
    callback = runner.wait_for_callback(
        arn, name="wait-for-approval-1 create callback id", timeout=10
    )
    _OTHER_FUNCTION.calling = True
    try:
        decide_at_desk(store, RunnerCallbacks(runner), callback, approved=True)
    finally:
        _OTHER_FUNCTION.calling = False


def _run_workflow(deps: Deps, order: dict[str, Any], approve: bool) -> str:
    """Run one order through the real workflow in the testing SDK's runner."""
    handler = durable_execution(make_workflow(lambda: deps))
    with DurableFunctionTestRunner(handler=handler, poll_interval=0.02) as runner:
        arn = runner.run_async(
            input=json.dumps(order), execution_name=order["order_id"]
        )
        if approve:
            _approve_at_desk(deps.store, runner, arn)
        result = runner.wait_for_result(arn, timeout=30)
        return str(json.loads(result.result or "{}").get("status"))


def test_order_workflow_holds_exactly_what_its_steps_call(
    recorded: list[Raw], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = STACK.environment("OrderWorkflowFunction")
    with deployed("StartOrderFunction", monkeypatch, STACK):  # creates the table
        settings = Settings.from_env(env)
        table = settings.store_url.removeprefix("dynamodb://")
        store = DynamoDbStore(table, client=boto3.client("dynamodb"))
        deps = Deps(store=store, provider=SandboxProvider(store, ""), settings=settings)
        recorded.clear()

        assert _run_workflow(deps, high_risk_order("LP-HIGH"), approve=True) == (
            OrderStatus.COMPLETED
        )
        # A retried provider call finds its effect already recorded.
        effect = store.list_effects("LP-HIGH")[0]
        store.record_effect(Effect(**{**effect.__dict__, "created_at": "again"}))

        assert_exact("OrderWorkflowFunction", recorded)


def test_the_recorder_sees_a_call_the_role_does_not_allow(
    recorded: list[Raw], monkeypatch: pytest.MonkeyPatch
) -> None:
    with deployed("OrderStatusFunction", monkeypatch, STACK) as running:
        recorded.clear()
        store_for(running).record_effect(
            Effect("k", "ORD-1", "payment", "capture", created_at="t0")
        )

        with pytest.raises(AssertionError, match="would be denied"):
            assert_exact("OrderStatusFunction", recorded)


def test_expense_workflow_holds_exactly_what_its_steps_call(
    recorded: list[Raw], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = STACK.environment("ExpenseWorkflowFunction")
    with deployed("StartOrderFunction", monkeypatch, STACK):  # creates the table
        settings = Settings.from_env(env)
        table = settings.store_url.removeprefix("dynamodb://")
        deps = StepDeps(
            store=DynamoDbStore(table, client=boto3.client("dynamodb")),
            settings=settings,
        )
        recorded.clear()
        handler = durable_execution(make_expense_workflow(lambda: deps))
        with DurableFunctionTestRunner(handler=handler, poll_interval=0.02) as runner:
            arn = runner.run_async(
                input=json.dumps(load_event("expense-claim.json")),
                execution_name="EXP-1001",
            )
            _approve_at_desk(deps.store, runner, arn)
            result = runner.wait_for_result(arn, timeout=30)

        assert json.loads(result.result or "{}")["status"] == "APPROVED"
        assert_exact("ExpenseWorkflowFunction", recorded)


def test_the_returns_functions_hold_exactly_what_they_call(
    recorded: list[Raw], monkeypatch: pytest.MonkeyPatch
) -> None:
    with deployed("StartReturnFunction", monkeypatch, STACK) as running:
        table = running.env["ORDERFLOW_STORE"].removeprefix("dynamodb://")
        store = DynamoDbStore(table, client=boto3.client("dynamodb"))
        settings = Settings.from_env(STACK.environment("OrderWorkflowFunction"))
        order_deps = Deps(
            store=store, provider=SandboxProvider(store, ""), settings=settings
        )
        order = load_event("order-low-risk.json")
        assert _run_workflow(order_deps, order, approve=False) == "COMPLETED"
        recorded.clear()

        client = boto3.client("lambda")
        module = running.module
        function = running.env["RETURN_WORKFLOW_FUNCTION"]
        module.starter = LambdaWorkflowStarter(function, client)
        event = load_event("start-order.apigw.json")
        event["routeKey"] = event["requestContext"]["routeKey"] = "POST /returns"
        event["rawPath"] = event["requestContext"]["http"]["path"] = "/returns"
        event["body"] = json.dumps(load_event("return-small.json"))
        with Stubber(client) as stub:
            stub.add_response(
                "invoke", {"StatusCode": 202, "DurableExecutionArn": "arn:exec:RET"}
            )
            response = module.lambda_handler(event, LambdaContext())
        assert response["statusCode"] == 202, response
        assert_exact("StartReturnFunction", recorded)

        env = STACK.environment("ReturnWorkflowFunction")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        deps = ReturnDeps(
            store=store,
            provider=SandboxProvider(store, ""),
            settings=Settings.from_env(env),
            returns=ReturnSettings.from_env(env),
        )
        recorded.clear()
        handler = durable_execution(make_return_workflow(lambda: deps))
        with DurableFunctionTestRunner(handler=handler, poll_interval=0.02) as runner:
            result = runner.run(
                input=json.dumps(load_event("return-small.json")),
                execution_name="RET-1001",
                execution_timeout=60,
            )
        assert json.loads(result.result or "{}")["status"] == "REFUNDED"
        assert_exact("ReturnWorkflowFunction", recorded)
