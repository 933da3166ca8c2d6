"""Alert wording: what the on-call person reads, and SNS's rules for subjects."""

from __future__ import annotations

from datetime import timedelta

from orderflow.domain.records import ApprovalRequest
from orderflow.monitoring.alerts import execution_alert, overdue_alert, subject
from orderflow.monitoring.events import StatusChangeEvent
from tests.utils.monitoring import status_event

LONG_ID = "ORD-" + "9" * 60  # execution names run to 64 characters


def test_subjects_stay_under_snss_hundred_ascii_characters() -> None:
    raw = status_event("failed")
    raw["detail"]["durableExecutionName"] = LONG_ID + "-é"
    change = StatusChangeEvent.model_validate(raw).detail

    alert = execution_alert(
        change, summary=None, order_status=None, expired_approvals=0, at="t"
    )
    line = subject(alert)

    assert len(line) < 100
    assert line.isascii() and "\n" not in line
    assert line.endswith("...")
    assert alert.alert_id == f"{LONG_ID}-é:execution-failed"


def test_overdue_alert_names_the_order_approver_and_waiting_time() -> None:
    approval = ApprovalRequest(
        callback_id="cb-secret",
        subject_id="ORD-7",
        approver="ana@example.com",
        created_at="2026-11-20T08:00:00+00:00",
        expires_at="2026-11-21T08:00:00+00:00",
    )

    alert = overdue_alert(
        approval, age=timedelta(hours=4, minutes=30), execution_arn=None, at="t"
    )

    assert subject(alert) == "orderflow warning: order ORD-7 approval-overdue"
    assert alert.alert_id == "ORD-7:approval-overdue:ana@example.com"
    assert "waited 4.5 h for ana@example.com" in alert.message
    assert "Execution:  unknown" in alert.message
    assert "orderflow reissue ORD-7" in alert.message
    assert "cb-secret" not in alert.message + alert.alert_id + str(alert.detail)
