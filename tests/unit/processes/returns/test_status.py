"""Return statuses: the closed set and which of them end a return."""

from __future__ import annotations

import pytest

from orderflow.processes.returns.status import TERMINAL_STATUSES, ReturnStatus


def test_the_closed_set_is_the_eight_designed_statuses() -> None:
    assert [s.value for s in ReturnStatus] == [
        "RECEIVED",
        "AWAITING_APPROVAL",
        "AWAITING_PARCEL",
        "REFUNDING",
        "REFUNDED",
        "DENIED",
        "CANCELLED",
        "FAILED",
    ]


@pytest.mark.parametrize("status", list(ReturnStatus))
def test_a_status_is_terminal_exactly_when_it_is_in_the_terminal_set(
    status: ReturnStatus,
) -> None:
    ends = {"REFUNDED", "DENIED", "CANCELLED", "FAILED"}

    assert status.is_terminal is (status.value in ends)
    assert (status in TERMINAL_STATUSES) is (status.value in ends)
