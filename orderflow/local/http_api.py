"""A local HTTP API: requests in, API Gateway HTTP API (v2) events to the same handlers.

Routes come from the template's ``HttpApi`` events. Like API Gateway it answers
404 for an unknown route, 413 for a body over 10 MiB and 500 when a function
fails, and it never lets one slow client hold the server.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from orderflow.local.lambda_endpoint import QuietServer
from orderflow.local.log_redaction import redact
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
        api = self

        class Handler(_RequestHandler):
            owner = api

        self.server = QuietServer((host, port), Handler)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving; safe before start and twice."""
        if self._thread.is_alive():
            self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        """The API's base URL."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def match(
        self, method: str, path: str
    ) -> tuple[RouteSpec, FunctionSpec, dict[str, str]] | None:
        """The route, function and path parameters for a request, if any."""
        for route, spec in self.routes:
            found = route.pattern.match(path)
            if found and route.method in (method, "ANY"):
                return route, spec, found.groupdict()
        return None


class _RequestHandler(BaseHTTPRequestHandler):
    owner: HttpApi
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 30  # seconds a client may take to send its request

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), redact(format % args))

    def _reply(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str],
        cookies: Sequence[str] = (),
    ) -> None:
        self.send_response(status)
        for cookie in cookies:
            self.send_header("Set-Cookie", cookie)
        for key, value in headers.items():
            if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, message: str) -> None:
        body = json.dumps({"message": message}).encode()
        self._reply(status, body, {"Content-Type": "application/json"})

    def _dispatch(self) -> None:
        started = time.perf_counter()
        url = urlsplit(self.path)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._json(400, "Content-Length is not a number")
            return
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            self._json(
                413, f"Request body is {length} bytes; the limit is {MAX_BODY_BYTES}"
            )
            return
        body = self.rfile.read(length) if length else b""
        page = self.owner.pages.get(url.path)
        if page is not None and self.command in ("GET", "HEAD"):
            try:
                status, headers, content = page(url.query)
            except Exception:
                log.exception("local page %s failed", url.path)
                self._json(500, "Internal Server Error")
                return
            self._reply(status, content, headers)
            return
        found = self.owner.match(self.command, url.path)
        if found is None:
            self._json(404, "Not Found")
            return
        route, spec, params = found
        event = build_event(
            route,
            method=self.command,
            raw_path=url.path,
            query=url.query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            path_parameters=params,
            source_ip=self.client_address[0],
        )
        output, failed = self.owner.invoke(spec, event)
        if failed:
            self._json(500, "Internal Server Error")
            return
        self._respond(json.loads(output))
        log.info(
            "%s %s -> %s in %.0f ms",
            self.command,
            route.path,
            spec.logical_id,
            (time.perf_counter() - started) * 1000,
        )

    def _respond(self, result: Any) -> None:
        if not isinstance(result, dict) or "statusCode" not in result:
            # HTTP API's rule for a function that returns a bare value.
            self._reply(
                200, json.dumps(result).encode(), {"Content-Type": "application/json"}
            )
            return
        body = result.get("body") or ""
        raw = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
        headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
        for key, values in (result.get("multiValueHeaders") or {}).items():
            headers[key] = ", ".join(map(str, values))
        self._reply(
            int(result["statusCode"]), raw, headers, list(result.get("cookies") or [])
        )

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _dispatch
