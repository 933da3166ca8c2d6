"""What an operator sees of the local stack: its files, and a re-issued link.

The files the stack writes under its home (``.local/``) hold the store, the
emulator's executions, logs and the CSRF key: its owner alone may read them.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from orderflow.processes.orders.status import OrderStatus
from tests.e2e.conftest import StackProcess
from tests.utils.orders import high_risk_order

pytestmark = pytest.mark.e2e


def approved_through_the_cli(stack: StackProcess, order_id: str, tmp: Path) -> None:
    """Submit a high-risk order and approve it with `orderflow approve`."""
    order_file = tmp / f"{order_id}.json"
    order_file.write_text(json.dumps(high_risk_order(order_id)))
    assert stack.cli("submit", str(order_file)).returncode == 0
    stack.wait_for_status(order_id, OrderStatus.AWAITING_APPROVAL)
    done = stack.cli("approve", order_id, "--as", "approver@example.com")
    assert done.returncode == 0, done.stderr
    stack.wait_for_status(order_id, OrderStatus.COMPLETED)


def modes(home: Path) -> dict[str, str]:
    """Every path under ``home`` (and ``home``) with its permission bits, octal."""
    paths = [home, *sorted(home.rglob("*"))]
    return {
        str(p.relative_to(home)): oct(stat.S_IMODE(os.stat(p).st_mode)) for p in paths
    }


def not_private(home: Path) -> dict[str, str]:
    """The paths whose mode is not 0700 (a folder) or 0600 (anything else)."""
    return {
        path: mode
        for path, mode in modes(home).items()
        if mode != ("0o700" if (home / path).is_dir() else "0o600")
    }


def test_every_file_the_stack_writes_is_its_owners_alone(
    stack: StackProcess, tmp_path: Path
) -> None:
    approved_through_the_cli(stack, "PRIV-1", tmp_path)

    written = modes(stack.home)

    for name in ("orderflow.db", "executions.sqlite", "emulator.log", "stack.json"):
        assert name in written, sorted(written)
    assert any(name.endswith("-wal") for name in written), sorted(written)
    assert not_private(stack.home) == {}


def test_a_home_left_open_by_an_earlier_version_is_closed_at_start(
    stack: StackProcess, tmp_path: Path
) -> None:
    approved_through_the_cli(stack, "PRIV-2", tmp_path)
    stack.stop()
    for path in [stack.home, *stack.home.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)

    stack.start()
    approved_through_the_cli(stack, "PRIV-3", tmp_path)

    assert not_private(stack.home) == {}
