"""The CLI in a pipeline: a reader that stops early is not an error to report.

`orderflow approvals | head -n 1` closes the pipe after one line; Python then
raises BrokenPipeError at the next write. The command must end quietly, as
Unix tools do, with no traceback on the terminal.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.domain.records import ApprovalRequest


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path) -> None:
    home = tmp_path / ".local"
    home.mkdir()
    store = SqliteStore(home / "orderflow.db")
    now = datetime.now(UTC)
    for n in range(3000):  # far more than a pipe's buffer holds
        store.put_approval(
            ApprovalRequest(
                f"cb-{n}",
                f"ORD-{n}",
                "approver@example.com",
                now.isoformat(),
                (now + timedelta(days=1)).isoformat(),
            )
        )
    cli = subprocess.Popen(
        [sys.executable, "-m", "orderflow.cli", "--home", str(home), "approvals"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert cli.stdout is not None and cli.stderr is not None
    first = cli.stdout.readline()
    cli.stdout.close()  # as `head -n 1` does
    errors = cli.stderr.read().decode()
    code = cli.wait(timeout=60)

    assert first.startswith(b"ORD-0  for approver@example.com")
    assert "Traceback" not in errors and "BrokenPipeError" not in errors, errors
    assert code == 0
