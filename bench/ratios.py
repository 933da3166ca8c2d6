"""What every benchmark shares: figures as ratios, a table, a PNG chart, a JSON file.

A figure is only ever reported next to a baseline measured in the same run, on
the same machine, so a slow or busy machine moves both and the ratio stays
meaningful. ``BENCH_QUICK=1`` runs a tiny N (the smoke test in make test uses it
so the scripts cannot rot); ``BENCH_OUT`` moves the output (default
bench/results/).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
OUT = Path(os.environ.get("BENCH_OUT") or ROOT / "bench" / "results")


@dataclass(frozen=True)
class Figure:
    """One measured value against its same-run baseline."""

    name: str
    value: float
    baseline: float
    unit: str
    baseline_name: str
    target: float | None = None  # the ratio must be at most this

    @property
    def ratio(self) -> float:
        """value / baseline."""
        return self.value / self.baseline if self.baseline else float("inf")

    @property
    def verdict(self) -> str:
        """'met', 'MISSED' or '' when there is no target."""
        if self.target is None:
            return ""
        return "met" if self.ratio <= self.target else "MISSED"


def median(values: Sequence[float]) -> float:
    """The median; 0 for no values."""
    return statistics.median(values) if values else 0.0


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100), nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, round(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def machine() -> str:
    """One line naming the machine the figures come from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def _fmt(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value:.2f} ms"
    if unit == "/min":
        return f"{value:,.0f}/min"
    return f"{value:.3g} {unit}"


def table(title: str, figures: Sequence[Figure], notes: Sequence[str] = ()) -> str:
    """A plain-text table of the figures, their baselines and ratios."""
    rows = [("figure", "value", "baseline", "ratio", "target")]
    for f in figures:
        target = f"<= {f.target:g} {f.verdict}" if f.target is not None else ""
        rows.append(
            (
                f.name,
                _fmt(f.value, f.unit),
                f"{_fmt(f.baseline, f.unit)} ({f.baseline_name})",
                f"{f.ratio:.2f}",
                target,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [title, "=" * len(title)]
    for n, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines += [f"  {note}" for note in notes]
    return "\n".join(lines)


def chart(name: str, title: str, figures: Sequence[Figure]) -> Path:
    """Ratios as horizontal bars, with each target drawn as a tick; the PNG's path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.png"
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.6 * len(figures)))
    labels = [f"{f.name}\nvs {f.baseline_name}" for f in figures]
    ratios = [f.ratio for f in figures]
    colors = ["#c0392b" if f.verdict == "MISSED" else "#2e86c1" for f in figures]
    bars = ax.barh(labels, ratios, color=colors)
    ax.bar_label(bars, labels=[f"{r:.2f}x" for r in ratios], padding=3)
    for i, f in enumerate(figures):
        if f.target is not None:
            ax.plot([f.target, f.target], [i - 0.4, i + 0.4], color="black", lw=2)
    ax.axvline(1.0, color="grey", lw=0.8, ls="--")
    ax.invert_yaxis()
    top = max([*ratios, *(f.target or 0 for f in figures)]) * 1.4
    if max(ratios) / max(min(ratios), 1e-9) > 30:  # ratios far apart: log scale
        ax.set_xscale("log")
        ax.set_xlim(min(ratios) / 2, top * 2)
    else:
        ax.set_xlim(0, top)
    ax.set_xlabel("ratio to the same-run baseline (black tick: target)")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def report(
    name: str,
    title: str,
    figures: Sequence[Figure],
    *,
    notes: Sequence[str] = (),
    extra: dict[str, object] | None = None,
) -> None:
    """Print the table, write the chart and bench/results/<name>.json."""
    print(table(title, figures, notes))
    png = chart(name, title, figures)
    data = {
        "title": title,
        "quick": QUICK,
        "machine": machine(),
        "figures": [{**asdict(f), "ratio": f.ratio} for f in figures],
        "notes": list(notes),
        **(extra or {}),
    }
    (OUT / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n")
    print(f"  chart: {png}")
