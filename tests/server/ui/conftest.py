"""A real Chromium driven by Playwright, for the web UI's browser tests.

The browser is the system's (Debian's ``chromium``; ``LF_CHROMIUM`` names another binary):
Playwright never downloads one here. Where there is no Chromium or no Playwright, the tests
are skipped and the run ends with a loud banner saying they did NOT run (``scripts/test``
installs Chromium where it can: apt-get as root, as on CI).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NOT_RUN: list[str] = []  # why the browser tests did not run, for the terminal summary


def chromium_path() -> str | None:
    """``LF_CHROMIUM`` when set (and only it), else the system's chromium."""
    if given := os.environ.get("LF_CHROMIUM"):
        return shutil.which(given)
    for candidate in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        if path := shutil.which(candidate):
            return path
    return None


def _not_run(reason: str) -> None:
    NOT_RUN.append(reason)
    pytest.skip(f"BROWSER TESTS NOT RUN: {reason}")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """A headless Chromium (Playwright's Browser), shared by a module's tests (module scope:
    Playwright's sync API runs its own event loop, which must be gone before async tests run)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _not_run("the 'playwright' package is not installed (pip install -e '.[dev]')")
    path = chromium_path()
    if path is None:
        _not_run(
            "no Chromium found: install Debian's 'chromium' (apt-get install chromium) or set LF_CHROMIUM"
        )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """docs/images/ when LF_UI_SCREENSHOTS=1 (to refresh the README's pictures), else a temp dir."""
    if os.environ.get("LF_UI_SCREENSHOTS") == "1":
        out = Path(__file__).resolve().parents[3] / "docs" / "images"
        out.mkdir(parents=True, exist_ok=True)
        return out
    return tmp_path_factory.mktemp("screenshots")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if NOT_RUN:
        bar = "!" * 78
        terminalreporter.write_line(bar, red=True, bold=True)
        terminalreporter.write_line(f"WEB UI BROWSER TESTS WERE NOT RUN: {NOT_RUN[0]}", red=True, bold=True)
        terminalreporter.write_line(bar, red=True, bold=True)
