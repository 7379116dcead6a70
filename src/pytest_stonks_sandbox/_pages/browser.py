"""Finding Chromium and Playwright, and the flags a headless Chromium needs on a closed machine."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import ModuleType

from pytest_stonks_sandbox._core.errors import ProvisionError

# Chromium's old headless shell first: without the browser's UI it checks the pages in two
# thirds of the time (benchmarks/bench_pages.py: 2.4 s against 3.7 s for the 17 pages).
CANDIDATES = (
    "chromium-headless-shell",
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
)
BROWSER_HINT = (
    "install Debian's chromium-headless-shell package (apt-get install chromium-headless-shell; "
    "chromium works too), or point --sandbox-browser=PATH (STONKS_SANDBOX_BROWSER) at a "
    "Chromium binary."
)
PLAYWRIGHT_HINT = (
    "pip install 'pytest-stonks-sandbox[browser]' (the plugin drives the system Chromium: "
    "`playwright install` is never needed)."
)
# Headless, and nothing that reaches out: no sandbox (root), no GPU, no background
# networking, component updates, sync or first-run work; /tmp instead of a small /dev/shm.
LAUNCH_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--disable-default-apps",
    "--disable-extensions",
)


def find_browser(configured: str = "") -> str:
    """The Chromium binary: the configured path, else the first candidate on PATH."""
    if configured:
        path = Path(configured).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
        found = shutil.which(configured)
        if found:
            return found
        raise ProvisionError(
            "browser", f"the configured Chromium {configured!r} is not an executable.", BROWSER_HINT
        )
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise ProvisionError(
        "browser",
        f"no Chromium binary found (looked for {', '.join(CANDIDATES)} on PATH).",
        BROWSER_HINT,
    )


def playwright_api() -> ModuleType:
    """`playwright.async_api`, or a clear error naming the extra that brings it."""
    try:
        import playwright.async_api as api
    except ImportError as exc:
        raise ProvisionError("browser", "Playwright is not installed.", PLAYWRIGHT_HINT) from exc
    return api
