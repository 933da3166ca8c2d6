"""The local stack's logs leave approval tokens and callback ids out."""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from orderflow.local.lambda_endpoint import LambdaEndpoint
from orderflow.local.log_redaction import RedactingFilter, redact
from orderflow.parts.approvals.links import TOKEN_BYTES, mint_token

TOKEN = mint_token(bytes(range(TOKEN_BYTES)))
# The emulator's callback ids: base64 of a JSON object.
CALLBACK_ID = base64.b64encode(
    json.dumps({"arn": "arn:aws:lambda:us-east-1:1:x/ORD-1/abc", "op": "9b9a"}).encode()
).decode()


@pytest.mark.parametrize(
    "line",
    [
        f'"GET /approvals/{TOKEN} HTTP/1.1" 200 -',
        f'"POST /approvals/{TOKEN}?x=1 HTTP/1.1" 409 -',
        f"/approvals/{TOKEN}",
    ],
)
def test_request_lines_show_the_route_not_the_token(line: str) -> None:
    shown = redact(line)

    assert TOKEN not in shown
    assert "/approvals/{token}" in shown


def test_the_stylesheet_route_is_left_readable() -> None:
    assert redact("GET /approvals/static/approval.css") == (
        "GET /approvals/static/approval.css"
    )


def test_lambda_endpoint_request_lines_hide_callback_ids(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG, logger="orderflow.local.lambda")
    quoted = CALLBACK_ID.replace("=", "%3D").replace("/", "%2F")
    endpoint = LambdaEndpoint(
        {},
        emulator_url="http://127.0.0.1:9",  # nothing listens: a 503, still logged
        db_path=tmp_path / "lambda.db",
    )
    endpoint.start()
    url = f"{endpoint.url}/2025-12-01/durable-execution-callbacks/{quoted}/succeed"
    try:
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(urllib.request.Request(url, data=b"{}"))
    finally:
        endpoint.stop()

    assert quoted not in caplog.text and CALLBACK_ID not in caplog.text
    assert "durable-execution-callbacks/{id}/succeed" in caplog.text


def test_the_emulators_records_lose_callback_ids_but_keep_the_rest() -> None:
    record = logging.LogRecord(
        "executor",
        logging.WARNING,
        "x.py",
        1,
        "Callback %s timed out",
        (CALLBACK_ID,),
        None,
    )

    assert RedactingFilter().filter(record) is True

    assert record.getMessage() == "Callback {callback-id} timed out"
