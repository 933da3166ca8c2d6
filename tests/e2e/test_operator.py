"""What an operator sees of the local stack: a re-issued link, and its files.

``orderflow reissue`` gives the approver a fresh link through the desk (the old
one stops); ``orderflow approve --link`` decides on that link's page. The files
the stack writes under its home (``.local/``) hold the store, the emulator's
executions, logs and the CSRF key: its owner alone may read them.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from orderflow.local.approval_client import link_for
from orderflow.parts.approvals.mail import links_in
from orderflow.processes.orders.status import OrderStatus
from tests.e2e.conftest import StackProcess
from tests.e2e.pages import fetch
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


def test_an_operator_reissues_a_link_and_the_approver_decides_with_it(
    stack: StackProcess, tmp_path: Path
) -> None:
    order_file = tmp_path / "order.json"
    order_file.write_text(json.dumps(high_risk_order("OPS-1")))
    stack.cli("submit", str(order_file))
    stack.wait_for_status("OPS-1", OrderStatus.AWAITING_APPROVAL)
    [approval] = stack.store.list_approvals(subject_id="OPS-1", status="PENDING")
    emailed = link_for(stack.store, approval)
    assert emailed is not None

    done = stack.cli("reissue", "OPS-1", "--by", "kim@ops.example.com")

    assert done.returncode == 0, done.stderr
    [link] = links_in(done.stdout)
    assert link.startswith(stack.api) and link != emailed
    assert "for approver@example.com" in done.stdout
    assert fetch(emailed).status == 410  # the emailed link has expired
    decided = stack.cli("approve", "OPS-1", "--link", link, "--comment", "by phone")
    assert decided.returncode == 0, decided.stderr
    stack.wait_for_status("OPS-1", OrderStatus.COMPLETED)
    audit = [
        (e["action"], e["actor"], e["link_id"])
        for e in stack.status_json("OPS-1")["audit"]
    ]
    new_id = audit[1][2]
    assert audit[:3] == [
        ("requested", "orderflow", audit[0][2]),
        ("reissued", "kim@ops.example.com", new_id),
        ("approved", "approver@example.com", new_id),
    ]
    assert stack.cli("reissue", "OPS-1").returncode == 1  # nothing pending now


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

    kept = "logs/functions.jsonl"  # every function's log lines (orderflow logs)
    for name in (
        "orderflow.db",
        "executions.sqlite",
        "emulator.log",
        "stack.json",
        kept,
    ):
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
