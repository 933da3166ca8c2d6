"""Serve a WSGI app on loopback with waitress: the local stack's two servers.

waitress parses HTTP/1.1 (chunked bodies; a Content-Length that is negative,
signed, repeated or not a number, or a transfer coding it cannot read, is
refused with 400 or 501 and the connection closed) and reads every request
whole in its I/O loop before the app runs, so a slow client holds no thread.
Each request then runs on a thread of its own, as it did under http.server:
handlers call the Lambda endpoint from inside an invocation that already holds
one, so a fixed pool could fill with callers waiting on each other. Why
waitress: docs/design.md, "The local stack".

Only loopback names with the server's own port are answered (the Host check):
a DNS-rebinding page, whose requests carry its own host name, gets 421.
"""

from __future__ import annotations

import json
import logging
import threading
import traceback
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask

from orderflow.http_errors import JSON_HEADERS
from orderflow.local.log_redaction import RedactingFilter, redact

log = logging.getLogger("orderflow.local.serving")
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
# Not the app's to send: waitress frames the message (PEP 3333).
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)
STOP_GRACE_SECONDS = 5

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]

# waitress names the request path in some records ("Client disconnected while
# serving /approvals/<token>"), and an approval token is a credential.
for _name in ("waitress", "waitress.queue"):
    logging.getLogger(_name).addFilter(RedactingFilter())


def status_line(code: int) -> str:
    """``200 OK``: the status as WSGI wants it."""
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"{code} Unknown"


def respond(
    start_response: StartResponse,
    status: int,
    body: bytes,
    headers: Iterable[tuple[str, str]],
    *,
    head: bool = False,
) -> list[bytes]:
    """Start the response, with its length, and give its body (none for HEAD)."""
    kept = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP]
    start_response(status_line(status), [*kept, ("Content-Length", str(len(body)))])
    return [] if head else [body]


def json_message(status: int, message: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """A ``{"message": ...}`` answer, as API Gateway words its own errors."""
    headers = [("Content-Type", "application/json"), *JSON_HEADERS.items()]
    return status, headers, json.dumps({"message": message}).encode()


def request_headers(environ: Environ) -> dict[str, str]:
    """The request's headers, lower-case names (repeats joined by ``, ``)."""
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = environ[key]
    return headers


def target(environ: Environ) -> tuple[str, str]:
    """The request's path and query string, as sent (not percent-decoded)."""
    uri = environ.get("REQUEST_URI", "")
    if not uri.startswith("/"):  # the absolute form
        split = urlsplit(uri)
        return split.path or "/", split.query
    path, _, query = uri.partition("?")
    return path, query


def host_problem(environ: Environ, port: int) -> tuple[int, str] | None:
    """Why this request's Host is not this loopback server's, if it is not."""
    allowed = [f"{name}:{port}" for name in LOOPBACK_NAMES]
    if port == 80:
        allowed += LOOPBACK_NAMES
    names = ", ".join(allowed[:3])
    host = environ.get("HTTP_HOST")
    uri = urlsplit(environ.get("REQUEST_URI", ""))
    authority = uri.netloc if uri.scheme else ""  # GET http://host/path
    if not host:
        return 400, f"the Host header is missing; send one of {names}"
    for given in filter(None, (host, authority)):
        if given.lower() not in allowed:
            why = f"Host {given!r} is not this local stack, which answers only to"
            return 421, f"{why} {names}"
    return None


class _JsonErrorTask(ErrorTask):  # type: ignore[misc]
    """waitress's own refusals (bad framing, too large), worded as JSON."""

    def execute(self) -> None:
        error = self.request.error
        message = f"{error.reason}: {error.body}"
        if error.code == 413:
            limit = self.channel.server.adj.max_request_body_size
            message = f"Request body is over the limit of {limit} bytes"
        status, headers, body = json_message(error.code, message)
        self.status = status_line(status)
        self.response_headers.extend(headers)
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _Channel(HTTPChannel):  # type: ignore[misc]
    error_task_class = _JsonErrorTask


class _Server(TcpWSGIServer):  # type: ignore[misc]
    channel_class = _Channel


class _ThreadPerRequest:
    """waitress's task dispatcher, with one daemon thread per request."""

    def __init__(self) -> None:
        self._busy = 0
        self._idle = threading.Condition()

    def set_thread_count(self, count: int) -> None:
        """waitress sizes its pool with this; there is no pool."""

    def add_task(self, task: Any) -> None:
        """Serve ``task`` (a connection with a request read whole) now."""
        with self._idle:
            self._busy += 1
        threading.Thread(target=self._serve, args=(task,), daemon=True).start()

    def _serve(self, task: Any) -> None:
        try:
            task.service()
        except BaseException:  # the thread's last stop: log, never print
            log.debug("serving a request failed", exc_info=True)
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def shutdown(self, cancel_pending: bool = True, timeout: float = 5) -> bool:
        """Wait up to ``timeout`` seconds for requests in flight; all done?"""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)


class LoopbackServer:
    """A WSGI app served on a loopback address, in a background thread."""

    def __init__(
        self,
        app: WsgiApp,
        *,
        host: str,
        port: int,
        name: str,
        max_body_bytes: int,
        client_timeout: int,
    ) -> None:
        self.app = app
        self._dispatcher = _ThreadPerRequest()
        self._server = _Server(
            self._guarded,
            host=host,
            port=port,
            dispatcher=self._dispatcher,
            max_request_body_size=max_body_bytes,
            channel_timeout=client_timeout,
            # Passed to the handlers as sent, as API Gateway passes them.
            clear_untrusted_proxy_headers=False,
            ident="orderflow-local",
            connection_limit=500,
        )
        self.port = int(self._server.effective_port)
        self.url = f"http://{self._server.effective_host}:{self.port}"
        self._thread = threading.Thread(target=self._server.run, name=name, daemon=True)
        self._stopped = False

    def _guarded(
        self, environ: Environ, start_response: StartResponse
    ) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        problem = host_problem(environ, self.port)
        if problem is not None:
            status, headers, body = json_message(*problem)
            log.warning("refused %s: %s", method, problem[1])
            return respond(start_response, status, body, headers)
        try:
            return self.app(environ, start_response)
        except Exception:  # an answer, never a dropped connection
            # Redacted: a path or an error text may quote a token or callback id.
            where = redact(f"{method} {environ.get('REQUEST_URI', '')}")
            log.error("%s failed: %s", where, redact(traceback.format_exc()))
            status, headers, body = json_message(500, "Internal Server Error")
            return respond(start_response, status, body, headers)

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, let requests in flight finish (a few seconds at most),
        then close every connection; safe before start and twice."""
        server = self._server
        if self._stopped:
            return
        self._stopped = True
        if not self._thread.is_alive():
            server.close()
            return
        stopped = threading.Event()

        def stop_accepting() -> None:
            server.accepting = False
            server.del_channel()
            server.socket.close()
            stopped.set()

        def close_all() -> None:
            for channel in list(server._map.values()):
                channel.close()
            server._map.clear()

        server.trigger.pull_trigger(stop_accepting)
        stopped.wait(STOP_GRACE_SECONDS)
        self._dispatcher.shutdown(timeout=STOP_GRACE_SECONDS)
        server.trigger.pull_trigger(close_all)
        self._thread.join(STOP_GRACE_SECONDS)
