"""The approver chain: who is asked next, and how callback results are read."""

from __future__ import annotations

from typing import Any

import pytest

from orderflow.parts.approvals.escalation import (
    Verdict,
    approval_chain,
    next_approver,
    read_verdict,
)

CHAIN = ("a@x.com", "b@x.com", "c@x.com")


def test_the_chain_keeps_order_and_drops_blanks_and_repeats() -> None:
    assert approval_chain([" a@x.com", "", "B@x.com", "A@X.COM", "b@x.com"]) == (
        "a@x.com",
        "B@x.com",
    )


@pytest.mark.parametrize(
    ("asked", "approved", "needed", "expected"),
    [
        (0, 0, 1, "a@x.com"),  # first ask
        (1, 0, 1, "b@x.com"),  # a timed out: escalate
        (2, 0, 1, "c@x.com"),
        (3, 0, 1, None),  # end of the chain: cancel
        (1, 1, 1, None),  # done
        (0, 0, 2, "a@x.com"),
        (1, 1, 2, "b@x.com"),  # second approval
        (1, 0, 2, "b@x.com"),  # a timed out, b and c can still make two
        (2, 0, 2, None),  # only c left, two still needed: cancel
        (2, 1, 2, "c@x.com"),
        (2, 2, 2, None),
    ],
)
def test_next_approver(
    asked: int, approved: int, needed: int, expected: str | None
) -> None:
    assert (
        next_approver(CHAIN, asked=asked, approved=approved, needed=needed) == expected
    )


@pytest.mark.parametrize(
    ("result", "verdict"),
    [
        (
            {"approved": True, "approver": "a", "comment": "ok"},
            Verdict(True, "a", "ok"),
        ),
        ({"approved": False, "approver": "a"}, Verdict(False, "a", None)),
        ({"approved": "true"}, Verdict(False, None, None)),  # only True approves
        ({"approved": 1, "approver": 7, "comment": []}, Verdict(False, None, None)),
        ({}, Verdict(False, None, None)),
        ("approved", None),
        (None, None),
        ([True], None),
    ],
)
def test_read_verdict(result: Any, verdict: Verdict | None) -> None:
    assert read_verdict(result) == verdict
