"""Cold start: importing each function's handler module in a fresh process.

Every function of template.yaml is measured, so a new function joins by itself.
Lambda imports ``<Handler module>`` with the function's CodeUri as its working
directory; so does this benchmark, in a new interpreter each time, with the store
on a temporary SQLite file. The figure is the import's wall time, measured inside
the new process (the interpreter's own start-up is the same for every subject and
left out). Baselines, in the same run and the same rounds:

- a durable function against importing the durable SDK alone (target <= 1.3);
- any other function against importing boto3 alone.

Subjects take turns in every round (one warm-up round first, discarded), and the
figure is the median over the rounds. For each function the table's notes name
the packages it imports beyond its baseline, by their own import time
(``python -X importtime``): what to defer first if a ratio slips.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.ratios import QUICK, ROOT, Figure, median, report
from orderflow.local.template import read_functions

ROUNDS = 1 if QUICK else 9
TARGET_DURABLE = 1.3
SNIPPET = """
import json, sys, time
started = time.perf_counter()
import {module}
print(json.dumps({{"ms": (time.perf_counter() - started) * 1000}}))
"""


@dataclass(frozen=True)
class Subject:
    """Something to import in a fresh process, from a directory."""

    name: str
    module: str
    cwd: Path


SDK = Subject("durable SDK alone", "aws_durable_execution_sdk_python", ROOT)
BOTO3 = Subject("boto3 alone", "boto3", ROOT)


def environment(workdir: Path) -> dict[str, str]:
    """What a handler needs at import: a store, a region, credentials."""
    return {
        **os.environ,
        "ORDERFLOW_STORE": f"sqlite:{workdir / 'coldstart.db'}",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "PYTHONDONTWRITEBYTECODE": "",
    }


def import_ms(subject: Subject, env: dict[str, str]) -> float:
    """Milliseconds to import the subject's module in a new interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", SNIPPET.format(module=subject.module)],
        cwd=subject.cwd,
        env={k: v for k, v in env.items() if k != "PYTHONPATH"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"importing {subject.module} failed:\n{out.stderr}")
    return float(json.loads(out.stdout.strip().splitlines()[-1])["ms"])


def own_import_times(subject: Subject, env: dict[str, str]) -> dict[str, float]:
    """Self import time (ms) per top-level package, from -X importtime."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {subject.module}"],
        cwd=subject.cwd,
        env={k: v for k, v in env.items() if k != "PYTHONPATH"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    totals: dict[str, float] = {}
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = line.removeprefix("import time:").split("|", 2)
        package = name.strip().split(".")[0]
        totals[package] = totals.get(package, 0.0) + int(self_us) / 1000
    return totals


def beyond(subject: Subject, baseline: Subject, env: dict[str, str]) -> str:
    """The packages the subject imports that its baseline does not, largest first."""
    ours, base = own_import_times(subject, env), own_import_times(baseline, env)
    extra = sorted(
        ((ms, pkg) for pkg, ms in ours.items() if pkg not in base), reverse=True
    )
    listed = ", ".join(f"{pkg} {ms:.0f} ms" for ms, pkg in extra[:5] if ms >= 1)
    return f"{subject.name} imports beyond {baseline.name}: {listed or 'nothing'}"


def main() -> None:
    """Measure every function against its baseline and report."""
    functions = read_functions(ROOT / "template.yaml")
    pairs: list[tuple[Subject, Subject, float | None]] = []
    for spec in functions.values():
        module_path = spec.module.split(".")
        subject = Subject(
            f"{spec.logical_id} import",
            module_path[-1],
            ROOT.joinpath(*module_path[:-1]),
        )
        if spec.durable:
            pairs.append((subject, SDK, TARGET_DURABLE))
        else:
            pairs.append((subject, BOTO3, None))
    subjects = [SDK, BOTO3, *(subject for subject, _, _ in pairs)]
    samples: dict[str, list[float]] = {s.name: [] for s in subjects}
    with tempfile.TemporaryDirectory() as tmp:
        env = environment(Path(tmp))
        for round_ in range(ROUNDS + 1):  # round 0 warms the OS cache and .pyc
            for subject in subjects:
                ms = import_ms(subject, env)
                if round_:
                    samples[subject.name].append(ms)
        notes = [beyond(subject, base, env) for subject, base, _ in pairs]
    figures = [
        Figure(
            name=subject.name,
            value=median(samples[subject.name]),
            baseline=median(samples[base.name]),
            unit="ms",
            baseline_name=base.name,
            target=target,
        )
        for subject, base, target in pairs
    ]
    notes.append(
        f"median of {ROUNDS} fresh processes per subject, subjects taking turns; "
        "import time measured inside the new process"
    )
    report(
        "coldstart",
        "Cold start: importing the handler in a new process",
        figures,
        notes=notes,
        extra={"samples_ms": samples},
    )


if __name__ == "__main__":
    main()
