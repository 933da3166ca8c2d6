"""Each function's role holds exactly what its code calls, on the items it touches.

Every function runs its paths under the environment template.yaml gives it, on
moto (DynamoDB, SNS) with Lambda's durable APIs stubbed, while a botocore hook
records each AWS call as the IAM request it is: action, resource, and the
partition keys it reaches (``dynamodb:LeadingKeys``). Then, both ways
(tests/utils/least_privilege.py, evaluated by tests/utils/iam.py):

- every request is allowed by the function's own statements, and a KMS request
  by the key's policy too (nothing would be denied in AWS);
- every action, resource and condition value a statement grants, and every
  key-policy statement naming the role, was used (nothing is granted that the
  code does not use).

Requests AWS makes on the function's behalf count as used: SNS encrypting a
Publish with the topic's key, Lambda decrypting the environment and the durable
state, a callback's completion decrypting with its function's durable key. SAM's
own additions (logs, X-Ray, durable checkpoints, the dead-letter queue) are not
the function's statements.
"""

from __future__ import annotations

import dataclasses
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
from orderflow.domain.records import (
    Alert,
    ApprovalLink,
    ApprovalRequest,
    AuditEntry,
    Effect,
    OutboxMessage,
)
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
from orderflow.processes.returns.rules import ReturnRiskThresholds
from orderflow.processes.returns.settings import ReturnSettings
from orderflow.processes.returns.workflow import make_workflow as make_return_workflow
from tests.utils.approvals import RunnerCallbacks, decide_at_desk
from tests.utils.deployed import Deployed, LambdaContext, deployed
from tests.utils.iam import Request
from tests.utils.least_privilege import Raw, allowed, requests_of
from tests.utils.least_privilege import assert_exact as exact
from tests.utils.monitoring import (
    history,
    schedule_event,
    status_event,
    status_event_of,
)
from tests.utils.orders import high_risk_order, load_event, low_risk_order
from tests.utils.template import ACCOUNT, REGION, Stack

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


def requests(raw: list[Raw]) -> list[Request]:
    """The recorded calls as the IAM requests AWS would authorise."""
    return requests_of(raw, CALLBACK_OWNERS, WORKFLOW_ALIAS)


def assert_exact(logical_id: str, raw: list[Raw]) -> None:
    """Every call allowed; every grant used (tests/utils/least_privilege.py)."""
    exact(STACK, logical_id, requests(raw))


def again(store: DynamoDbStore, subject_id: str) -> None:
    """A retried or contended write finds its effect already recorded."""
    effect = store.list_effects(subject_id)[0]
    stored, new = store.record_effect(
        Effect(**{**effect.__dict__, "created_at": "again"})
    )
    assert (stored, new) == (effect, False)


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


def test_the_approval_page_is_denied_every_item_of_another_kind(
    recorded: list[Raw], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store's own requests for other kinds of items, from the page's role."""
    with deployed("ApprovalApiFunction", monkeypatch, STACK) as running:
        store = store_for(running)
        store.create_subject("order", "ORD-9", {}, at="t0")
        recorded.clear()
        store.add_audit(AuditEntry("e-1", "ORD-9", "t1", "a@example.com", "viewed"))
        store.get_subject("ORD-9")
        ours = requests(recorded)
        recorded.clear()
        store.create_subject("order", "ORD-10", {}, at="t0")  # an order item
        store.set_status("ORD-9", "COMPLETED", at="t2")  # the order's status
        store.set_execution_arn("ORD-9", "arn:exec")
        store.add_alert(Alert("ORD-9:x", "ORD-9", "x", "critical", "m", "t3"))
        store.list_alerts()
        store.add_outbox(OutboxMessage("m-1", "ORD-9", "a@example.com", "s", "b", "t"))
        store.get_outbox("m-1")
        store.list_outbox()
        store.record_effect(Effect("k-1", "ORD-9", "payment", "capture"))
        store.list_effects("ORD-9")
        store.list_audit("ORD-9")
        store.list_approvals(status="PENDING")
        at = "2026-01-01T00:00:00+00:00"
        link = ApprovalLink("h", "cb-9", "ORD-9", "a@example.com", at, at)
        store.put_link(link)
        store.put_approval(ApprovalRequest("cb-9", "ORD-9", "a@example.com", "t", "t"))
        theirs = requests(recorded)

    assert ours and all(allowed(STACK, "ApprovalApiFunction", r) for r in ours)
    assert len(theirs) >= 14
    let_through = [r for r in theirs if allowed(STACK, "ApprovalApiFunction", r)]
    assert let_through == []


def test_a_request_without_a_leading_key_is_denied() -> None:
    """A Scan-shaped request (no key): ForAllValues alone would let it through."""
    table = STACK.get_att("OrdersTable", "Arn")
    keyed = Request.of("dynamodb:GetItem", table, {"dynamodb:LeadingKeys": "LINK#h"})

    assert allowed(STACK, "ApprovalApiFunction", keyed)
    assert not allowed(STACK, "ApprovalApiFunction", Request("dynamodb:GetItem", table))


# Set on a thread while it plays another function (the approval page deciding),
# whose calls are not the function's under test.
_OTHER_FUNCTION = threading.local()


def _approve_at_desk(store: Any, runner: DurableFunctionTestRunner, arn: str) -> None:
    """A raw completion first, which the workflow voids (its role's approval
    update), then the approver decides through the desk, as the approval
    function would."""
    first = runner.wait_for_callback(
        arn, name="wait-for-approval-1 create callback id", timeout=10
    )
    runner.send_callback_success(first, b'{"approved": true, "approver": "m"}')
    callback = runner.wait_for_callback(
        arn, name="wait-for-approval-2 create callback id", timeout=10
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
        again(store, "LP-HIGH")

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
        again(store, "ORD-1001")  # a concurrent return took the units' claim
        assert_exact("StartReturnFunction", recorded)

        env = STACK.environment("ReturnWorkflowFunction")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        deps = ReturnDeps(
            store=store,
            provider=SandboxProvider(store, ""),
            settings=Settings.from_env(env),
            # A person approves this one: the role's approval items are used too.
            returns=dataclasses.replace(
                ReturnSettings.from_env(env),
                thresholds=ReturnRiskThresholds(always_human_above_cents=1),
            ),
        )
        recorded.clear()
        handler = durable_execution(make_return_workflow(lambda: deps))
        with DurableFunctionTestRunner(handler=handler, poll_interval=0.02) as runner:
            arn = runner.run_async(
                input=json.dumps(load_event("return-small.json")),
                execution_name="RET-1001",
            )
            _approve_at_desk(store, runner, arn)
            result = runner.wait_for_result(arn, timeout=60)
        assert json.loads(result.result or "{}")["status"] == "REFUNDED"
        again(store, "ORD-1001")  # a retried refund finds its effect recorded
        assert_exact("ReturnWorkflowFunction", recorded)
