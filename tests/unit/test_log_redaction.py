"""The local stack's request logs leave approval tokens and callback ids out."""

from __future__ import annotations

import logging

import pytest

from orderflow.domain.approval_links import TOKEN_BYTES, mint_token
from orderflow.local.http_api import redact
from orderflow.local.lambda_endpoint import _RequestHandler

TOKEN = mint_token(bytes(range(TOKEN_BYTES)))


@pytest.mark.parametrize(
    "line",
    [
        f'"GET /approvals/{TOKEN} HTTP/1.1" 200 -',
        f'"POST /approvals/{TOKEN}?x=1 HTTP/1.1" 409 -',
        f"/approvals/{TOKEN}",
    ],
)
def test_http_api_request_lines_show_the_route_not_the_token(line: str) -> None:
    shown = redact(line)

    assert TOKEN not in shown
    assert "/approvals/{token}" in shown


def test_lambda_endpoint_request_lines_hide_callback_ids(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="orderflow.local.lambda")
    callback_id = "eyJhcm4iOiJzZWNyZXQifQ%3D%3D"
    handler = object.__new__(_RequestHandler)
    handler.client_address = ("127.0.0.1", 5)
    line = f"POST /2025-12-01/durable-execution-callbacks/{callback_id}/succeed"

    handler.log_message('"%s" %s %s', line, "200", "-")

    assert callback_id not in caplog.text
    assert "durable-execution-callbacks/{id}/succeed" in caplog.text
