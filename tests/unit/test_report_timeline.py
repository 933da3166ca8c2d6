"""The compute/wait timeline of one execution, from its invocations."""

from __future__ import annotations

import pytest

from orderflow.local.report import timeline, timeline_lines


def test_waits_fill_the_gaps_between_invocations_and_after_the_last() -> None:
    # started 100 s; ran 20 ms, waited, ran 30 ms at 160 s; ended 200 s
    segments = timeline(100.0, 200.0, [(100.0, 20.0), (160.0, 30.0)])

    assert [(s["kind"], s["label"]) for s in segments] == [
        ("compute", "invocation 1"),
        ("wait", "wait"),
        ("compute", "invocation 2"),
        ("wait", "wait"),
    ]
    assert [s["offset_ms"] for s in segments] == pytest.approx(
        [0.0, 20.0, 60_000.0, 60_030.0]
    )
    assert [s["ms"] for s in segments] == pytest.approx(
        [20.0, 59_980.0, 30.0, 39_970.0]
    )


def test_a_late_first_invocation_starts_with_a_wait() -> None:
    segments = timeline(0.0, 1.0, [(0.5, 500.0)])

    assert [(s["kind"], s["ms"]) for s in segments] == [
        ("wait", pytest.approx(500.0)),
        ("compute", 500.0),
    ]


def test_the_text_bars_are_proportional() -> None:
    report = {"wall_ms": 1000.0, "timeline": timeline(0.0, 1.0, [(0.0, 250.0)])}

    compute, wait = timeline_lines(report, width=40)

    assert compute.endswith(" " + "#" * 10) and "invocation 1" in compute
    assert wait.endswith(" " + "." * 30) and "750 ms" in wait
