"""Each registered process's proofs: what the generic machinery must know of it.

The workflow harness (tests/workflow/conftest.py), the crash matrix
(tests/crash/matrix.py), the replay recorder and test (tests/replay/) and the
fault-schedule property (tests/workflow/test_fault_schedules.py) know no
process. They iterate the registry's ``PROCESSES`` and load
``tests.proofs.<kind>`` for each, whose ``PROOF`` says how to run that process
(its handler, its dependencies on a SQLite store), which paths to run (for the
crash matrix and for the recorded histories) and what must hold after a run
(its invariants). A new process inherits every proof by registering, writing
its proof module and recording its histories (``python -m tests.replay.record
<kind>``); tests/unit/test_proofs.py fails until it has.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from aws_durable_execution_sdk_python import DurableContext

from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.parts.deps import StepDeps
from orderflow.parts.process import Process
from orderflow.registry import PROCESSES
from tests.proofs.snapshot import Snapshot

Handler = Callable[[Any, DurableContext], dict[str, Any]]
D = TypeVar("D", bound=StepDeps)
__all__ = ["Decision", "FaultProperty", "Path", "Proof", "Snapshot", "proof", "proofs"]


@dataclass(frozen=True)
class Decision:
    """An approver's answer to round ``round`` (``wait-for-approval-<round>``)."""

    round: int
    approved: bool
    approver: str = "approver@example.com"


@dataclass(frozen=True)
class Path:
    """One way through a process's workflow, and what it must end with.

    Args:
        name: the path's name: a crash-matrix row, a history's file name.
        input: the execution's input; its ``<kind>_id`` names the execution.
        status: the subject's status at the end.
        decisions: the approvals answered, in order; a round left out times out.
        faults: the sandbox providers' fault schedule (``ORDERFLOW_FAULTS``).
        settings: ``Settings`` fields to change, e.g. a 1 s approval time-out.
        in_flight: for the recorder, (point, operation): also record the first
            suspension with ``operation`` unfinished, as ``<name>-<point>``.
    """

    name: str
    input: dict[str, Any]
    status: str
    decisions: tuple[Decision, ...] = ()
    faults: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    in_flight: tuple[str, str] | None = None


@dataclass(frozen=True)
class FaultProperty:
    """A property over random fault schedules, for a process with providers.

    Args:
        path: what runs under each schedule (its ``faults`` are replaced).
        schedules: a hypothesis strategy of ``ORDERFLOW_FAULTS`` strings.
        pinned: schedules a random draw may miss, run on every test run.
        check: what must hold whatever the schedule: (deps, subject id) to the
            violations found.
        ends: the statuses a run may end with.
        outcomes: schedules that, between them, reach every status in ``ends``.
    """

    path: Path
    schedules: Any  # hypothesis SearchStrategy[str]
    pinned: tuple[str, ...]
    check: Callable[[Any, str], list[str]]
    ends: frozenset[str]
    outcomes: tuple[str, ...]


@dataclass(frozen=True)
class Proof(Generic[D]):
    """What the generic proofs need of one registered process.

    Args:
        process: the registry's entry.
        make_workflow: the workflow function, from a factory of its dependencies.
        make_deps: its dependencies on ``store`` for one path; with ``clock``,
            every clock stopped there (the recorder's and replayer's runs, so
            recording twice writes the same bytes), else as fast as they go.
        paths: the crash matrix's paths.
        recorded: the paths whose histories tests/replay/histories/<kind>/ holds.
        invariants: what a run broke of the path's promises, beyond the shared
            checks: (path, snapshot, the clean run's snapshot) to violations.
        min_boundaries: a floor on the boundaries the matrix finds over
            ``paths``: a broken enumeration must not pass as "no violations".
        faults: its fault-schedule property; None for a process without
            providers, whose fault language has nothing to fault.
        ledger_field: the input field naming the ledger partition that holds
            the subject's effects; None: its own id. A return's effects sit in
            its order's ledger (``order_id``), beside the order's own.
    """

    process: Process
    make_workflow: Callable[[Callable[[], D]], Handler]
    make_deps: Callable[[SqliteStore, Path, Callable[[], datetime] | None], D]
    paths: tuple[Path, ...]
    recorded: tuple[Path, ...]
    invariants: Callable[[Path, Snapshot, Snapshot], list[str]]
    min_boundaries: int
    faults: FaultProperty | None = None
    ledger_field: str | None = None

    @property
    def kind(self) -> str:
        """The process's kind: its proof module's and its histories' name."""
        return self.process.kind

    def subject_id(self, path: Path) -> str:
        """The id of the subject ``path`` runs (and its execution's name)."""
        return str(path.input[self.process.id_field])

    def ledger_id(self, path: Path) -> str:
        """The ledger partition (``Store.list_effects``) of ``path``'s effects."""
        return str(path.input[self.ledger_field or self.process.id_field])

    def path(self, name: str) -> Path:
        """The crash-matrix path called ``name``."""
        return next(p for p in self.paths if p.name == name)


def of_version(paths: tuple[Path, ...], version: int) -> tuple[Path, ...]:
    """``paths`` to record with a workflow version whose operations differ.

    A path a human decides takes version 2's ``verify-approval-<n>`` steps, so
    its histories are ``<name>-v2-...`` beside version 1's, which executions
    in flight may still have (docs/changing-workflows.md). The other paths'
    operations are the same in both versions and keep their names.
    """
    return tuple(
        dataclasses.replace(p, name=f"{p.name}-v{version}") if p.decisions else p
        for p in paths
    )


def proof(kind: str) -> Proof[Any]:
    """The proof of the registered process ``kind`` (tests/proofs/<kind>.py)."""
    found: Proof[Any] = importlib.import_module(f"tests.proofs.{kind}").PROOF
    return found


def proofs() -> list[Proof[Any]]:
    """Every registered process's proof, in the registry's order."""
    return [proof(p.kind) for p in PROCESSES]
