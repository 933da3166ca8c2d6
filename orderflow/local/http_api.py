"""A local HTTP API: requests in, API Gateway HTTP API (v2) events to the same handlers.

Routes come from the template's ``HttpApi`` events. Like API Gateway it answers
404 for an unknown route, 413 for a body over 10 MiB and 500 when a function
fails, and it never lets one slow client hold the server. It is served by
waitress (orderflow/local/serving.py): malformed framing is refused before any
handler runs, and only loopback host names are answered.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from orderflow.local.log_redaction import redact
from orderflow.local.serving import (
    Environ,
    LoopbackServer,
    StartResponse,
    json_message,
    request_headers,
    respond,
    target,
)
from orderflow.local.template import FunctionSpec, RouteSpec

log = logging.getLogger("orderflow.local.http")

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway HTTP API's payload limit
Invoker = Callable[[FunctionSpec, Any], tuple[bytes, bool]]
# A local-only page (GET /outbox, /timeline): given the query string, status,
# headers and body. Not in template.yaml.
LocalPage = Callable[[str], tuple[int, dict[str, str], bytes]]


def build_event(
    route: RouteSpec,
    *,
    method: str,
    raw_path: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
    path_parameters: dict[str, str],
    source_ip: str,
) -> dict[str, Any]:
    """The API Gateway HTTP API payload format 2.0 event for one request."""
    now = datetime.now(UTC)
    try:
        text, encoded = body.decode(), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": headers.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route.route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": encoded,
    }
    if query:
        event["queryStringParameters"] = dict(parse_qsl(query, keep_blank_values=True))
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body:
        event["body"] = text
    return event


class HttpApi:
    """The local HTTP API server."""

    def __init__(
        self,
        functions: dict[str, FunctionSpec],
        invoke: Invoker,
        *,
        host: str = "127.0.0.1",
        port: int = 3000,
        pages: dict[str, LocalPage] | None = None,
    ) -> None:
        self.pages = pages or {}
        self.routes = [
            (route, spec) for spec in functions.values() for route in spec.routes
        ]
        self.invoke = invoke
        self.server = LoopbackServer(
            self._serve,
            host=host,
            port=port,
            name="orderflow-http-api",
            max_body_bytes=MAX_BODY_BYTES,
            client_timeout=30,  # seconds a client may sit idle on a connection
        )

    def start(self) -> None:
        """Serve in a background thread."""
        self.server.start()

    def stop(self) -> None:
        """Stop serving; safe before start and twice."""
        self.server.stop()

    @property
    def url(self) -> str:
        """The API's base URL."""
        return self.server.url

    def match(
        self, method: str, path: str
    ) -> tuple[RouteSpec, FunctionSpec, dict[str, str]] | None:
        """The route, function and path parameters for a request, if any."""
        for route, spec in self.routes:
            found = route.pattern.match(path)
            if found and route.method in (method, "ANY"):
                return route, spec, found.groupdict()
        return None

    def _serve(
        self, environ: Environ, start_response: StartResponse
    ) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        status, headers, body = self._answer(environ, method)
        log.debug(
            '%s "%s %s" %s',
            environ.get("REMOTE_ADDR"),
            method,
            redact(environ.get("REQUEST_URI", "")),
            status,
        )
        return respond(start_response, status, body, headers, head=method == "HEAD")

    def _answer(
        self, environ: Environ, method: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        started = time.perf_counter()
        path, query = target(environ)
        page = self.pages.get(path)
        if page is not None and method in ("GET", "HEAD"):
            try:
                status, page_headers, content = page(query)
            except Exception:
                log.exception("local page %s failed", path)
                return json_message(500, "Internal Server Error")
            return status, list(page_headers.items()), content
        found = self.match(method, path)
        if found is None:
            return json_message(404, "Not Found")
        route, spec, params = found
        event = build_event(
            route,
            method=method,
            raw_path=path,
            query=query,
            headers=request_headers(environ),
            body=environ["wsgi.input"].read(),
            path_parameters=params,
            source_ip=environ.get("REMOTE_ADDR", ""),
        )
        output, failed = self.invoke(spec, event)
        if failed:
            return json_message(500, "Internal Server Error")
        log.info(
            "%s %s -> %s in %.0f ms",
            method,
            route.path,
            spec.logical_id,
            (time.perf_counter() - started) * 1000,
        )
        return _response(json.loads(output))


def _response(result: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """A function's result as HTTP API sends it: status, headers, body."""
    if not isinstance(result, dict) or "statusCode" not in result:
        # HTTP API's rule for a function that returns a bare value.
        return 200, [("Content-Type", "application/json")], json.dumps(result).encode()
    body = result.get("body") or ""
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
    for key, values in (result.get("multiValueHeaders") or {}).items():
        headers[key] = ", ".join(map(str, values))
    cookies = [("Set-Cookie", str(c)) for c in result.get("cookies") or []]
    return int(result["statusCode"]), [*cookies, *headers.items()], raw
