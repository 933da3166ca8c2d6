"""Start and stop the whole local stack: emulator, Lambda endpoint, HTTP API.

The emulator is AWS's (the testing SDK's ``WebRunner``, as ``dex-local-runner``
runs it, plus recovery after a restart: orderflow/local/emulator.py) in a child
process with its SQLite store under the stack's home; the Lambda endpoint and the
HTTP API run in this process and import the template's handlers. Handlers reach
the emulator through ``AWS_ENDPOINT_URL_LAMBDA``, as they reach Lambda in AWS.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orderflow.local import function_logs
from orderflow.local.http_api import HttpApi
from orderflow.local.lambda_endpoint import REGION, LambdaEndpoint
from orderflow.local.outbox_page import OutboxPage
from orderflow.local.private import PRIVATE_UMASK, close_home, make_private
from orderflow.local.template import FunctionSpec, read_functions
from orderflow.local.timeline_page import TimelinePage

PROJECT_ROOT = Path(__file__).resolve().parents[2]
STACK_FILE = "stack.json"


def _die_with_parent() -> None:
    """In the emulator's process: end it when the stack's process dies, even by
    SIGKILL, so a killed stack never leaves an emulator holding its store."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class StackError(Exception):
    """The local stack could not start."""


# Where the Lambda endpoint and the emulator listen by default: next to the API.
LAMBDA_PORT_OFFSET, EMULATOR_PORT_OFFSET = 1, 2


def _port_setting(name: str) -> int | None:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or int(raw) > 65535:
        raise StackError(f"{name}={raw} is not a port number")
    return int(raw)


def port_in_use(host: str, port: int) -> bool:
    """True when something already listens on ``host:port``."""
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return True
        return False


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def csrf_secret(home: Path) -> str:
    """The stack's CSRF key, made once and kept in ``<home>/csrf.key`` (0600).

    Kept across restarts, so a page opened before a restart still posts after it.
    """
    path = home / "csrf.key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as key:
            key.write(secrets.token_hex(32))
    return path.read_text().strip()


def default_home() -> Path:
    """Where the stack keeps its state: ORDERFLOW_HOME, else ./.local."""
    return Path(os.environ.get("ORDERFLOW_HOME", ".local")).resolve()


@dataclass
class StackConfig:
    """Where the stack listens and keeps its state."""

    home: Path = field(default_factory=default_home)
    template: Path = field(
        default_factory=lambda: Path(
            os.environ.get("ORDERFLOW_TEMPLATE", PROJECT_ROOT / "template.yaml")
        )
    )
    host: str = "127.0.0.1"
    api_port: int = field(
        default_factory=lambda: int(os.environ.get("ORDERFLOW_PORT", 3000))
    )
    # Unset: ORDERFLOW_LAMBDA_PORT and ORDERFLOW_EMULATOR_PORT, else the API's
    # port plus 1 and plus 2, so they survive a restart (with the API on a
    # free port, port 0, they take free ports too).
    lambda_port: int | None = None
    emulator_port: int | None = None
    # Fast-forward durable waits and retry back-offs (tests); approvals still wait.
    skip_time: bool = False
    # Extra settings for the handlers (ORDERFLOW_* variables).
    env: dict[str, str] = field(default_factory=dict)

    def ports(self) -> tuple[int, int]:
        """The Lambda endpoint's and the emulator's ports (0: any free one)."""

        def port(explicit: int | None, setting: str, offset: int) -> int:
            if explicit is None:
                explicit = _port_setting(setting)
            if explicit is not None:
                return explicit
            return self.api_port + offset if self.api_port else 0

        return (
            port(self.lambda_port, "ORDERFLOW_LAMBDA_PORT", LAMBDA_PORT_OFFSET),
            port(self.emulator_port, "ORDERFLOW_EMULATOR_PORT", EMULATOR_PORT_OFFSET),
        )


@dataclass(frozen=True)
class Endpoints:
    """The running stack's addresses, also written to ``<home>/stack.json``."""

    api_url: str
    lambda_url: str
    emulator_url: str
    pid: int

    @classmethod
    def read(cls, home: Path) -> Endpoints | None:
        """The endpoints of the stack running with this home, if it still runs."""
        path = home / STACK_FILE
        if not path.exists():
            return None
        endpoints = cls(**json.loads(path.read_text()))
        try:
            os.kill(endpoints.pid, 0)
        except ProcessLookupError:
            return None  # killed without a chance to clean up
        return endpoints


class LocalStack:
    """The three servers, started together and stopped together."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.functions: dict[str, FunctionSpec] = {}
        self.emulator: subprocess.Popen[bytes] | None = None
        self.lambda_endpoint: LambdaEndpoint | None = None
        self.http_api: HttpApi | None = None
        self.emulator_port = 0
        self.kept_logs: function_logs.Kept | None = None

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def endpoints(self) -> Endpoints:
        """Addresses of the running stack."""
        assert self.lambda_endpoint and self.http_api
        return Endpoints(
            api_url=self.http_api.url,
            lambda_url=self.lambda_endpoint.url,
            emulator_url=f"http://{self.config.host}:{self.emulator_port}",
            pid=os.getpid(),
        )

    def start(self) -> Endpoints:
        """Start the emulator, the Lambda endpoint and the HTTP API."""
        cfg = self.config
        close_home(cfg.home)
        for name in ("orderflow.db", "lambda.db", "executions.sqlite"):
            make_private(cfg.home / name)
        if not cfg.template.exists():
            raise StackError(f"no template at {cfg.template}")
        self.functions = read_functions(cfg.template)
        lambda_port, emulator_port = cfg.ports()
        if emulator_port and port_in_use(cfg.host, emulator_port):
            raise StackError(
                f"cannot listen on {cfg.host}:{emulator_port} for the durable "
                "emulator: the port is in use; set ORDERFLOW_EMULATOR_PORT to "
                "another port (or ORDERFLOW_PORT to move all three)"
            )
        self.emulator_port = emulator_port or free_port(cfg.host)
        emulator_url = f"http://{cfg.host}:{self.emulator_port}"
        try:
            self.lambda_endpoint = LambdaEndpoint(
                self.functions,
                emulator_url=emulator_url,
                db_path=cfg.home / "lambda.db",
                host=cfg.host,
                port=lambda_port,
            )
        except OSError as e:
            raise StackError(
                f"cannot listen on {cfg.host}:{lambda_port} for the Lambda "
                f"endpoint ({e.strerror}); set ORDERFLOW_LAMBDA_PORT to another "
                "port (or ORDERFLOW_PORT to move all three)"
            ) from e
        try:
            outbox = OutboxPage(f"sqlite:{cfg.home / 'orderflow.db'}")
            self.http_api = HttpApi(
                self.functions,
                lambda spec, event: self._invoke_http(spec, event),
                host=cfg.host,
                port=cfg.api_port,
                pages={outbox.path: outbox, TimelinePage.path: TimelinePage(cfg.home)},
            )
        except OSError as e:
            self.lambda_endpoint.stop()
            raise StackError(
                f"cannot listen on {cfg.host}:{cfg.api_port} for the HTTP API "
                f"({e.strerror}); set ORDERFLOW_PORT to another port"
            ) from e
        self._set_handler_environment()
        self.kept_logs = function_logs.keep(cfg.home)
        # The endpoint serves first: on start the emulator re-drives unfinished
        # executions, which invokes their handlers at once.
        self.lambda_endpoint.start()
        try:
            self._start_emulator(emulator_url)
        except BaseException:
            self.stop()
            raise
        self._redeliver_decisions()
        self.http_api.start()
        endpoints = self.endpoints
        written = make_private(cfg.home / f"{STACK_FILE}.new")
        written.write_text(json.dumps(endpoints.__dict__, indent=2))
        written.replace(cfg.home / STACK_FILE)  # readers never see it half written
        return endpoints

    def _redeliver_decisions(self) -> None:
        """Complete the callbacks of decisions a crash cut off from their order.

        Before the HTTP API serves, nothing can be completing one: the process
        that was died with its requests. In AWS there is no such moment to
        sweep at (docs/approval-links.md).
        """
        from orderflow.adapters.lambda_callbacks import LambdaCallbacks
        from orderflow.adapters.stores import store_from_url
        from orderflow.parts.approvals.desk import redeliver_interrupted

        redeliver_interrupted(
            store_from_url(f"sqlite:{self.config.home / 'orderflow.db'}"),
            LambdaCallbacks(),
            decided_before=datetime.now(UTC),
        )

    def _invoke_http(self, spec: FunctionSpec, event: Any) -> tuple[bytes, bool]:
        assert self.lambda_endpoint
        return self.lambda_endpoint.run_handler(spec, "$LATEST", event)

    def _set_handler_environment(self) -> None:
        assert self.lambda_endpoint and self.http_api
        cfg = self.config
        os.environ.update(
            {
                "AWS_ENDPOINT_URL_LAMBDA": self.lambda_endpoint.url,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "local"),
                "AWS_SECRET_ACCESS_KEY": os.environ.get(
                    "AWS_SECRET_ACCESS_KEY", "local"
                ),
                "ORDERFLOW_STORE": f"sqlite:{cfg.home / 'orderflow.db'}",
                "ORDER_WORKFLOW_FUNCTION": "OrderWorkflowFunction:live",
                "ORDERFLOW_PUBLIC_URL": self.http_api.url,
                "ORDERFLOW_CSRF_SECRET": os.environ.get("ORDERFLOW_CSRF_SECRET")
                or csrf_secret(cfg.home),
                # INFO into the kept log file; the console shows WARNING and up
                # (orderflow/local/function_logs.py).
                "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "INFO"),
                "POWERTOOLS_SERVICE_NAME": "orderflow",  # as the template's Globals
                # The status-events function's EMF metrics have no CloudWatch here.
                "POWERTOOLS_METRICS_NAMESPACE": os.environ.get(
                    "POWERTOOLS_METRICS_NAMESPACE", "orderflow-local"
                ),
                "POWERTOOLS_METRICS_DISABLED": os.environ.get(
                    "POWERTOOLS_METRICS_DISABLED", "true"
                ),
                **cfg.env,
            }
        )
        sys.path.insert(0, str(cfg.template.parent))

    def _start_emulator(self, url: str) -> None:
        assert self.lambda_endpoint
        cfg = self.config
        log = make_private(cfg.home / "emulator.log").open("ab")
        command = [
            sys.executable,
            "-m",
            "orderflow.local.emulator",
            "--host",
            cfg.host,
            "--port",
            str(self.emulator_port),
            "--lambda-endpoint",
            self.lambda_endpoint.url,
            "--region",
            REGION,
            "--store-path",
            str(cfg.home / "executions.sqlite"),
            *(["--skip-time"] if cfg.skip_time else []),
        ]
        # As the template's StatusChange rule does: endings reach this function.
        listeners = [n for n, spec in self.functions.items() if spec.status_changes]
        if listeners:
            command += ["--status-events-function", listeners[0]]
        self.emulator = subprocess.Popen(  # noqa: S603 - our own interpreter
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
            umask=PRIVATE_UMASK,  # whatever else it writes is private too
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.emulator.poll() is not None:
                raise StackError(
                    f"the durable emulator exited with {self.emulator.returncode}; "
                    f"see {cfg.home / 'emulator.log'}"
                )
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2):  # noqa: S310
                    return
            except OSError:
                time.sleep(0.2)
        raise StackError(f"the durable emulator did not answer on {url} within 60 s")

    def stop(self) -> None:
        """Stop all three; safe to call twice."""
        for server in (self.http_api, self.lambda_endpoint):
            if server is not None:
                server.stop()
        self.http_api = self.lambda_endpoint = None
        if self.emulator is not None:
            self.emulator.terminate()
            try:
                self.emulator.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.emulator.kill()
                self.emulator.wait()
            self.emulator = None
        if self.kept_logs is not None:
            function_logs.release(self.kept_logs)
            self.kept_logs = None
        (self.config.home / STACK_FILE).unlink(missing_ok=True)
