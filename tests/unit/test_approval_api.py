"""functions/approval_api through its entry point, with API Gateway v2 events.

The store is SQLite on a temporary file; the callback completer is the
recording fake (the end-to-end tests complete real callbacks on the emulator).
"""

from __future__ import annotations

import base64
import importlib
import io
import logging
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

import pytest

from orderflow.adapters.sandbox import SandboxProvider
from orderflow.config import Settings
from orderflow.local.http_api import build_event
from orderflow.local.template import RouteSpec
from orderflow.parts.approvals.links import TOKEN_BYTES, mint_token
from orderflow.parts.approvals.pages import SECURITY_HEADERS
from orderflow.processes.orders.deps import Deps
from tests.utils.approvals import SECRET, RecordingCallbacks, waiting_order

MODULE = "functions.approval_api.app"
TOKEN_ROUTE = "/approvals/{token}"


@dataclass
class Context:
    function_name: str = "approval-api"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:approval-api"
    )
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"


@dataclass
class Api:
    module: ModuleType
    calls: RecordingCallbacks
    deps: Deps

    def call(
        self,
        method: str,
        path: str,
        *,
        route: str = TOKEN_ROUTE,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        event = build_event(
            RouteSpec.of(method, route),
            method=method,
            raw_path=path,
            query="",
            headers={"host": "api.example.com", **(headers or {})},
            body=body,
            path_parameters=params or {},
            source_ip="203.0.113.9",
        )
        answer: dict[str, Any] = self.module.lambda_handler(event, Context())
        return answer

    def page(self, token: str, method: str = "GET") -> dict[str, Any]:
        return self.call(method, f"/approvals/{token}", params={"token": token})

    def post(self, token: str, fields: dict[str, str], **kw: Any) -> dict[str, Any]:
        body = urlencode(fields).encode()
        return self.call(
            "POST", f"/approvals/{token}", body=body, params={"token": token}, **kw
        )


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """The handler module imported afresh on a temporary store."""
    monkeypatch.setenv("ORDERFLOW_STORE", f"sqlite:{tmp_path / 'orderflow.db'}")
    monkeypatch.setenv("ORDERFLOW_CSRF_SECRET", SECRET.decode())
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    saved = sys.modules.pop(MODULE, None)
    module = importlib.import_module(MODULE)
    calls = RecordingCallbacks()
    module.desk.callbacks = calls
    store = module.desk.store
    settings = Settings(public_url="https://api.example.com")
    deps = Deps(store=store, provider=SandboxProvider(store, ""), settings=settings)
    yield Api(module, calls, deps)
    sys.modules.pop(MODULE, None)
    if saved is not None:
        sys.modules[MODULE] = saved


def csrf_of(answer: dict[str, Any]) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', answer["body"])
    assert found, answer["body"]
    return found.group(1)


def assert_secured(answer: dict[str, Any]) -> None:
    headers = answer["headers"]
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, name
    assert "script-src" not in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def test_every_answer_carries_the_security_headers(api: Api) -> None:
    token = waiting_order(api.deps)
    answers = {
        "confirm": api.page(token),
        "head": api.page(token, "HEAD"),
        "options": api.page(token, "OPTIONS"),
        "tampered": api.page("x" * 5),
        "unknown": api.page(mint_token(bytes(TOKEN_BYTES))),
        "forbidden": api.post(token, {"decision": "approve"}),
        "stylesheet": api.call(
            "GET", "/approvals/static/approval.css", route="/approvals/static/x"
        ),
        "no route": api.call("GET", "/nowhere", route="/nowhere"),
    }
    answers["result"] = api.post(
        token, {"decision": "approve", "csrf": csrf_of(answers["confirm"])}
    )
    answers["decided"] = api.page(token)

    statuses = {name: a["statusCode"] for name, a in answers.items()}
    assert statuses == {
        "confirm": 200,
        "head": 200,
        "options": 204,
        "tampered": 400,
        "unknown": 404,
        "forbidden": 403,
        "stylesheet": 200,
        "no route": 404,
        "result": 200,
        "decided": 409,
    }
    for name, answer in answers.items():
        assert_secured(answer), name
    assert answers["stylesheet"]["headers"]["Content-Type"].startswith("text/css")
    assert answers["confirm"]["headers"]["Content-Type"].startswith("text/html")


def test_get_head_and_options_decide_nothing(api: Api) -> None:
    token = waiting_order(api.deps)

    for method in ("GET", "HEAD", "OPTIONS", "GET"):
        api.page(token, method)

    head = api.page(token, "HEAD")
    assert head["body"] == ""
    assert api.page(token, "OPTIONS")["headers"]["Allow"] == "GET, HEAD, OPTIONS, POST"
    (approval,) = api.deps.store.list_approvals(subject_id="ORD-P")
    assert approval.status == "PENDING"
    assert [e.action for e in api.deps.store.list_audit("ORD-P")] == ["requested"]
    assert api.calls.succeeded == []


def test_a_form_posted_base64_encoded_decides_like_a_plain_one(api: Api) -> None:
    token = waiting_order(api.deps)
    fields = {"decision": "reject", "csrf": csrf_of(api.page(token))}
    event = build_event(
        RouteSpec.of("POST", TOKEN_ROUTE),
        method="POST",
        raw_path=f"/approvals/{token}",
        query="",
        headers={"content-type": "application/x-www-form-urlencoded"},
        body=b"",
        path_parameters={"token": token},
        source_ip="203.0.113.9",
    )
    event["body"] = base64.b64encode(urlencode(fields).encode()).decode()
    event["isBase64Encoded"] = True

    answer = api.module.lambda_handler(event, Context())

    assert answer["statusCode"] == 200, answer["body"]
    assert api.calls.succeeded[0][1]["approved"] is False


def test_a_cross_site_post_is_refused_even_with_the_right_csrf_value(
    api: Api,
) -> None:
    token = waiting_order(api.deps)
    fields = {"decision": "approve", "csrf": csrf_of(api.page(token))}

    answer = api.post(token, fields, headers={"sec-fetch-site": "cross-site"})

    assert answer["statusCode"] == 403
    assert api.calls.succeeded == []


@pytest.mark.parametrize(
    "body",
    [b"comment=" + b"x" * 20_000, b"&".join(b"f%d=1" % i for i in range(50))],
    ids=["too large", "too many fields"],
)
def test_oversized_forms_are_refused(api: Api, body: bytes) -> None:
    token = waiting_order(api.deps)

    answer = api.call("POST", f"/approvals/{token}", body=body, params={"token": token})

    assert answer["statusCode"] == 413
    assert_secured(answer)
    assert api.calls.succeeded == []


def test_logs_never_carry_the_token_or_the_callback_id(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")  # every library's debug lines too
    stream = io.StringIO()  # the JSON lines CloudWatch would get
    handler = logging.StreamHandler(stream)
    handler.setFormatter(api.module.logger.registered_formatter)
    loggers = [logging.getLogger(n) for n in ("orderflow-approval-api", "orderflow")]
    for each in loggers:
        each.addHandler(handler)
    try:
        token = waiting_order(api.deps)
        api.page(mint_token(bytes(TOKEN_BYTES)))
        api.post(token, {"decision": "approve"})
        fields = {"decision": "approve", "csrf": csrf_of(api.page(token))}
        assert api.post(token, fields)["statusCode"] == 200
    finally:
        for each in loggers:
            each.removeHandler(handler)

    logged = stream.getvalue() + caplog.text
    link = api.deps.store.list_audit("ORD-P")[0].link_id
    assert link is not None and f'"link_id":"{link}"' in stream.getvalue()
    assert "decision recorded" in logged  # the logs are there...
    assert token not in logged  # ...without the token
    assert "cb-secret-P" not in logged  # or the callback id


def test_a_form_that_is_not_utf8_is_refused_not_crashed(api: Api) -> None:
    token = waiting_order(api.deps)

    answer = api.call(
        "POST", f"/approvals/{token}", body=b"\x80", params={"token": token}
    )

    assert answer["statusCode"] == 400
    assert "This form could not be read" in answer["body"]
    assert_secured(answer)
    assert api.calls.succeeded == []


@pytest.mark.parametrize(
    ("public_url", "origin"),
    [
        ("", "https://evil.example"),
        ("", "null"),  # a sandboxed frame, or a privacy-stripped redirect
        ("", "http://api.example.com"),
        ("https://approve.example.com", "https://api.example.com"),
    ],
)
def test_a_post_from_another_origin_is_refused_and_audited(
    api: Api, public_url: str, origin: str
) -> None:
    api.module.SETTINGS = replace(api.module.SETTINGS, public_url=public_url)
    token = waiting_order(api.deps)
    fields = {"decision": "approve", "csrf": csrf_of(api.page(token))}

    answer = api.post(token, fields, headers={"origin": origin})

    assert answer["statusCode"] == 403
    assert "could not be verified" in answer["body"]
    assert_secured(answer)
    assert api.calls.succeeded == []
    refused = api.deps.store.list_audit("ORD-P")[-1]
    assert (refused.action, refused.detail["reason"]) == (
        "refused",
        f"foreign origin {origin}",
    )


@pytest.mark.parametrize(
    ("public_url", "origin"),
    [
        ("", "https://api.example.com"),  # the API's own domain (the default)
        ("https://approve.example.com/base/", "https://approve.example.com"),
    ],
)
def test_a_post_from_the_pages_own_origin_decides(
    api: Api, public_url: str, origin: str
) -> None:
    api.module.SETTINGS = replace(api.module.SETTINGS, public_url=public_url)
    token = waiting_order(api.deps)
    fields = {"decision": "reject", "csrf": csrf_of(api.page(token))}

    answer = api.post(token, fields, headers={"origin": origin})

    assert answer["statusCode"] == 200, answer["body"]
    assert api.calls.succeeded[0][1]["approved"] is False


CHROMIUM = {
    "sec-ch-ua": '"Chromium";v="156", "Not:A-Brand";v="8"',
    "sec-fetch-site": "same-origin",
    "sec-fetch-mode": "navigate",
    "sec-fetch-dest": "document",
}


def test_a_chromium_post_no_click_started_gets_the_page_again_and_decides_nothing(
    api: Api,
) -> None:
    token = waiting_order(api.deps)
    fields = {"decision": "approve", "csrf": csrf_of(api.page(token))}

    answer = api.post(token, fields, headers=CHROMIUM)

    assert answer["statusCode"] == 400
    assert "did not report a click" in answer["body"]
    assert 'value="approve"' in answer["body"]  # the form, to decide with a click
    assert_secured(answer)
    assert api.calls.succeeded == []
    (approval,) = api.deps.store.list_approvals(subject_id="ORD-P")
    assert approval.status == "PENDING"
    refused = api.deps.store.list_audit("ORD-P")[-1]
    assert (refused.action, refused.detail["reason"]) == (
        "refused",
        "no user activation",
    )
    # The click on the page shown again decides, with the same form values.
    clicked = api.post(
        token, {**fields, "csrf": csrf_of(answer)}, headers={
            **CHROMIUM, "sec-fetch-user": "?1"
        },
    )  # fmt: skip
    assert clicked["statusCode"] == 200, clicked["body"]
    assert api.calls.succeeded[0][1]["approved"] is True


@pytest.mark.parametrize(
    "headers",
    [
        {},  # orderflow approve, curl: no browser
        {k: v for k, v in CHROMIUM.items() if k != "sec-ch-ua"},  # Safari, Firefox
    ],
    ids=["no fetch metadata", "no Sec-CH-UA"],
)
def test_clients_that_report_no_user_activation_still_decide(
    api: Api, headers: dict[str, str]
) -> None:
    token = waiting_order(api.deps)
    fields = {"decision": "reject", "csrf": csrf_of(api.page(token))}

    answer = api.post(token, fields, headers=headers)

    assert answer["statusCode"] == 200, answer["body"]
    assert api.calls.succeeded[0][1]["approved"] is False
