"""docs/deploy.md's AWS CLI block, run as it is against a real local stack.

The block is read from the doc, so the doc and the test are one source: the
real AWS CLI (v1, from PyPI, in `.venv-awscli`) lists the functions, starts an
order on `orderflow-order-workflow:live` with `--durable-execution-name`,
lists and gets the execution and reads its history; the SAM CLI reads the
history too; `orderflow approve` decides through the desk. The stack serves on
a free run of three ports, so the block's defaults (3000, 3001, 3002) move with
ORDERFLOW_PORT as a user's would.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from orderflow.processes.orders.status import OrderStatus
from tests.e2e.conftest import StackProcess
from tests.e2e.test_stack_ports import free_run
from tests.utils.tools import ROOT, SAM, require

pytestmark = pytest.mark.e2e
AWS = ROOT / ".venv-awscli" / "bin" / "aws"
DOC = ROOT / "docs" / "deploy.md"
MARK = "<!-- tests/e2e/test_aws_cli.py runs this block as it is -->"


def documented_block() -> str:
    """The bash block right after the marker in docs/deploy.md."""
    text = DOC.read_text()
    assert MARK in text, f"{DOC} lost its tested AWS CLI block"
    found = re.match(r"\s*```bash\n(.*?)\n```", text.split(MARK, 1)[1], re.DOTALL)
    assert found, "the marker is not followed by a bash block"
    return found.group(1)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """A stack of this module's own on a known run of ports."""
    running = StackProcess(tmp_path_factory.mktemp("aws-cli-stack"), port=free_run(3))
    running.start()
    yield running
    running.stop()


def test_the_documented_aws_cli_block_starts_reads_and_decides_an_order(
    stack: StackProcess, tmp_path: Path
) -> None:
    tools = [require(AWS, "the AWS CLI"), require(SAM, "the SAM CLI")]
    (tmp_path / "events").symlink_to(ROOT / "events")  # the block runs in a checkout
    path = [str(tool.parent) for tool in tools] + [str(Path(sys.executable).parent)]
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ORDERFLOW_"))
    }
    env |= {
        "PATH": os.pathsep.join([*path, env.get("PATH", "")]),
        "ORDERFLOW_PORT": str(stack.endpoints["api_url"].rsplit(":", 1)[1]),
        "ORDERFLOW_HOME": str(stack.home),
        "PYTHONPATH": str(ROOT),  # `orderflow` is this checkout's
        "SAM_CLI_TELEMETRY": "0",
    }

    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", documented_block()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr
    out = done.stdout
    assert "orderflow-order-workflow" in out.split("\n", 1)[0]  # list-functions
    assert '"Version": "live"' in out
    assert "orderflow-order-workflow:live" in out
    assert "wait-for-approval-1" in out  # the history, from both CLIs
    order = stack.wait_for_status("ORD-3001", OrderStatus.COMPLETED)
    assert order["order_id"] == "ORD-3001"
    status = stack.status_json("ORD-3001")
    assert [a["approver"] for a in status["approvals"]] == ["approver@example.com"]
    assert [a["status"] for a in status["approvals"]] == ["APPROVED"]
    (execution,) = stack.executions_named("ORD-3001")
    started = stack.lambda_client().get_durable_execution(
        DurableExecutionArn=execution["DurableExecutionArn"]
    )
    assert started["Version"] == "live"
    assert json.loads(started["InputPayload"])["order_id"] == "ORD-3001"
