"""Headless Debian Chromium for the browser tests (dashboard, portal, Dagster UI), driven by Playwright.

Playwright's own browser download cannot reach its host here, so the tests drive the system Chromium
that `make browsers` (a prerequisite of `make test`) installs with apt-get.  Networking flags follow
what this machine needs: no background connections, no component updates.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    """The system Chromium, or a failure that says how to install it (never a silent skip)."""
    for candidate in CHROMIUM_CANDIDATES:
        if shutil.which(candidate):
            return candidate
    found = shutil.which("chromium")
    if found:
        return found
    pytest.fail("Chromium is not installed: run `make browsers` (apt-get install chromium chromium-driver); "
                "`make test` and CI do this themselves.", pytrace=False)


@contextmanager
def chromium(offline: bool = False) -> Iterator:
    """A headless browser context; ``offline=True`` cuts every network request (pages opened from disk)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
            if offline:
                context.set_offline(True)
            yield context
        finally:
            browser.close()


def submit(page, button="button[type=submit]") -> None:
    """Click a form's submit button (a selector or a locator) and wait for the page the form leads to (its POST
    and the redirect after it).

    A bare click can return before the new page is there; on a busy machine the next line then reads the form's
    page (``page.url`` in a flaky landing assertion of test_i26_11_worklists)."""
    with page.expect_navigation():
        (page.locator(button) if isinstance(button, str) else button).click()
