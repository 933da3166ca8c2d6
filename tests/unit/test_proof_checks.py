"""The checks every process's proofs share catch what they claim to catch.

The crash matrix reports 0 violations; these show a broken run would not.
"""

from __future__ import annotations

from dataclasses import replace

from orderflow.domain.records import Effect
from orderflow.parts.approvals.steps import approval_message_id
from orderflow.registry import EXPENSES
from tests.proofs import proof
from tests.proofs.snapshot import Snapshot, ended_once, shared_violations

CB = "cb-1"
ENDED = Snapshot(
    execution_status="SUCCEEDED",
    body={"expense_id": "EXP-1", "status": "APPROVED"},
    status="APPROVED",
    history=["RECEIVED", "AWAITING_APPROVAL", "APPROVED"],
    effects=(),
    approvals=[(CB, "mia@example.com", "APPROVED")],
    audit=[("requested", "mia@example.com"), ("approved", "mia@example.com")],
    outbox=[(approval_message_id(CB), "mia@example.com")],
    decided=[CB],
)


def test_a_claim_that_ended_cleanly_breaks_nothing() -> None:
    path = proof("expense").path("approved")

    assert ended_once(EXPENSES, ENDED) == []
    assert shared_violations(path.status, ENDED, ENDED) == []
    assert proof("expense").invariants(path, ENDED, ENDED) == []


def test_a_second_terminal_status_or_one_not_last_is_reported() -> None:
    twice = replace(ENDED, history=[*ENDED.history, "CANCELLED"])
    early = replace(ENDED, history=["RECEIVED", "APPROVED", "AWAITING_APPROVAL"])

    assert any("terminal statuses" in v for v in ended_once(EXPENSES, twice))
    assert any("terminal statuses" in v for v in ended_once(EXPENSES, early))


def test_an_approval_left_pending_after_the_end_is_reported() -> None:
    open_ask = replace(ENDED, approvals=[(CB, "mia@example.com", "PENDING")])

    assert ended_once(EXPENSES, open_ask) == [
        "1 approvals still PENDING after APPROVED"
    ]


def test_an_ask_emailed_twice_or_an_email_for_no_ask_is_reported() -> None:
    twice = replace(ENDED, outbox=ENDED.outbox * 2)
    stray = replace(ENDED, outbox=[*ENDED.outbox, ("welcome-1", "mia@example.com")])

    assert any("more than once" in v for v in ended_once(EXPENSES, twice))
    assert any("answer no ask" in v for v in ended_once(EXPENSES, stray))


def test_a_result_that_disagrees_with_the_read_model_or_the_path_is_reported() -> None:
    path = proof("expense").path("approved")
    disagrees = replace(ENDED, body={"status": "REJECTED"})
    answered_twice = replace(ENDED, decided=[CB, CB])

    assert any(
        "ended REJECTED" in v for v in shared_violations(path.status, disagrees, ENDED)
    )
    assert shared_violations("REJECTED", ENDED, ENDED) != []
    assert any(
        "decisions" in v for v in shared_violations(path.status, answered_twice, ENDED)
    )


def test_a_claim_that_made_an_effect_is_reported() -> None:
    path = proof("expense").path("approved")
    paid = replace(ENDED, effects=(Effect("EXP-1:pay", "EXP-1", "payment", "capture"),))

    assert any(
        "made effects" in v for v in proof("expense").invariants(path, paid, ENDED)
    )
