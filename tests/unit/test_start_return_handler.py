"""POST /returns through the real handler, with the sample events as bodies.

The orders are recorded as the order workflow leaves them (COMPLETED, with a
delivered parcel in the sandbox's ledger); the starter records what it would
start instead of calling Lambda.
"""

from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from orderflow.adapters.sandbox import SandboxProvider
from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.processes.orders.order import parse_order
from orderflow.processes.returns.checks import check_return
from orderflow.processes.returns.model import parse_return
from orderflow.processes.returns.rules import ReturnRoute
from orderflow.processes.returns.settings import ReturnSettings
from tests.utils.orders import load_event
from tests.workflow.returns.conftest import RecordingStarter


def _complete(store: SqliteStore, name: str) -> None:
    """Record the sample order ``name`` as completed and delivered."""
    order = parse_order(load_event(name))
    oid, sandbox = order.order_id, SandboxProvider(store, stage_seconds=0)
    store.create_subject("order", oid, order.model_dump(mode="json"), at="t0")
    units = sum(i.quantity for i in order.items)
    sandbox.inventory.reserve(oid, units, key=f"{oid}:reserve-inventory")
    sandbox.payment.capture(oid, order.total_cents, key=f"{oid}:capture-payment")
    ship = f"{oid}:create-shipment"
    sandbox.shipping.create(oid, units=units, service="standard", key=ship)
    while not sandbox.shipping.track(oid, ship).status.is_final:
        pass
    store.set_status(oid, "COMPLETED", at="t1")


@pytest.fixture
def handler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[ModuleType, SqliteStore]:
    """functions/start_return/app.py on a fresh store, with a recording starter."""
    monkeypatch.setenv("ORDERFLOW_STORE", f"sqlite:{tmp_path / 'h.db'}")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # the client is never used
    module = importlib.reload(importlib.import_module("functions.start_return.app"))
    module.starter = RecordingStarter()
    store = module.store
    _complete(store, "order-low-risk.json")
    _complete(store, "order-high-risk.json")
    return module, store


def _post(module: ModuleType, data: Any) -> tuple[int, dict[str, Any]]:
    event = load_event("start-order.apigw.json")
    event |= {
        "routeKey": "POST /returns",
        "rawPath": "/returns",
        "body": json.dumps(data),
    }
    event["requestContext"] |= {"routeKey": "POST /returns"}
    event["requestContext"]["http"] |= {"path": "/returns"}
    answer = module.lambda_handler(event, _Context())
    return answer["statusCode"], json.loads(answer["body"])


class _Context:
    function_name = "start-return"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:x"
    aws_request_id = "req-1"


def test_the_small_sample_return_is_accepted_with_its_status_url(
    handler: tuple[ModuleType, SqliteStore],
) -> None:
    module, _ = handler

    status, answer = _post(module, load_event("return-small.json"))

    assert status == 202
    assert answer["return_id"] == "RET-1001"
    assert answer["status_url"].endswith("/returns/RET-1001")
    assert [name for name, _ in module.starter.started] == ["RET-1001"]


def test_the_invalid_sample_is_400_naming_each_field(
    handler: tuple[ModuleType, SqliteStore],
) -> None:
    module, _ = handler

    status, answer = _post(module, load_event("return-invalid.json"))

    assert (status, answer["error"]) == (400, "invalid_return")
    assert {f["field"] for f in answer["fields"]} == {
        "return_id",
        "items.0.quantity",
        "reason",
    }
    assert module.starter.started == []


def test_a_refused_return_answers_its_problem_and_status(
    handler: tuple[ModuleType, SqliteStore],
) -> None:
    module, _ = handler
    data = load_event("return-small.json") | {"order_id": "ORD-NOPE"}

    status, answer = _post(module, data)

    assert (status, answer["error"]) == (404, "unknown_order")
    assert answer["problems"][0]["field"] == "order_id"


def test_a_second_return_of_the_same_units_is_409_naming_the_sku(
    handler: tuple[ModuleType, SqliteStore],
) -> None:
    module, _ = handler
    first = load_event("return-needs-approval.json")
    _post(module, first)

    status, answer = _post(module, first | {"return_id": "RET-2002"})

    assert (status, answer["error"]) == (422, "too_many_units")
    assert "LAPTOP-PRO-16" in answer["message"]


def test_the_sample_needing_approval_is_routed_to_two_approvers(
    handler: tuple[ModuleType, SqliteStore],
) -> None:
    _, store = handler
    request = parse_return(load_event("return-needs-approval.json"))

    checked = check_return(store, ReturnSettings(), request, now=datetime.now(UTC))

    assert checked.problems == []
    assert checked.route(ReturnSettings()).route is ReturnRoute.TWO_APPROVERS
