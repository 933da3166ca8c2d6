"""The local stack's servers answer without Nagle's delay.

A server that writes a response's headers and its body in two sends with
Nagle's algorithm on makes the body wait for the client's ACK of the headers,
which Linux delays by up to 40 ms: under http.server every checkpoint the
workflow sent through the Lambda endpoint stalled (one order at a time: 623 ms
on the local stack, 232 ms after; bench/bench_local_stack.py,
docs/benchmarks.md). This checks the option on the connections the servers
accept, rather than timing them.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orderflow.local import http_api, lambda_endpoint, serving
from orderflow.local.template import read_functions

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


@pytest.fixture
def nodelay_seen(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """TCP_NODELAY of every connection either server accepts, as it accepts it."""
    seen: list[int] = []
    original = serving._Server.set_socket_options

    def set_socket_options(self: Any, conn: socket.socket) -> None:
        original(self, conn)
        seen.append(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    monkeypatch.setattr(serving._Server, "set_socket_options", set_socket_options)
    yield seen


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as e:
        return e.code


def test_the_http_api_accepts_connections_with_nagle_off(
    nodelay_seen: list[int],
) -> None:
    def invoke(_spec: Any, _event: Any) -> tuple[bytes, bool]:
        return b'{"statusCode": 200, "body": "{}"}', False

    api = http_api.HttpApi(read_functions(TEMPLATE), invoke, port=0)
    api.start()
    try:
        assert _get(api.url + "/health") == 200
    finally:
        api.stop()

    assert nodelay_seen and all(nodelay_seen), nodelay_seen


def test_the_lambda_endpoint_accepts_connections_with_nagle_off(
    tmp_path: Path, nodelay_seen: list[int]
) -> None:
    endpoint = lambda_endpoint.LambdaEndpoint(
        read_functions(TEMPLATE),
        emulator_url="http://127.0.0.1:9",  # nothing listens: a 503, still answered
        db_path=tmp_path / "lambda.db",
    )
    endpoint.start()
    try:
        assert _get(endpoint.url + "/2025-12-01/durable-executions") == 503
    finally:
        endpoint.stop()

    assert nodelay_seen and all(nodelay_seen), nodelay_seen


def test_stopping_answers_the_request_in_flight_then_refuses_connections() -> None:
    started = threading.Event()

    def slow(_spec: Any, _event: Any) -> tuple[bytes, bool]:
        started.set()
        time.sleep(1)
        return b'{"statusCode": 200, "body": "{}"}', False

    api = http_api.HttpApi(read_functions(TEMPLATE), slow, port=0)
    api.stop()  # before start: nothing to stop, and no error
    api = http_api.HttpApi(read_functions(TEMPLATE), slow, port=0)
    api.start()
    answers: list[int] = []
    request = threading.Thread(target=lambda: answers.append(_get(api.url + "/health")))
    request.start()
    assert started.wait(10)

    api.stop()
    api.stop()

    request.join(10)
    assert answers == [200]
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(api.url + "/health", timeout=5)


@pytest.mark.parametrize("function", ["OrderWorkflowFunction", "StartOrderFunction"])
def test_the_lambda_endpoint_refuses_a_payload_nested_too_deep(
    tmp_path: Path, function: str
) -> None:
    # A durable start's input goes to the emulator, which parses it (and would
    # crash); an event is parsed here. Either is refused first, saying why.
    endpoint = lambda_endpoint.LambdaEndpoint(
        read_functions(TEMPLATE),
        emulator_url="http://127.0.0.1:9",
        db_path=tmp_path / "lambda.db",
    )
    url = f"/2015-03-31/functions/{function}/invocations"
    endpoint.start()
    try:
        request = urllib.request.Request(endpoint.url + url, data=b"[" * 40_000)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
    finally:
        endpoint.stop()

    assert refused.value.code == 400
    assert refused.value.headers["x-amzn-ErrorType"] == "InvalidRequestContentException"
    assert b"more than 32 levels deep" in refused.value.read()
