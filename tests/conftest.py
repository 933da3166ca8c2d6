"""Shared fixtures: a store on a temporary SQLite file, dependencies, a runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from orderflow.adapters.sandbox import SandboxProvider
from orderflow.adapters.sqlite_store import SqliteStore
from orderflow.config import Settings
from orderflow.processes.orders.deps import Deps


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    """A fresh store on a temporary SQLite file."""
    return SqliteStore(tmp_path / "orderflow.db")


def sandbox_deps(store: SqliteStore, faults: str = "", **settings: object) -> Deps:
    """Deps on ``store`` with the sandbox providers, ``faults`` and ``settings``."""
    config = Settings(store_url=f"sqlite:{store.path}", faults=faults, **settings)  # type: ignore[arg-type]
    return Deps(
        store=store,
        provider=SandboxProvider(store, faults, seed=7),
        settings=config,
    )


@pytest.fixture
def make_deps(store: SqliteStore) -> Iterator[Callable[..., Deps]]:
    """Build Deps on the test's store, with settings and faults to taste."""

    def build(faults: str = "", **settings: object) -> Deps:
        return sandbox_deps(store, faults, **settings)

    yield build
