"""Start the real local stack (`orderflow up`) in a child process on free ports."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.processes.orders.status import OrderStatus

STARTUP_SECONDS = 60


@dataclass
class StackProcess:
    """A running `orderflow up`, its home directory and its endpoints."""

    home: Path
    env: dict[str, str] = field(default_factory=dict)
    # The module run as `python -m MODULE [PREFIX...] --home HOME up ...`.
    module: tuple[str, ...] = ("orderflow.cli",)
    # Its own process group, so kill_group() can SIGKILL the stack and its emulator
    # at the same instant, as a power cut or an OOM kill of the container would.
    own_group: bool = False
    process: subprocess.Popen[bytes] | None = None
    endpoints: dict[str, Any] = field(default_factory=dict)
    # The HTTP API's port; 0 (any free port) puts the other two on free ports too,
    # so stacks started in parallel never collide.
    port: int = 0

    def start(self) -> None:
        """Start the stack and wait until /health answers."""
        (self.home / "stack.json").unlink(missing_ok=True)
        # Its console, in the stack's home: private, as the stack's own files are.
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        log = os.fdopen(os.open(self.home / "up.log", flags, 0o600), "ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                *self.module,
                "--home",
                str(self.home),
                "up",
                "--port",
                str(self.port),
                "--no-samples",
                "--skip-time",
            ],
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            process_group=0 if self.own_group else None,
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log_tail()
            stack_file = self.home / "stack.json"
            if stack_file.exists():
                self.endpoints = json.loads(stack_file.read_text())
                if self.endpoints["pid"] == self.process.pid and self._healthy():
                    return
            time.sleep(0.2)
        raise AssertionError(f"stack did not start:\n{self.log_tail()}")

    def _healthy(self) -> bool:
        try:
            return self.request("GET", "/health")[0] == 200
        except OSError:
            return False

    def stop(self, how: signal.Signals = signal.SIGTERM) -> None:
        """Stop it as a service manager would (SIGTERM), or kill it (SIGKILL)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(how)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill_group(self) -> None:
        """SIGKILL `orderflow up` and its emulator at once: the whole stack."""
        assert self.own_group and self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def log_tail(self) -> str:
        """The end of the stack's console output."""
        path = self.home / "up.log"
        return path.read_text()[-3000:] if path.exists() else ""

    @property
    def api(self) -> str:
        """Base URL of the HTTP API."""
        return str(self.endpoints["api_url"])

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """One HTTP request; status and parsed JSON body."""
        request = urllib.request.Request(
            self.api + path,
            data=body,
            method=method,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, json.loads(raw) if raw else None

    def submit(self, order: dict[str, Any]) -> tuple[int, Any]:
        """POST /orders."""
        return self.request("POST", "/orders", json.dumps(order).encode())

    def wait_for_status(
        self, order_id: str, *wanted: OrderStatus, timeout: float = 60
    ) -> dict[str, Any]:
        """Poll GET /orders/{id} until it shows one of ``wanted``."""
        deadline = time.monotonic() + timeout
        body: Any = None
        while time.monotonic() < deadline:
            status, body = self.request("GET", f"/orders/{order_id}")
            if status == 200 and body["status"] in wanted:
                return dict(body)
            time.sleep(0.2)
        raise AssertionError(
            f"{order_id} never reached {wanted}; last: {body}\n{self.log_tail()}"
        )

    @property
    def store(self) -> SqliteStore:
        """The stack's own store, read directly."""
        return SqliteStore(self.home / "orderflow.db")

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`orderflow --home HOME ARGS...` against this stack; never raises."""
        return subprocess.run(
            [sys.executable, "-m", "orderflow.cli", "--home", str(self.home), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def status_json(self, order_id: str) -> dict[str, Any]:
        """`orderflow status ORDER_ID --json`, parsed."""
        done = self.cli("status", order_id, "--json")
        assert done.returncode == 0, done.stderr
        parsed: dict[str, Any] = json.loads(done.stdout)
        return parsed

    def lambda_client(self) -> Any:
        """A boto3 Lambda client on the stack's Lambda endpoint."""
        return boto3.client(
            "lambda",
            endpoint_url=self.endpoints["lambda_url"],
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def executions_named(self, name: str) -> list[dict[str, Any]]:
        """The emulator's executions of the orchestrator with this name."""
        listed = self.lambda_client().list_durable_executions_by_function(
            FunctionName="OrderWorkflowFunction", DurableExecutionName=name
        )
        return [
            e for e in listed["DurableExecutions"] if e["DurableExecutionName"] == name
        ]

    def execution_names(self) -> list[str]:
        """The names of every execution of the orchestrator, one per execution."""
        client = self.lambda_client()
        names: list[str] = []
        marker: str | None = None
        while True:
            page = client.list_durable_executions_by_function(
                FunctionName="OrderWorkflowFunction",
                **({"Marker": marker} if marker else {}),
            )
            names += [e["DurableExecutionName"] for e in page["DurableExecutions"]]
            marker = page.get("NextMarker")
            if not marker:
                return names


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """One running stack shared by a test module."""
    running = StackProcess(tmp_path_factory.mktemp("stack"))
    running.start()
    yield running
    running.stop()
