"""Every registered process comes with its proofs (tests/proofs/<kind>.py).

The crash matrix, the replay test and the fault-schedule property iterate the
registry; these guards make sure each process gives them something to run: a
proof module for its kind, crash paths, and recorded paths whose histories are
on disk. (A history may outlive its path: an old version's executions in
flight, docs/changing-workflows.md.)
"""

from __future__ import annotations

import importlib.util

import pytest

from orderflow.parts.process import Process
from orderflow.registry import PROCESSES
from tests.proofs import proof
from tests.replay.history import HISTORIES, names

KINDS = [p.kind for p in PROCESSES]


@pytest.mark.parametrize("registered", PROCESSES, ids=lambda p: p.kind)
def test_every_registered_process_has_a_proof_of_its_own(registered: Process) -> None:
    assert importlib.util.find_spec(f"tests.proofs.{registered.kind}") is not None
    found = proof(registered.kind)

    assert found.process is registered
    assert found.paths, "no crash-matrix path"
    assert found.recorded, "no recorded history"
    assert found.min_boundaries > 0


@pytest.mark.parametrize("kind", KINDS)
def test_every_path_ends_in_a_terminal_status_and_names_itself_once(kind: str) -> None:
    found = proof(kind)

    for paths in (found.paths, found.recorded):
        assert len({p.name for p in paths}) == len(paths)
        for path in paths:
            assert found.process.is_terminal(path.status), (path.name, path.status)
            assert found.subject_id(path), path.name
            assert [d.round for d in path.decisions] == sorted(
                {d.round for d in path.decisions}
            ), path.name


@pytest.mark.parametrize("kind", KINDS)
def test_every_recorded_path_has_its_histories_on_disk(
    kind: str,
) -> None:
    found = proof(kind)
    wanted = set()
    for path in found.recorded:
        wanted.add(f"{kind}/{path.name}-completed")
        if path.in_flight is not None:
            wanted.add(f"{kind}/{path.name}-{path.in_flight[0]}")

    missing = wanted - set(names(kind))
    assert not missing, f"{sorted(missing)}: python -m tests.replay.record {kind}"


def test_histories_sit_only_under_a_registered_kind() -> None:
    assert not list(HISTORIES.glob("*.json")), "histories/<kind>/ holds them"
    assert {d.name for d in HISTORIES.iterdir() if d.is_dir()} <= set(KINDS)
