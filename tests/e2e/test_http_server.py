"""The local stack's HTTP servers: framing, Host and Origin, over raw sockets.

Each request is written byte for byte to the real started stack, and every
answer the server sends back on that connection is read, so a body read as a
second request, a thread left waiting for bytes that never come, or a second
Content-Length taken on trust all show.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from orderflow.processes.orders.status import OrderStatus
from tests.e2e.conftest import StackProcess
from tests.e2e.pages import actions, csrf_in, fetch, link_of, trail
from tests.utils.orders import high_risk_order, low_risk_order

pytestmark = pytest.mark.e2e
FOREIGN = "https://evil.example"


@dataclass(frozen=True)
class Reply:
    """One answer read off the wire."""

    status: int
    headers: dict[str, str]
    body: bytes

    def message(self) -> str:
        """The JSON answer's message."""
        return str(json.loads(self.body)["message"])


def exchange(url: str, raw: bytes, *, wait: float = 5) -> list[Reply]:
    """Write ``raw`` to the server at ``url``; every answer until it closes.

    Stops reading ``wait`` seconds after the last byte arrived: a server still
    waiting for the request then gives no answer at all.
    """
    where = urlsplit(url)
    with socket.create_connection((where.hostname, where.port), timeout=wait) as s:
        s.sendall(raw)
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except TimeoutError:
            pass
    replies = []
    while data:
        head, _, data = data.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", 0))
        replies.append(Reply(int(status_line.split()[1]), headers, data[:length]))
        data = data[length:]
    return replies


def host_of(url: str) -> str:
    """The Host header a client of ``url`` sends."""
    return urlsplit(url).netloc


def post(url: str, path: str, body: bytes, *headers: str) -> bytes:
    """A raw POST with ``headers`` (already formatted) and Connection: close."""
    lines = [f"POST {path} HTTP/1.1", f"Host: {host_of(url)}", *headers]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def chunked(body: bytes, size: int = 100) -> bytes:
    """``body`` in chunked transfer coding."""
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    coded = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts)
    return coded + b"0\r\n\r\n"


def nothing_started(stack: StackProcess, order_id: str) -> None:
    time.sleep(0.3)
    assert stack.store.get_subject(order_id) is None
    assert stack.executions_named(order_id) == []


def test_a_chunked_post_is_one_request_with_its_body(stack: StackProcess) -> None:
    body = json.dumps(low_risk_order("HTTP-CHUNKED")).encode()

    replies = exchange(
        stack.api,
        post(stack.api, "/orders", chunked(body), "Transfer-Encoding: chunked"),
    )

    assert [r.status for r in replies] == [202], replies
    assert json.loads(replies[0].body)["order_id"] == "HTTP-CHUNKED"
    stack.wait_for_status("HTTP-CHUNKED", OrderStatus.COMPLETED)


@pytest.mark.parametrize(
    "lengths",
    [["-1"], ["+5"], ["5", "5"], ["2", "40"], ["1e3"]],
    ids=["negative", "signed", "twice", "two values", "not digits"],
)
def test_a_malformed_content_length_is_refused_at_once(
    stack: StackProcess, lengths: list[str]
) -> None:
    body = json.dumps(low_risk_order("HTTP-BAD-CL")).encode()
    raw = post(stack.api, "/orders", body, *(f"Content-Length: {n}" for n in lengths))

    started = time.monotonic()
    replies = exchange(stack.api, raw)

    assert [r.status for r in replies] == [400], replies
    assert "Content-Length" in replies[0].message()
    assert time.monotonic() - started < 4  # answered, not waited out
    nothing_started(stack, "HTTP-BAD-CL")


def test_a_transfer_coding_it_cannot_read_is_refused(stack: StackProcess) -> None:
    body = json.dumps(low_risk_order("HTTP-GZIP")).encode()

    replies = exchange(
        stack.api, post(stack.api, "/orders", body, "Transfer-Encoding: gzip")
    )

    assert [r.status for r in replies] == [501], replies
    nothing_started(stack, "HTTP-GZIP")


@pytest.mark.parametrize(
    "host",
    ["evil.example", "evil.example:{port}", "127.0.0.2:{port}", "127.0.0.1:1",
     "localhost.evil.example:{port}", "127.0.0.1:{port}, evil.example"],
)  # fmt: skip
def test_a_host_that_is_not_the_loopback_stack_is_refused(
    stack: StackProcess, host: str
) -> None:
    port = urlsplit(stack.api).port
    raw = f"GET /outbox HTTP/1.1\r\nHost: {host.format(port=port)}\r\n"
    raw += "Connection: close\r\n\r\n"

    (reply,) = exchange(stack.api, raw.encode())

    assert reply.status == 421
    assert f"localhost:{port}" in reply.message()
    assert reply.headers["content-type"] == "application/json"


def test_a_request_without_a_host_is_refused(stack: StackProcess) -> None:
    (reply,) = exchange(stack.api, b"GET /health HTTP/1.1\r\nConnection: close\r\n\r\n")

    assert reply.status == 400
    assert "Host" in reply.message()


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1", "[::1]", "LOCALHOST"])
def test_the_loopback_names_with_the_stacks_port_are_served(
    stack: StackProcess, name: str
) -> None:
    port = urlsplit(stack.api).port
    raw = f"GET /health HTTP/1.1\r\nHost: {name}:{port}\r\nConnection: close\r\n\r\n"

    (reply,) = exchange(stack.api, raw.encode())

    assert (reply.status, json.loads(reply.body)) == (200, {"status": "ok"})


def test_an_order_posted_from_a_foreign_origin_is_refused(
    stack: StackProcess,
) -> None:
    body = json.dumps(low_risk_order("HTTP-ORIGIN")).encode()
    raw = post(
        stack.api,
        "/orders",
        body,
        f"Content-Length: {len(body)}",
        "Content-Type: text/plain",  # what a cross-site form or fetch may send
        f"Origin: {FOREIGN}",
    )

    (reply,) = exchange(stack.api, raw)

    assert reply.status == 403
    assert FOREIGN in reply.message()
    nothing_started(stack, "HTTP-ORIGIN")


def test_a_decision_posted_from_a_foreign_origin_is_refused_and_audited(
    stack: StackProcess,
) -> None:
    assert stack.submit(high_risk_order("HTTP-ORIGIN-APPROVAL"))[0] == 202
    stack.wait_for_status("HTTP-ORIGIN-APPROVAL", OrderStatus.AWAITING_APPROVAL)
    link = link_of(stack, "HTTP-ORIGIN-APPROVAL")
    form = {"csrf": csrf_in(fetch(link).body), "decision": "approve"}

    # Another loopback name is another origin: only the links' own one decides.
    origins = [FOREIGN, "null", stack.api.replace("127.0.0.1", "localhost")]
    for origin in origins:
        answer = fetch(link, "POST", form, {"Origin": origin})
        assert answer.status == 403, origin
        assert "could not be verified" in answer.body

    assert actions(stack, "HTTP-ORIGIN-APPROVAL") == ["requested"] + ["refused"] * 3
    reasons = [e.detail["reason"] for e in trail(stack, "HTTP-ORIGIN-APPROVAL")[1:]]
    assert reasons == [f"foreign origin {o}" for o in origins]
    # The page's own origin, as a browser sends it, still decides.
    assert fetch(link, "POST", form, {"Origin": stack.api}).status == 200
    stack.wait_for_status("HTTP-ORIGIN-APPROVAL", OrderStatus.COMPLETED)


def test_the_lambda_endpoint_refuses_foreign_hosts_and_any_origin(
    stack: StackProcess,
) -> None:
    url = stack.endpoints["lambda_url"]
    path = "/2015-03-31/functions/OrderWorkflowFunction/invocations"
    body = json.dumps(low_risk_order("HTTP-LAMBDA")).encode()
    length = f"Content-Length: {len(body)}\r\nX-Amz-Durable-Execution-Name: HTTP-LAMBDA"
    evil_host = post(url, path, body, length).replace(
        f"Host: {host_of(url)}".encode(), b"Host: evil.example"
    )

    (wrong_host,) = exchange(url, evil_host)
    (with_origin,) = exchange(url, post(url, path, body, length, f"Origin: {FOREIGN}"))

    assert wrong_host.status == 421
    assert with_origin.status == 403
    assert "Origin" in with_origin.message()
    nothing_started(stack, "HTTP-LAMBDA")
