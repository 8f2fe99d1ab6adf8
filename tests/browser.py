"""
A real headless Chromium for the browser tests and the screenshots: Debian's C{chromium}
package, driven by Playwright (which is told where the binary is, and never downloads one).
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from typing import Any, Iterator

#: Where Debian's chromium package puts the browser.
CHROMIUM = "/usr/bin/chromium"
#: Headless, no sandbox (tests may run as root), and none of the background traffic a closed
#: network would refuse.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")
INSTALL = ("install Debian's Chromium (apt-get install -y chromium; .ci/run does) and the "
           "tests extra (pip install -e '.[tests]', which has playwright); never run "
           "'playwright install': the tests use the system's browser")


def chromium() -> str | None:
    found = shutil.which("chromium") or (CHROMIUM if os.access(CHROMIUM, os.X_OK) else None)
    return found


def missing() -> str | None:
    """
    Why the browser cannot run here, or C{None} when it can.
    """
    if chromium() is None:
        return f"chromium is not installed: {INSTALL}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return f"playwright is not installed: {INSTALL}"
    return None


@contextmanager
def browser_context(profile: str, width: int = 1360, height: int = 900) -> Iterator[Any]:
    """
    A browser with a fresh profile in C{profile} (a new, empty directory).
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=chromium(), headless=True, args=list(FLAGS),
            viewport={"width": width, "height": height})
        try:
            yield context
        finally:
            context.close()
