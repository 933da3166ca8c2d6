"""The threat table of docs/approval-links.md names tests that exist.

Each row's last cell lists ``tests/<path>.py::<test>``; a renamed or deleted
test would leave a row pointing at nothing, and the doc's claim unchecked.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "approval-links.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")


def rows() -> list[str]:
    """The table's body rows, as markdown lines."""
    section = DOC.read_text().split("## Threats and what answers them", 1)[1]
    section = section.split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("| ")]
    return lines[1:]  # after the header (the separator starts "|---")


def functions_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


def test_every_row_names_at_least_one_test_and_each_one_exists() -> None:
    found = rows()
    assert len(found) >= 20, "the table went missing"
    missing = []
    for row in found:
        shown_by = row.rstrip(" |").rsplit(" | ", 1)[1]
        references = REFERENCE.findall(shown_by)
        assert references, f"a row names no test: {row[:80]}"
        for file, name in references:
            path = ROOT / file
            if not path.exists() or name not in functions_in(path):
                missing.append(f"{file}::{name}")
    assert not missing, missing
