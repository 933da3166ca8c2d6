"""A missing tool fails the run in CI and only skips elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.utils.tools import require


def test_a_present_path_is_returned(tmp_path: Path) -> None:
    assert require(tmp_path, "a dir") == tmp_path


def test_missing_in_ci_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")

    with pytest.raises(pytest.fail.Exception, match="the SAM CLI is missing"):
        require(tmp_path / "sam", "the SAM CLI")


def test_missing_elsewhere_skips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)

    with pytest.raises(pytest.skip.Exception, match="make template"):
        require(tmp_path / "sam", "the SAM CLI")
