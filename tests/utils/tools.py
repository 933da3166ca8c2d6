"""Tools and artifacts the Makefile provides before pytest runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAM = ROOT / ".venv-sam" / "bin" / "sam"
BUILD = ROOT / ".aws-sam" / "build"


def require(path: Path, what: str) -> Path:
    """``path``, or fail (in CI) / skip (elsewhere) naming what makes it.

    `make test` runs `make template` (the SAM venv, `sam build`) before pytest,
    so in CI a missing one is a broken run, never a silent skip.
    """
    if path.exists():
        return path
    message = f"{what} is missing ({path}); `make template` makes it"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
