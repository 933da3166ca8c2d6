"""The local stack's files are its owner's alone: folders 0700, files 0600.

The stack's home (``.local/``) holds the store (the local stand-in for the
approvers' mailbox, working links included), the emulator's executions
(callback ids among them), logs and the CSRF key. Each file is created private
before anything writes it: SQLite gives a database's ``-wal`` and ``-shm`` files
the database's own mode, and the emulator runs under ``PRIVATE_UMASK``. At
start, a home an earlier version left readable is closed again.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_UMASK = 0o077  # for child processes: nothing for the group or others


def make_private(path: Path, *, folder: bool = False) -> Path:
    """``path`` readable by its owner only, created (empty) if it is missing."""
    if folder or path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.chmod(0o700)
    else:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        path.chmod(0o600)
    return path


def close_home(home: Path) -> Path:
    """``home`` and everything in it made private (links are left alone)."""
    make_private(home, folder=True)
    for path in home.rglob("*"):
        if not path.is_symlink():
            make_private(path)
    return home
