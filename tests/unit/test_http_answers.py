"""The JSON front doors' answers: their headers, and who may post to them.

Each function runs through its entry point on API Gateway v2 events, on a
temporary SQLite store; the starters record what they would start.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from orderflow.local.http_api import build_event
from orderflow.local.template import RouteSpec
from tests.utils.orders import low_risk_order
from tests.workflow.returns.conftest import RecordingStarter

HOST = "abc123.execute-api.us-east-1.amazonaws.com"
FOREIGN = "https://evil.example"


class _Context:
    function_name = "front-door"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:x"
    aws_request_id = "req-1"


@pytest.fixture
def functions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, ModuleType]]:
    """start_order, start_return and order_status, on one fresh store."""
    monkeypatch.setenv("ORDERFLOW_STORE", f"sqlite:{tmp_path / 'doors.db'}")
    monkeypatch.setenv("ORDERFLOW_PUBLIC_URL", "")  # as the template's default
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    loaded = {
        name: importlib.reload(importlib.import_module(f"functions.{name}.app"))
        for name in ("start_order", "start_return", "order_status")
    }
    for name in ("start_order", "start_return"):
        loaded[name].starter = RecordingStarter()
    yield loaded


def call(
    module: ModuleType,
    route: str,
    path: str,
    body: bytes = b"",
    **headers: str,
) -> dict[str, Any]:
    method, _, template_path = route.partition(" ")
    event = build_event(
        RouteSpec.of(method, template_path),
        method=method,
        raw_path=path,
        query="",
        headers={"host": HOST, "content-type": "application/json", **headers},
        body=body,
        path_parameters={"order_id": path.rsplit("/", 1)[-1]},
        source_ip="203.0.113.9",
    )
    answer: dict[str, Any] = module.lambda_handler(event, _Context())
    return answer


def order(order_id: str, **changes: Any) -> bytes:
    return json.dumps(low_risk_order(order_id, **changes)).encode()


def test_every_json_answer_is_neither_sniffed_nor_cached(
    functions: dict[str, ModuleType],
) -> None:
    start, returns, status = (
        functions[n] for n in ("start_order", "start_return", "order_status")
    )
    answers = {
        "accepted": call(start, "POST /orders", "/orders", order("H-1")),
        "bad json": call(start, "POST /orders", "/orders", b"{"),
        "too large": call(start, "POST /orders", "/orders", b" " * 2_000_000),
        "conflict": call(
            start, "POST /orders", "/orders", order("H-1", currency="EUR")
        ),
        "foreign origin": call(
            start, "POST /orders", "/orders", order("H-2"), origin=FOREIGN
        ),
        "bad return": call(returns, "POST /returns", "/returns", b"[]"),
        "order": call(status, "GET /orders/{order_id}", "/orders/H-1"),
        "no order": call(status, "GET /orders/{order_id}", "/orders/H-9"),
        "no return": call(status, "GET /returns/{return_id}", "/returns/R-9"),
        "health": call(status, "GET /health", "/health"),
    }

    statuses = {name: a["statusCode"] for name, a in answers.items()}
    assert statuses == {
        "accepted": 202,
        "bad json": 400,
        "too large": 413,
        "conflict": 409,
        "foreign origin": 403,
        "bad return": 400,
        "order": 200,
        "no order": 404,
        "no return": 404,
        "health": 200,
    }
    for name, answer in answers.items():
        headers = answer["headers"]
        assert headers["Content-Type"] == "application/json", name
        assert headers["X-Content-Type-Options"] == "nosniff", name
        assert headers["Cache-Control"] == "no-store", name


@pytest.mark.parametrize("door", ["start_order", "start_return"])
@pytest.mark.parametrize(
    ("public_url", "origin"),
    [
        ("", FOREIGN),
        ("", "null"),
        ("", f"http://{HOST}"),  # the API's domain, over another scheme
        ("https://orders.example.com/shop", f"https://{HOST}"),
        ("https://orders.example.com", "https://orders.example.com:8443"),
    ],
)
def test_a_post_from_another_origin_is_refused_and_starts_nothing(
    functions: dict[str, ModuleType], door: str, public_url: str, origin: str
) -> None:
    module = functions[door]
    module.SETTINGS = dataclasses.replace(module.SETTINGS, public_url=public_url)
    route = "POST /orders" if door == "start_order" else "POST /returns"

    answer = call(module, route, route[5:], order("H-ORIGIN"), origin=origin)

    assert answer["statusCode"] == 403
    body = json.loads(answer["body"])
    assert body["error"] == "foreign_origin"
    assert origin in body["message"]
    assert module.starter.started == []
    assert module.store.get_subject("H-ORIGIN") is None


@pytest.mark.parametrize(
    ("public_url", "origin"),
    [
        ("", f"https://{HOST}"),
        ("", f"https://{HOST.upper()}:443"),
        ("https://orders.example.com/shop", "https://orders.example.com"),
        ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
    ],
)
def test_a_post_from_the_apis_own_origin_or_with_none_is_served(
    functions: dict[str, ModuleType], public_url: str, origin: str
) -> None:
    module = functions["start_order"]
    module.SETTINGS = dataclasses.replace(module.SETTINGS, public_url=public_url)

    same = call(module, "POST /orders", "/orders", order("H-SAME"), origin=origin)
    none = call(module, "POST /orders", "/orders", order("H-NONE"))

    assert (same["statusCode"], none["statusCode"]) == (202, 202)
    assert [name for name, _ in module.starter.started] == ["H-SAME", "H-NONE"]
