"""Workflow metrics: what the workflows emit as EMF, what docs and dashboard say.

Every recorded path of every process, and each fault schedule its proof says
reaches one of its endings, runs through the real handler in the testing
runner with the namespace the template gives the workflow functions; the EMF
objects they print are collected. Then:

- every metric ``orderflow.parts.metrics`` names is emitted by some run, and
  every metric emitted is one it names, with the dimensions docs/monitoring.md
  gives it;
- the counts are the runs' own: a subject routed once, ended once, whatever
  the replays; a compensation, a repair, a refund, a retry where the path has
  one;
- every dashboard row of the workflows (a SEARCH expression) reads a metric the
  runs emitted, in its namespace and with its dimension names; and every
  metric named is on the dashboard and in docs/monitoring.md.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import re
from collections.abc import Iterator
from pathlib import Path as FsPath
from typing import Any

import pytest

from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.parts import logs
from orderflow.parts import metrics as names
from tests.proofs import Path, Proof, proofs
from tests.utils.deployed import Metric, Output
from tests.utils.durable_guards import dashboard
from tests.utils.template import ROOT, Stack
from tests.workflow.conftest import body, build_harness, run_path

STACK = Stack()
ENV = STACK.functions()["OrderWorkflowFunction"]["Environment"]["Variables"]
NAMESPACE = str(STACK.resolve(ENV["POWERTOOLS_METRICS_NAMESPACE"]))
NAMED = {v for k, v in vars(names).items() if k.isupper() and isinstance(v, str)}
# The dimensions of each metric beyond service and process (docs/monitoring.md).
OWN = {
    names.SUBJECTS_ROUTED: {"route"},
    names.SUBJECTS_ENDED: {"status"},
    names.APPROVAL_WAIT: {"answer"},
    names.UNVERIFIED: set(),
    **{m: {"operation"} for m in names.BY_OPERATION},
}
SEARCH = re.compile(r"SEARCH\('\{\"([^\"]+)\",([^}]*)\} MetricName=\"(\w+)\"'")


def runs() -> Iterator[tuple[Proof[Any], Path]]:
    """Each recorded path, and each fault schedule that reaches an ending."""
    for proof in proofs():
        yield from ((proof, path) for path in proof.recorded)
        if proof.faults is not None:
            for faults in proof.faults.outcomes:
                path = proof.faults.path
                yield proof, dataclasses.replace(path, name=faults, faults=faults)


def run(
    proof: Proof[Any], path: Path, tmp_path: FsPath, *, forged: bool = False
) -> tuple[str, list[Metric]]:
    """Run ``path``; its ending and the metrics its invocations printed.

    ``forged``: its first approval is completed bypassing the desk (no decision
    of record backs it), then the approver asked again decides, as the path says.
    """
    store = SqliteStore(tmp_path / f"{proof.kind}-{path.name}-{forged}.db")
    h = build_harness(proof, proof.make_deps(store, path, None))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        if forged:
            try:
                arn = h.start(path.input)
                h.complete_raw(arn, 1, {"approved": True})
                h.decide(arn, 2, approved=True)
                result = h.result(arn)
            finally:
                h.runner.close()
        else:
            _, result = run_path(h, path)
    emf = "\n".join(x for x in printed.getvalue().splitlines() if '"_aws"' in x)
    return body(result)["status"], Output.parse(emf).metrics


@pytest.fixture(scope="module")
def emitted(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Every run's process, path, ending and metrics."""
    logs.powertools()  # its handler keeps the real stdout, not a capture
    tmp = tmp_path_factory.mktemp("metrics")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("POWERTOOLS_METRICS_NAMESPACE", NAMESPACE)
        found = []
        for proof, path in runs():
            status, metrics = run(proof, path, tmp)
            found.append(
                {"kind": proof.kind, "path": path, "status": status, "m": metrics}
            )
        order = next(p for p in proofs() if p.kind == "order")
        asked = next(p for p in order.recorded if p.name == "one-approver-v2")
        path = dataclasses.replace(asked, name="forged")
        status, metrics = run(order, path, tmp, forged=True)
        found.append({"kind": "order", "path": path, "status": status, "m": metrics})
    return found


def _values(run: dict[str, Any], name: str, **dims: str) -> list[float]:
    return [
        m.value
        for m in run["m"]
        if m.name == name and dims.items() <= m.dimensions.items()
    ]


def _count(run: dict[str, Any], name: str, **dims: str) -> float:
    return sum(_values(run, name, **dims))


def test_every_named_metric_is_emitted_with_its_dimensions(
    emitted: list[dict[str, Any]],
) -> None:
    seen = {m.name for r in emitted for m in r["m"]}

    assert seen == NAMED
    for r in emitted:
        for m in r["m"]:
            assert m.namespace == NAMESPACE
            assert set(m.dimensions) == {"service", "process", *OWN[m.name]}, m
            assert m.dimensions["process"] == r["kind"]


def test_each_subject_is_routed_and_ended_once_whatever_the_replays(
    emitted: list[dict[str, Any]],
) -> None:
    for r in emitted:
        assert _count(r, names.SUBJECTS_ENDED) == 1, r["path"].name
        assert _count(r, names.SUBJECTS_ENDED, status=r["status"]) == 1
        if r["kind"] != "expense":  # a claim has no risk route
            assert _count(r, names.SUBJECTS_ROUTED) == 1, r["path"].name


def test_compensations_repairs_refunds_retries_and_waits_are_counted(
    emitted: list[dict[str, Any]],
) -> None:
    by_path = {f"{r['kind']}/{r['path'].name}": r for r in emitted}

    compensated = by_path["order/fulfilment-compensated"]
    assert _count(compensated, names.COMPENSATIONS) >= 1
    repaired = by_path["order/reconciliation-repaired"]
    assert _count(repaired, names.REPAIRS) >= 1
    refund = by_path["return/auto-refund"]
    assert _count(refund, names.REFUNDS, operation="refund-payment") == 1
    assert _count(refund, names.REFUNDED_CENTS) > 0
    assert any(_count(r, names.RETRIES) for r in emitted)
    (waited,) = _values(by_path["order/one-approver-v2"], names.APPROVAL_WAIT)
    assert 0 < waited < 30
    late = by_path["order/approval-timed-out"]  # 1 s per approver, two of them
    timed_out = _values(late, names.APPROVAL_WAIT, answer="timed_out")
    assert len(timed_out) == 2 and min(timed_out) >= 1
    forged = by_path["order/forged"]
    assert _count(forged, names.UNVERIFIED) == 1
    assert len(_values(forged, names.APPROVAL_WAIT, answer="approved")) == 1


def searches() -> list[tuple[str, str, frozenset[str]]]:
    """(namespace, metric, dimension names) of each SEARCH row of the dashboard."""
    found = []
    for widget in dashboard(STACK)["widgets"]:
        for row in widget["properties"].get("metrics", []):
            for item in row:
                if isinstance(item, dict) and "expression" in item:
                    match = SEARCH.match(item["expression"])
                    assert match, item["expression"]
                    namespace, dims, name = match.groups()
                    found.append((namespace, name, frozenset(dims.split(","))))
    return found


def test_every_dashboard_search_reads_a_metric_the_workflows_emit(
    emitted: list[dict[str, Any]],
) -> None:
    emitted_keys = {
        (m.namespace, m.name, frozenset(m.dimensions)) for r in emitted for m in r["m"]
    }
    shown = searches()

    assert {name for _, name, _ in shown} == NAMED  # each metric on the dashboard
    for key in shown:
        assert key in emitted_keys, f"the dashboard searches {key}: nobody emits it"


def test_docs_list_every_workflow_metric() -> None:
    text = (ROOT / "docs" / "monitoring.md").read_text()
    section = text.split("## Workflow metrics", 1)[1].split("\n## ", 1)[0]

    for name in NAMED:
        assert f"`{name}`" in section, f"docs/monitoring.md lacks {name}"
