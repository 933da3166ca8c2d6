"""A property over random fault schedules: whatever the providers do, the books hold.

For every registered process whose proof has a fault-schedule property
(``PROOF.faults``, tests/proofs/<kind>.py; the order's is
tests/proofs/order_faults.py), each example runs one subject through the real
workflow in the testing runner with a random ``ORDERFLOW_FAULTS`` schedule, on
the sandbox providers. Then the subject ends in a status the property allows,
the read model agrees, and the property's own check holds (for the order: the
books balance as its status implies, and every effect carries a key the
workflow derives, once). Schedules a random draw may miss are pinned and run
every time. A process without providers has no property: the fault language
targets provider calls, which it does not make (tests/proofs/expense.py).
"""

from __future__ import annotations

import itertools
import json
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from orderflow.adapters.sqlite_store import SqliteStore
from tests.proofs import FaultProperty, Proof, proofs
from tests.workflow.conftest import build_harness

WITH_FAULTS = [p for p in proofs() if p.faults is not None]
_ids = itertools.count(1)


def prop(proof: Proof[Any]) -> FaultProperty:
    """The proof's fault-schedule property."""
    assert proof.faults is not None
    return proof.faults


def run_schedule(proof: Proof[Any], faults: str) -> tuple[str, list[str]]:
    """One subject through the workflow with ``faults``; its status, what broke."""
    fault = prop(proof)
    subject_id = f"{proof.subject_id(fault.path)}-{next(_ids)}"
    path = replace(
        fault.path,
        input=fault.path.input | {proof.process.id_field: subject_id},
        faults=faults,
    )
    with tempfile.TemporaryDirectory() as home:
        store = SqliteStore(Path(home) / "orderflow.db")
        deps = proof.make_deps(store, path, None)
        h = build_harness(proof, deps, poll_interval=0.01)
        with h.runner:
            result = h.run(path.input, timeout=120)
        assert result.result is not None, result.error
        assert json.loads(result.result)[proof.process.id_field] == subject_id
        record = deps.store.get_subject(subject_id)
        assert record is not None, f"no read model for {subject_id}"
        found = fault.check(deps, subject_id)
    if record.status not in fault.ends:
        found.append(f"ended {record.status}, not one of {sorted(fault.ends)}")
    if json.loads(result.result)["status"] != record.status:
        found.append(f"the result says {result.result}, the read model {record}")
    return record.status, found


@pytest.mark.parametrize("proof", WITH_FAULTS, ids=lambda p: p.kind)
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same schedules on every run: CI stays reproducible
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_fault_schedule_ends_terminal_with_the_processes_invariants(
    proof: Proof[Any], data: st.DataObject
) -> None:
    faults = data.draw(prop(proof).schedules, label="faults")

    status, found = run_schedule(proof, faults)

    event(f"status: {status}")
    assert found == []


@pytest.mark.parametrize(
    ("proof", "faults"),
    [(p, faults) for p in WITH_FAULTS for faults in prop(p).pinned],
    ids=lambda x: x if isinstance(x, str) else x.kind,
)
def test_a_pinned_fault_schedule_ends_terminal_with_the_processes_invariants(
    proof: Proof[Any], faults: str
) -> None:
    _, found = run_schedule(proof, faults)

    assert found == []


@pytest.mark.parametrize("proof", WITH_FAULTS, ids=lambda p: p.kind)
def test_the_schedule_strategy_reaches_every_outcome(proof: Proof[Any]) -> None:
    """The property is only as good as its schedules: each status must come up."""
    seen = {run_schedule(proof, faults)[0] for faults in prop(proof).outcomes}

    assert seen == prop(proof).ends
