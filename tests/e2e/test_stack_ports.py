"""The Lambda endpoint and the emulator keep their ports across restarts.

By default they sit next to the HTTP API (ORDERFLOW_PORT plus 1 and plus 2),
or where ORDERFLOW_LAMBDA_PORT and ORDERFLOW_EMULATOR_PORT put them, so an
exported AWS_ENDPOINT_URL_LAMBDA or DURABLE_EXECUTIONS_EXTERNAL_EMULATOR_PORT
still holds after a restart. A port in use stops the start with the setting
to change. Each stack here runs the real `orderflow up`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from orderflow.local.stack import free_port, port_in_use
from tests.e2e.conftest import StackProcess

pytestmark = pytest.mark.e2e


def free_run(length: int) -> int:
    """A port such that it and the ``length - 1`` after it are all free."""
    for _ in range(50):
        base = free_port()
        if base + length <= 65535 and not any(
            port_in_use("127.0.0.1", base + i) for i in range(length)
        ):
            return base
    raise AssertionError("no run of free ports")


def ports(stack: StackProcess) -> tuple[int | None, ...]:
    return tuple(
        urlsplit(stack.endpoints[key]).port
        for key in ("api_url", "lambda_url", "emulator_url")
    )


def test_the_lambda_endpoint_and_emulator_sit_next_to_the_api_across_restarts(
    tmp_path: Path,
) -> None:
    base = free_run(3)
    stack = StackProcess(tmp_path, port=base)
    stack.start()
    try:
        first = ports(stack)
        lambda_before = stack.lambda_client().get_function(
            FunctionName="orderflow-order-workflow"
        )
    finally:
        stack.stop()
    stack.start()
    try:
        again = ports(stack)
        answered = stack.lambda_client().get_function(
            FunctionName="orderflow-order-workflow"
        )
    finally:
        stack.stop()

    assert first == again == (base, base + 1, base + 2)
    assert answered["Configuration"] == lambda_before["Configuration"]
    console = stack.log_tail()
    assert f"Lambda    http://127.0.0.1:{base + 1}" in console
    assert f"Emulator  http://127.0.0.1:{base + 2}" in console


def test_the_port_settings_put_them_where_they_say(tmp_path: Path) -> None:
    lambda_port, emulator_port = free_run(1), free_run(1)
    stack = StackProcess(
        tmp_path,
        env={
            "ORDERFLOW_LAMBDA_PORT": str(lambda_port),
            "ORDERFLOW_EMULATOR_PORT": str(emulator_port),
        },
    )
    stack.start()
    try:
        assert ports(stack)[1:] == (lambda_port, emulator_port)
    finally:
        stack.stop()


@pytest.mark.parametrize(
    ("offset", "setting"),
    [(1, "ORDERFLOW_LAMBDA_PORT"), (2, "ORDERFLOW_EMULATOR_PORT")],
)
def test_a_port_in_use_stops_the_start_naming_its_setting(
    tmp_path: Path, offset: int, setting: str
) -> None:
    base = free_run(3)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", base + offset))
        taken.listen()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "orderflow.cli",
                "--home",
                str(tmp_path),
                "up",
                "--port",
                str(base),
                "--no-samples",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={
                k: v
                for k, v in os.environ.items()
                if k not in ("ORDERFLOW_LAMBDA_PORT", "ORDERFLOW_EMULATOR_PORT")
            },
        )

    assert done.returncode != 0
    assert f"127.0.0.1:{base + offset}" in done.stderr
    assert f"set {setting} to another port" in done.stderr
    assert "Traceback" not in done.stderr
    assert not port_in_use("127.0.0.1", base)  # nothing left listening
