"""`sam build`'s artifacts against the budget written in build-budget.json.

Reports each function's unzipped size (its own code, and with its layers, as
Lambda counts it) and fails past the budget or past Lambda's 250 MiB limit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orderflow.local.template import load_template
from tests.utils.template import ROOT, Stack
from tests.utils.tools import BUILD, require

BUDGET: dict[str, Any] = json.loads((ROOT / "build-budget.json").read_text())
MIB = 1024 * 1024


def unzipped_bytes(directory: Path) -> int:
    """What the directory's files weigh once Lambda unzips them."""
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())


def built() -> dict[str, Any]:
    """The template `sam build` wrote, with code paths into .aws-sam/build."""
    return load_template(require(BUILD / "template.yaml", "sam build's output"))


def _layers(template: dict[str, Any], props: dict[str, Any]) -> list[str]:
    shared = template.get("Globals", {}).get("Function", {}).get("Layers", [])
    return [
        layer["Ref"]
        for layer in [*shared, *props.get("Layers", [])]
        if isinstance(layer, dict) and "Ref" in layer
    ]


def test_the_build_has_every_function_of_the_template() -> None:
    template = built()
    kinds = {"AWS::Serverless::Function", "AWS::Serverless::LayerVersion"}
    built_ids = {k for k, r in template["Resources"].items() if r["Type"] in kinds}
    source_ids = {k for k, r in Stack().resources.items() if r["Type"] in kinds}

    assert built_ids == source_ids, "stale .aws-sam/build: run `make build`"


def test_each_function_fits_its_budget_and_lambdas_limit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    template = built()
    sizes = {
        logical_id: unzipped_bytes(BUILD / logical_id)
        for logical_id, resource in template["Resources"].items()
        if resource["Type"]
        in ("AWS::Serverless::Function", "AWS::Serverless::LayerVersion")
    }
    lines, over = [], []
    for logical_id, size in sorted(sizes.items()):
        budget = BUDGET["artifacts"].get(logical_id)
        props = template["Resources"][logical_id]["Properties"]
        total = size + sum(
            sizes[layer]
            for layer in _layers(template, props)
            if template["Resources"][logical_id]["Type"] == "AWS::Serverless::Function"
        )
        lines.append(
            f"  {logical_id:<24} {size / MIB:8.2f} MiB"
            f" / budget {budget / MIB if budget else float('nan'):7.2f} MiB"
            f"   with layers {total / MIB:7.2f} MiB"
            f" / limit {BUDGET['lambda_limit_bytes'] / MIB:.0f} MiB"
        )
        if budget is None:
            over.append(f"{logical_id} has no budget in build-budget.json")
        elif size > budget:
            over.append(f"{logical_id}: {size} bytes > budget {budget}")
        if total > BUDGET["lambda_limit_bytes"]:
            over.append(f"{logical_id}: {total} bytes with layers > Lambda's limit")
    with capsys.disabled():  # the report belongs in `make test`'s output
        print("\nsam build, unzipped sizes (build-budget.json):")
        print("\n".join(lines))

    assert sizes, "sam build produced no functions"
    assert not over, "; ".join(over)
