"""Every benchmark still runs: each bench/bench_*.py with a tiny N (BENCH_QUICK=1).

The figures themselves come from `make bench`; this only keeps the scripts from
rotting as the code under them changes. A benchmark that can run must print its
table and write its chart and its JSON, every figure against a real baseline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = sorted((ROOT / "bench").glob("bench_*.py"))

pytestmark = pytest.mark.e2e  # bench_local_stack starts the real local stack


def test_there_are_benchmarks() -> None:
    assert BENCHMARKS


@pytest.mark.parametrize("script", BENCHMARKS, ids=[p.stem for p in BENCHMARKS])
def test_benchmark_runs_quick_and_reports_ratios(script: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "BENCH_QUICK": "1",
        "BENCH_OUT": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    run = subprocess.run(
        [sys.executable, str(script)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )

    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    assert "ratio" in run.stdout
    charts = list(tmp_path.glob("*.png"))
    assert charts and all(c.stat().st_size > 1000 for c in charts)
    for result in tmp_path.glob("*.json"):
        data = json.loads(result.read_text())
        assert data["quick"] is True
        assert data["figures"]
        assert all(f["baseline"] > 0 and f["value"] > 0 for f in data["figures"])
