"""make_private and close_home: the local stack's files are its owner's alone."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from orderflow.local.private import close_home, make_private


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that would leave new files readable by everyone."""
    before = os.umask(0o022)
    yield
    os.umask(before)


@pytest.mark.usefixtures("open_umask")
def test_a_file_or_folder_is_created_private_whatever_the_umask(tmp_path: Path) -> None:
    folder = make_private(tmp_path / "home", folder=True)
    file = make_private(folder / "store.db")

    assert (mode(folder), mode(file)) == (0o700, 0o600)
    assert file.read_bytes() == b""


@pytest.mark.usefixtures("open_umask")
def test_close_home_closes_what_is_there_and_leaves_links_alone(
    tmp_path: Path,
) -> None:
    home, outside = tmp_path / "home", tmp_path / "outside.txt"
    (home / "logs").mkdir(parents=True)
    (home / "logs" / "old.log").write_text("x")
    outside.write_text("y")
    outside.chmod(0o644)
    (home / "link").symlink_to(outside)

    close_home(home)

    assert mode(home) == mode(home / "logs") == 0o700
    assert mode(home / "logs" / "old.log") == 0o600
    assert mode(outside) == 0o644
