"""The local stack's logs leave approval tokens and callback ids out."""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.parse
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


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        (f"/approvals/{TOKEN}/", "/approvals/{token}/"),
        (f"/approvals//{TOKEN}", "/approvals//{token}"),
        (f"/approvals///{TOKEN}//", "/approvals///{token}//"),
        (f"//approvals/{TOKEN}", "//approvals/{token}"),
        (
            f"/approvals/{TOKEN}/static/approval.css",
            "/approvals/{token}/static/approval.css",
        ),
        (f"/approvals/static/{TOKEN}", "/approvals/static/{token}"),
        (f"/approvals/{TOKEN}/{TOKEN[::-1]}", "/approvals/{token}/{token}"),
        (f"/approvals/{TOKEN[:20]}", "/approvals/{token}"),  # a part is a secret too
        (f"/approvals/{TOKEN[:10]}%2F{TOKEN[10:]}", "/approvals/{token}"),
        (f"/approvals%2F{TOKEN}", "/approvals%2F{token}"),
        (f"/approvals%2f%2f{TOKEN}", "/approvals%2f%2f{token}"),
        (f"/APPROVALS/{TOKEN}", "/APPROVALS/{token}"),
        (f"/approvals/{TOKEN}#frag", "/approvals/{token}#frag"),
    ],
)
def test_every_segment_after_approvals_is_redacted_whatever_the_slashes(
    path: str, shown: str
) -> None:
    for line in (path, f'"POST {path} HTTP/1.1" 404 -', f"POST {path}?a=1 -> 400"):
        redacted = redact(line)

        assert TOKEN not in redacted and TOKEN[:20] not in redacted, line
        assert TOKEN[::-1] not in redacted and TOKEN[10:] not in redacted, line
        assert redacted == line.replace(path, shown)


def test_redacting_twice_changes_nothing_more() -> None:
    once = redact(f"GET /approvals//{TOKEN}/static/x")

    assert redact(once) == once


@pytest.mark.parametrize(
    "line",
    [
        "GET /approvals/static/approval.css",
        "GET /approvals/{token} -> ApprovalApiFunction in 3 ms",
        "GET /orders/ORD-1",
        "GET /approvalsX/abc",
    ],
)
def test_routes_without_a_secret_are_left_readable(line: str) -> None:
    assert redact(line) == line


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        (f"/durable-execution-callbacks/{CALLBACK_ID}/succeed", "{id}/succeed"),
        (f"/durable-execution-callbacks//{CALLBACK_ID}/fail", "/{id}/fail"),
        (f"/durable-execution-callbacks/{CALLBACK_ID}/", "{id}/"),
        (
            f"/durable-execution-callbacks/{CALLBACK_ID}/x/heartbeat",
            "{id}/{id}/heartbeat",
        ),
    ],
)
def test_callback_ids_are_redacted_whatever_the_slashes(path: str, shown: str) -> None:
    # In a path the id is quoted (botocore does it): an AWS one, and the emulator's.
    aws_like = "AbCd1234+/=" * 4
    for callback_id in (CALLBACK_ID, aws_like):
        line = path.replace(CALLBACK_ID, urllib.parse.quote(callback_id, safe=""))
        redacted = redact(f"POST /2025-12-01{line}")

        assert redacted == f"POST /2025-12-01/durable-execution-callbacks/{shown}"


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
