"""A local Lambda endpoint: the template's handlers in-process, behind the Lambda API.

It is what ``AWS_ENDPOINT_URL_LAMBDA`` points at, for the handlers and for you:

- ``Invoke`` with the emulator's marker header runs one handler invocation;
- ``Invoke`` of a durable function by anyone else starts an execution, with AWS's
  rule for ``DurableExecutionName``: same name and payload returns the existing
  execution, same name and another payload is a 409
  ``DurableExecutionAlreadyStartedException`` (the emulator alone would start a
  second execution);
- ``Invoke`` of a plain function runs it and returns its output;
- ``ListFunctions``, ``GetFunction``, ``ListAliases``, ``GetAlias``,
  ``GetDurableExecution`` and
  ``ListDurableExecutionsByFunction`` answer here, in the Lambda API's shapes,
  with the names the functions are deployed under (``orderflow-order-workflow``;
  the template's logical ids stay accepted) and the qualifier an execution was
  invoked with;
- every other Lambda API call (checkpoints, state, callbacks, history) is passed
  through to AWS's durable-execution emulator, and a route neither serves is
  Lambda's ``UnknownOperationException``, never a 500.

The emulator knows each function by its logical id: the endpoint translates.

It is served by waitress (orderflow/local/serving.py), answers only loopback
host names, and refuses any request that carries an ``Origin``: SDKs and CLIs
send none, so one that does comes from a web page, and no page may start an
execution or complete a callback.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import logging
import re
import sqlite3
import threading
import time
import traceback
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from orderflow.local.log_redaction import redact
from orderflow.local.serving import (
    HOP_BY_HOP,
    Environ,
    LoopbackServer,
    StartResponse,
    request_headers,
    respond,
    target,
)
from orderflow.local.template import FunctionSpec
from orderflow.parts.nesting import TOO_DEEP, too_deep

log = logging.getLogger("orderflow.local.lambda")

INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")
LIST_FUNCTIONS_PATH = re.compile(r"^/2015-03-31/functions/?$")
FUNCTION_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)$")
ALIASES_PATH = re.compile(
    r"^/2015-03-31/functions/(?P<name>[^/]+)/aliases(?:/(?P<alias>[^/]+))?$"
)
EXECUTIONS_PATH = re.compile(
    r"^/2025-12-01/functions/(?P<name>[^/]+)/durable-executions$"
)
EXECUTION_PATH = re.compile(r"^/2025-12-01/durable-executions/(?P<arn>[^/]+)$")
MARKER_HEADER = "X-Dex-Handler-Invoke"
# How the emulator words a path it has no route for (its UnknownRouteError).
UNKNOWN_ROUTE = "Unknown path pattern"
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
# Lambda's payload limit is 6 MB; checkpoints are capped at 256 KiB.
MAX_BODY_BYTES = 16 * 1024 * 1024

SCHEMA = """
CREATE TABLE IF NOT EXISTS executions (
    name TEXT NOT NULL, function TEXT NOT NULL, payload_sha256 TEXT NOT NULL,
    arn TEXT NOT NULL, created_at REAL NOT NULL, qualifier TEXT NOT NULL
    DEFAULT '$LATEST', PRIMARY KEY (function, name));
CREATE TABLE IF NOT EXISTS invocations (
    id INTEGER PRIMARY KEY, execution_arn TEXT, function TEXT NOT NULL,
    started_at REAL NOT NULL, duration_ms REAL NOT NULL, outcome TEXT NOT NULL);
"""


@dataclass
class LocalLambdaContext:
    """The parts of Lambda's context object that handlers and libraries read."""

    function_name: str
    invoked_function_arn: str
    aws_request_id: str
    deadline: float
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 1024
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds until the emulated function time-out."""
        return max(0, int((self.deadline - time.monotonic()) * 1000))


class LambdaApiError(Exception):
    """An error answered the way the Lambda API answers it."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def split_function_name(name: str, qualifier: str | None) -> tuple[str, str]:
    """Name and qualifier from ``name``, ``name:alias`` or a (partial) ARN."""
    parts = unquote(name).split(":")
    if "function" in parts:
        parts = parts[parts.index("function") + 1 :]
    bare = parts[0]
    return bare, qualifier or (parts[1] if len(parts) > 1 else "$LATEST")


def function_arn(spec: FunctionSpec, qualifier: str | None = None) -> str:
    """The function's ARN under its deployed name, qualified if asked."""
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{spec.function_name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def configuration(spec: FunctionSpec, qualifier: str = "$LATEST") -> dict[str, Any]:
    """The function's ``FunctionConfiguration``, as ListFunctions and GetFunction
    answer it; an alias's is the version's configuration under the alias's ARN."""
    config: dict[str, Any] = {
        "FunctionName": spec.function_name,
        "FunctionArn": function_arn(
            spec, None if qualifier == "$LATEST" else qualifier
        ),
        "Runtime": spec.runtime,
        "Handler": spec.handler_name,
        "Description": spec.description,
        "Timeout": spec.timeout,
        "MemorySize": spec.memory_size,
        "Version": "$LATEST",
        "PackageType": "Zip",
        "State": "Active",
        "LastUpdateStatus": "Successful",
    }
    if spec.durable:
        config["DurableConfig"] = {
            "ExecutionTimeout": spec.execution_timeout,
            "RetentionPeriodInDays": spec.retention_days,
        }
    return config


def alias(spec: FunctionSpec, name: str) -> dict[str, Any]:
    """The ``AliasConfiguration`` of one of the function's aliases: locally each
    runs the code as it is, ``$LATEST`` (no versions are published)."""
    return {
        "AliasArn": function_arn(spec, name),
        "Name": name,
        "FunctionVersion": "$LATEST",
        "Description": "",
    }


def _marker(arn: str) -> str:
    return base64.urlsafe_b64encode(arn.encode()).decode()


def _after_marker(marker: str) -> str:
    try:
        return base64.urlsafe_b64decode(marker.encode()).decode()
    except (ValueError, UnicodeDecodeError) as e:
        raise LambdaApiError(
            400, "InvalidParameterValueException", f"invalid Marker: {marker}"
        ) from e


def _items(query: dict[str, list[str]], default: int, most: int) -> int:
    raw = (query.get("MaxItems") or [str(default)])[0]
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        raise LambdaApiError(
            400,
            "InvalidParameterValueException",
            f"MaxItems must be between 1 and {most}, not {raw}",
        )
    return int(raw)


def page(
    items: list[dict[str, Any]], key: str, query: dict[str, list[str]], most: int
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of ``items`` after the query's ``Marker``, and the next marker.

    The marker names the last item returned, not an offset: an execution
    started between two pages does not shift the next one.
    """
    size = _items(query, default=min(100, most), most=most)
    start = 0
    if query.get("Marker"):
        last = _after_marker(query["Marker"][0])
        keys = [item[key] for item in items]
        if last not in keys:
            raise LambdaApiError(
                400, "InvalidParameterValueException", "Marker is not of this listing"
            )
        start = keys.index(last) + 1
    chosen = items[start : start + size]
    more = start + size < len(items)
    return chosen, _marker(chosen[-1][key]) if more and chosen else None


class LambdaEndpoint:
    """The endpoint's state: functions, loaded handlers, the execution-name index."""

    def __init__(
        self,
        functions: dict[str, FunctionSpec],
        *,
        emulator_url: str,
        db_path: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        invocation_timeout: int = 900,
    ) -> None:
        self.functions = functions
        # Deployed names first, logical ids as aliases of them.
        self.names = {spec.function_name: spec for spec in functions.values()} | {
            spec.logical_id: spec for spec in functions.values()
        }
        self.emulator = urlsplit(emulator_url)
        self.db_path = db_path
        self.invocation_timeout = invocation_timeout
        self._handlers: dict[str, Any] = {}
        self._import_lock = threading.Lock()
        self._start_lock = threading.Lock()
        with self._db() as db:
            db.executescript(SCHEMA)
            columns = {
                row["name"] for row in db.execute("PRAGMA table_info(executions)")
            }
            if "qualifier" not in columns:  # a home made before qualifiers were kept
                db.execute(
                    "ALTER TABLE executions ADD COLUMN qualifier TEXT NOT NULL"
                    " DEFAULT '$LATEST'"
                )
        self.server = LoopbackServer(
            lambda environ, start: _Request(self, environ).serve(start),
            host=host,
            port=port,
            name="orderflow-lambda-endpoint",
            max_body_bytes=MAX_BODY_BYTES,
            client_timeout=120,
        )

    @property
    def url(self) -> str:
        """Where to point ``AWS_ENDPOINT_URL_LAMBDA``."""
        return self.server.url

    def start(self) -> None:
        """Serve in a background thread."""
        self.server.start()

    def stop(self) -> None:
        """Stop serving; safe before start and twice."""
        self.server.stop()

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            yield db
        finally:
            db.close()

    def function(self, name: str, qualifier: str | None = None) -> FunctionSpec:
        """The template function called ``name`` (deployed name or logical id),
        with ``qualifier`` one of its own if given, or a 404 in Lambda's words."""
        spec = self.names.get(name)
        if spec is None:
            raise LambdaApiError(
                404,
                "ResourceNotFoundException",
                f"Function not found: arn:aws:lambda:{REGION}:{ACCOUNT_ID}"
                f":function:{name}",
            )
        if qualifier not in (None, "$LATEST", *spec.aliases):
            raise LambdaApiError(
                404,
                "ResourceNotFoundException",
                f"Function not found: {function_arn(spec, qualifier)}",
            )
        return spec

    def handler(self, spec: FunctionSpec) -> Any:
        """The function's entry point, imported once."""
        with self._import_lock:
            if spec.logical_id not in self._handlers:
                self._handlers[spec.logical_id] = spec.load_handler()
            return self._handlers[spec.logical_id]

    def run_handler(
        self, spec: FunctionSpec, qualifier: str, event: Any
    ) -> tuple[bytes, bool]:
        """One invocation in-process: its JSON output, and whether it raised."""
        arn = (
            f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:"
            f"{spec.logical_id}:{qualifier}"
        )
        context = LocalLambdaContext(
            function_name=spec.logical_id,
            invoked_function_arn=arn,
            aws_request_id=str(uuid.uuid4()),
            deadline=time.monotonic() + self.invocation_timeout,
        )
        started, clock = time.time(), time.perf_counter()
        failed = False
        try:
            output = json.dumps(self.handler(spec)(event, context)).encode()
        except Exception as e:  # the function's own failure, reported like Lambda
            log.exception("function %s raised", spec.logical_id)
            failed = True
            output = json.dumps(
                {
                    "errorMessage": str(e),
                    "errorType": type(e).__name__,
                    "stackTrace": traceback.format_tb(e.__traceback__),
                }
            ).encode()
        elapsed_ms = (time.perf_counter() - clock) * 1000
        execution = (
            event.get("DurableExecutionArn") if isinstance(event, dict) else None
        )
        with self._db() as db:
            db.execute(
                "INSERT INTO invocations (execution_arn, function, started_at,"
                " duration_ms, outcome) VALUES (?, ?, ?, ?, ?)",
                (
                    execution,
                    spec.logical_id,
                    started,
                    elapsed_ms,
                    "error" if failed else "ok",
                ),
            )
        return output, failed

    def start_execution(
        self, spec: FunctionSpec, qualifier: str, name: str | None, payload: bytes
    ) -> str:
        """Start a durable execution, or return the one already under this name.

        The name is written down (with no ARN yet) before the emulator is asked
        to start it: if the process dies between the two, the next start of
        that name finds the row without an ARN and adopts the execution the
        emulator may already have, instead of starting a second one.
        """
        name = name or str(uuid.uuid4())
        digest = hashlib.sha256(payload).hexdigest()
        with self._start_lock, self._db() as db:
            row = db.execute(
                "SELECT payload_sha256, arn FROM executions"
                " WHERE function = ? AND name = ?",
                (spec.logical_id, name),
            ).fetchone()
            if row is not None and row["payload_sha256"] != digest:
                raise LambdaApiError(
                    409,
                    "DurableExecutionAlreadyStartedException",
                    f"Durable execution {name} already started with another payload",
                )
            if row is not None and row["arn"]:
                return str(row["arn"])
            arn = self._started_unrecorded(spec, name) if row is not None else None
            if row is None:
                db.execute(
                    "INSERT INTO executions (name, function, payload_sha256, arn,"
                    " created_at, qualifier) VALUES (?, ?, ?, '', ?, ?)",
                    (name, spec.logical_id, digest, time.time(), qualifier),
                )
            if arn is None:
                arn = self._start_in_emulator(spec, qualifier, name, payload)
            db.execute(
                "UPDATE executions SET arn = ? WHERE function = ? AND name = ?",
                (arn, spec.logical_id, name),
            )
            return arn

    def _start_in_emulator(
        self, spec: FunctionSpec, qualifier: str, name: str, payload: bytes
    ) -> str:
        body = {
            "AccountId": ACCOUNT_ID,
            "FunctionName": spec.logical_id,
            "FunctionQualifier": qualifier,
            "ExecutionName": name,
            "ExecutionTimeoutSeconds": spec.execution_timeout,
            "ExecutionRetentionPeriodDays": spec.retention_days,
            "Input": payload.decode(),
        }
        status, _, answer = self.forward(
            "POST", "/start-durable-execution", {}, json.dumps(body).encode()
        )
        if status not in (200, 201):
            raise LambdaApiError(
                502, "ServiceException", answer.decode(errors="replace")
            )
        return str(json.loads(answer)["ExecutionArn"])

    def _started_unrecorded(self, spec: FunctionSpec, name: str) -> str | None:
        """The emulator's execution called ``name``, started before a crash."""
        found = self.executions_of(spec, {"DurableExecutionName": [name]})
        return str(found[0]["DurableExecutionArn"]) if found else None

    def invoked_as(
        self, *, function: str | None = None, arn: str | None = None
    ) -> dict[str, tuple[str, str]]:
        """By execution ARN, the function (logical id) and qualifier each
        execution started through this endpoint was invoked with: those of
        ``function``, or the one execution ``arn``."""
        with self._db() as db:
            rows = db.execute(
                "SELECT arn, function, qualifier FROM executions WHERE arn != ''"
                " AND (:f IS NULL OR function = :f) AND (:a IS NULL OR arn = :a)",
                {"f": function, "a": arn},
            ).fetchall()
        return {row["arn"]: (row["function"], row["qualifier"]) for row in rows}

    def as_invoked(
        self, execution: dict[str, Any], invoked: dict[str, tuple[str, str]]
    ) -> dict[str, Any]:
        """An emulator execution (summary or detail) as Lambda reports it: under
        the function's deployed name, with the qualifier it was invoked with."""
        known = invoked.get(execution.get("DurableExecutionArn", ""))
        if known is None:
            return execution
        logical_id, qualifier = known
        spec = self.functions.get(logical_id)
        if spec is None:
            return execution
        answer = {**execution, "FunctionArn": function_arn(spec, qualifier)}
        if "Version" in execution:
            answer["Version"] = qualifier
        return answer

    def executions_of(
        self, spec: FunctionSpec, query: dict[str, list[str]]
    ) -> list[dict[str, Any]]:
        """Every execution of ``spec`` matching the query's filters, newest first
        (oldest first with ``ReverseOrder``), as the emulator lists them."""
        passed = {
            k: v[0]
            for k, v in query.items()
            if k in ("DurableExecutionName", "StartedAfter", "StartedBefore") and v
        }
        found: list[dict[str, Any]] = []
        marker: str | None = None
        while True:
            params = {
                **passed,
                "MaxItems": "1000",
                **({"Marker": marker} if marker else {}),
            }
            status, _, answer = self.forward(
                "GET",
                f"/2025-12-01/functions/{quote(spec.logical_id)}/durable-executions"
                f"?{urlencode(params)}",
                {},
                b"",
            )
            if status != 200:
                raise LambdaApiError(
                    502, "ServiceException", answer.decode(errors="replace")
                )
            listed = json.loads(answer)
            found += listed.get("DurableExecutions", [])
            marker = listed.get("NextMarker")
            if not marker:
                break
        name = passed.get("DurableExecutionName")
        statuses = set(query.get("Statuses", []))
        qualifier = query["Qualifier"][0] if query.get("Qualifier") else None
        invoked = self.invoked_as(function=spec.logical_id)
        chosen = [
            self.as_invoked(e, invoked)
            for e in found
            if (name is None or e.get("DurableExecutionName") == name)
            and (not statuses or e.get("Status") in statuses)
            and (
                qualifier is None
                or invoked.get(e["DurableExecutionArn"], ("", "$LATEST"))[1]
                == qualifier
            )
        ]
        oldest_first = (query.get("ReverseOrder") or ["false"])[0].lower() == "true"
        chosen.sort(
            key=lambda e: (e.get("StartTimestamp") or 0, e["DurableExecutionArn"]),
            reverse=not oldest_first,
        )
        return chosen

    def forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """Pass a request through to the emulator."""
        conn = http.client.HTTPConnection(
            self.emulator.hostname or "127.0.0.1", self.emulator.port, timeout=60
        )
        try:
            conn.request(method, path, body=body or None, headers=headers)
            response = conn.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            conn.close()


class _Request:
    """One request to the endpoint: an Invoke, or a call passed to the emulator."""

    def __init__(self, owner: LambdaEndpoint, environ: Environ) -> None:
        self.owner, self.environ = owner, environ
        self.command = environ["REQUEST_METHOD"]
        self.headers = request_headers(environ)

    def serve(self, start_response: StartResponse) -> Iterable[bytes]:
        """Answer the request; every outcome is logged with ids cut out."""
        status, headers, body = self._answer()
        # Callback ids travel in the Lambda API's paths: cut them out.
        line = redact(f"{self.command} {self.environ.get('REQUEST_URI', '')}")
        log.debug('%s "%s" %s', self.environ.get("REMOTE_ADDR"), line, status)
        return respond(start_response, status, body, headers)

    def _answer(self) -> tuple[int, list[tuple[str, str]], bytes]:
        try:
            if "origin" in self.headers:
                raise LambdaApiError(
                    403,
                    "AccessDeniedException",
                    f"a web page (Origin {self.headers['origin']}) may not call "
                    "the Lambda API",
                )
            return self._dispatch(self.environ["wsgi.input"].read())
        except LambdaApiError as e:
            return _error(e)
        except (ConnectionError, OSError) as e:
            return _error(
                LambdaApiError(503, "ServiceException", f"emulator unreachable: {e}")
            )

    def _dispatch(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        path, query = target(self.environ)
        match = INVOKE_PATH.match(path)
        if self.command == "POST" and match:
            return self._invoke(match["name"], parse_qs(query), body)
        if self.command == "GET":
            served = self._served_here(path, parse_qs(query))
            if served is not None:
                return _json(200, served)
        if self.command not in ("GET", "POST", "PUT", "DELETE"):
            raise LambdaApiError(501, "UnsupportedMethod", f"no {self.command} here")
        headers = {
            k: v for k, v in self.headers.items() if k not in HOP_BY_HOP | {"host"}
        }
        uri = f"{path}?{query}" if query else path
        # ``respond`` drops the emulator's hop-by-hop headers, as for every answer.
        answer = _lambda_error(self.owner.forward(self.command, uri, headers, body))
        if answer[0] == 200 and self.command == "GET" and EXECUTION_PATH.match(path):
            execution = json.loads(answer[2])
            invoked = self.owner.invoked_as(arn=execution.get("DurableExecutionArn"))
            return _json(200, self.owner.as_invoked(execution, invoked))
        return answer

    def _served_here(
        self, path: str, query: dict[str, list[str]]
    ) -> dict[str, Any] | None:
        """The Lambda API's reads of functions and their executions, or None."""
        owner = self.owner
        if LIST_FUNCTIONS_PATH.match(path):
            listed = sorted(
                (configuration(spec) for spec in owner.functions.values()),
                key=lambda c: str(c["FunctionName"]),
            )
            functions, marker = page(listed, "FunctionName", query, most=50)
            return {
                "Functions": functions,
                **({"NextMarker": marker} if marker else {}),
            }
        if match := FUNCTION_PATH.match(path):
            name, qualifier = split_function_name(
                match["name"], query["Qualifier"][0] if query.get("Qualifier") else None
            )
            spec = owner.function(name, qualifier)
            return {"Configuration": configuration(spec, qualifier)}
        if match := ALIASES_PATH.match(path):
            spec = owner.function(split_function_name(match["name"], None)[0])
            if match["alias"]:
                return alias(
                    owner.function(spec.function_name, match["alias"]), match["alias"]
                )
            aliases, marker = page(
                [alias(spec, name) for name in spec.aliases], "Name", query, most=10000
            )
            return {"Aliases": aliases, **({"NextMarker": marker} if marker else {})}
        if match := EXECUTIONS_PATH.match(path):
            name, qualifier = split_function_name(match["name"], None)
            spec = owner.function(name)
            if qualifier != "$LATEST" and not query.get("Qualifier"):
                query = {**query, "Qualifier": [qualifier]}
            executions = owner.executions_of(spec, query)
            chosen, marker = page(executions, "DurableExecutionArn", query, most=1000)
            return {
                "DurableExecutions": chosen,
                **({"NextMarker": marker} if marker else {}),
            }
        return None

    def _invoke(
        self, raw_name: str, query: dict[str, list[str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        qualifiers = query.get("Qualifier") or []
        name, qualifier = split_function_name(
            raw_name, qualifiers[0] if qualifiers else None
        )
        handler_invoke = self.headers.get(MARKER_HEADER.lower(), "").lower() == "true"
        # The emulator invokes handlers by logical id, with whatever qualifier it
        # was started with; anyone else names a function and one of its own.
        spec = self.owner.function(name, None if handler_invoke else qualifier)
        if too_deep(body):
            # Parsed as it is, by the emulator (a start's input) or here (an
            # event), it would recurse past Python's limit: a 500, not a refusal.
            raise LambdaApiError(
                400, "InvalidRequestContentException", f"the payload {TOO_DEEP}"
            )
        if spec.durable and not handler_invoke:
            arn = self.owner.start_execution(
                spec, qualifier, self.headers.get("x-amz-durable-execution-name"), body
            )
            asynchronous = self.headers.get("x-amz-invocation-type") == "Event"
            headers = [
                ("X-Amz-Durable-Execution-Arn", arn),
                ("X-Amz-Executed-Version", qualifier),
            ]
            return (
                202 if asynchronous else 200,
                headers,
                b"" if asynchronous else b"null",
            )
        try:
            event = json.loads(body or b"{}")
        except ValueError as e:
            raise LambdaApiError(400, "InvalidRequestContentException", str(e)) from e
        output, failed = self.owner.run_handler(spec, qualifier, event)
        headers = [
            ("Content-Type", "application/json"),
            ("X-Amz-Executed-Version", qualifier),
        ]
        if failed:
            headers.append(("X-Amz-Function-Error", "Unhandled"))
        return 200, headers, output


def _lambda_error(
    answer: tuple[int, list[tuple[str, str]], bytes],
) -> tuple[int, list[tuple[str, str]], bytes]:
    """An emulator error with the code where Lambda puts it, ``x-amzn-ErrorType``.

    The emulator names its error only in the body's ``Type``, which boto3 does
    not read: a refused callback (``ResourceNotFoundException`` for an ended
    execution, orderflow/local/status_events.py) would reach the callback
    adapter as a bare 404 instead of the exception Lambda raises. A route the
    emulator does not serve is Lambda's answer to an unknown operation.
    """
    status, headers, body = answer
    if status < 400 or any(k.lower() == "x-amzn-errortype" for k, _ in headers):
        return answer
    try:
        parsed = json.loads(body)
        code = parsed.get("Type")
    except (ValueError, AttributeError):
        return answer
    if UNKNOWN_ROUTE in json.dumps(parsed):
        return _error(
            LambdaApiError(404, "UnknownOperationException", "Unknown operation")
        )
    if not isinstance(code, str) or not code.endswith("Exception"):
        return answer
    return status, [*headers, ("x-amzn-ErrorType", code)], body


def _json(status: int, data: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    return status, [("Content-Type", "application/json")], json.dumps(data).encode()


def _error(e: LambdaApiError) -> tuple[int, list[tuple[str, str]], bytes]:
    body = json.dumps({"Type": "User", "Message": e.message, "message": e.message})
    headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", e.code)]
    return e.status, headers, body.encode()
