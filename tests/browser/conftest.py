"""A real headless Chromium (Debian's package) driven by Playwright, and a stack.

Playwright cannot download browsers here, so it drives /usr/bin/chromium
(``ORDERFLOW_CHROMIUM`` to point elsewhere). Without it the browser tests fail
in CI (CI=true) and skip loudly elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import StackProcess

CHROMIUM = Path(os.environ.get("ORDERFLOW_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """The browser, once per session."""
    if not CHROMIUM.exists():
        why = (
            f"no Chromium at {CHROMIUM}: `apt-get install -y chromium` "
            "(or set ORDERFLOW_CHROMIUM)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run in CI: {why}")
        pytest.skip(f"BROWSER TESTS SKIPPED: {why}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """The real local stack, for this module's browser sessions."""
    running = StackProcess(tmp_path_factory.mktemp("browser-stack"))
    running.start()
    yield running
    running.stop()


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots go (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
