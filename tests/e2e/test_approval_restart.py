"""A page opened before a restart of the local stack still decides after it.

The CSRF key lives in ``<home>/csrf.key``, and links, approvals and callbacks
in SQLite; the stack comes back on another port, as it may.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orderflow.local.approval_client import rebase
from orderflow.processes.orders.status import OrderStatus
from tests.e2e.conftest import StackProcess
from tests.e2e.pages import actions, csrf_in, fetch, link_of
from tests.utils.orders import high_risk_order

pytestmark = pytest.mark.e2e


def test_a_page_opened_before_a_restart_decides_after_it(tmp_path: Path) -> None:
    first = StackProcess(tmp_path)
    first.start()
    try:
        first.submit(high_risk_order("RESTART-LINK"))
        first.wait_for_status("RESTART-LINK", OrderStatus.AWAITING_APPROVAL)
        link = link_of(first, "RESTART-LINK")
        csrf = csrf_in(fetch(link).body)
    finally:
        first.stop()
    key = (tmp_path / "csrf.key").stat()
    assert key.st_mode & 0o777 == 0o600

    second = StackProcess(tmp_path)
    second.start()
    try:
        moved = rebase(link, second.api)
        answer = fetch(moved, "POST", {"csrf": csrf, "decision": "approve"})
        assert answer.status == 200, answer.body
        second.wait_for_status("RESTART-LINK", OrderStatus.COMPLETED)
        assert actions(second, "RESTART-LINK") == ["requested", "approved"]
    finally:
        second.stop()
