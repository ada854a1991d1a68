"""Issue 26 item 1 in the system Chromium: the dashboard's charts draw inside the portal, under its
Content-Security-Policy (no 'unsafe-eval'), with zero console errors, and from disk with the network off.

Before the fix every chart stayed empty in the portal: Vega compiled its expressions with ``new Function``,
which the policy refuses (``EvalError``). The page now asks Vega for its CSP-safe interpreter (``ast: true``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines.portal.app import SECURITY_HEADERS
from pipelines.portal.server import serve_in_thread
from pipelines.publishing.exports.dashboard import CHART_TITLES
from tests.browser import chromium
from tests.i26_dashboard_run import SEP, add_user, login, shared_home

SCREENSHOTS = os.environ.get("MTM_PORTAL_SCREENSHOTS")
MARKS = "els => els.map(e => [e.dataset.chart, e.querySelectorAll('svg .role-mark').length])"


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    return shared_home(tmp_path_factory)


def collect_errors(page, errors: list[str]) -> None:
    page.on("console", lambda m: errors.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))


def test_the_portal_policy_forbids_eval():
    """The fix must not be a weaker policy: scripts may not be evaluated from strings."""
    policy = SECURITY_HEADERS["Content-Security-Policy"]
    assert "unsafe-eval" not in policy and "script-src 'self' 'unsafe-inline'" in policy


def test_charts_render_inside_the_portal_with_no_console_error(published):
    home = published["home"]
    add_user(home, "quinn", "quality")
    server, base = serve_in_thread(home)
    errors: list[str] = []
    try:
        with chromium() as context:
            page = context.new_page()
            collect_errors(page, errors)
            login(page, base, "quinn")
            page.goto(f"{base}/runs/{SEP}/dashboard")  # the portal page: the dashboard in its frame
            frame = page.frame_locator("#dashboard")
            frame.locator("body[data-ready=true]").wait_for(timeout=30_000)
            for contract in ("all", "H1111", "H2222"):
                frame.locator("#contract").select_option(contract)
                frame.locator("body[data-ready=true]").wait_for(timeout=30_000)
                charts = frame.locator(".chart").evaluate_all(MARKS)
                assert [name for name, _ in charts] == list(CHART_TITLES)
                assert all(marks > 0 for _, marks in charts), (contract, charts)
            if SCREENSHOTS:
                Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(Path(SCREENSHOTS) / "dashboard-in-portal.png"), full_page=True)
            response = page.goto(f"{base}/runs/{SEP}/dashboard.html")  # the page on its own, same policy
            assert response is not None
            assert "unsafe-eval" not in response.headers["content-security-policy"]
            page.wait_for_selector("body[data-ready=true]", timeout=30_000)
            rendered = page.eval_on_selector_all(".chart", MARKS)
            assert all(marks > 0 for _, marks in rendered), rendered
    finally:
        server.should_exit = True
    assert errors == []


def test_charts_render_from_disk_with_the_network_off(published):
    errors: list[str] = []
    with chromium(offline=True) as context:
        page = context.new_page()
        collect_errors(page, errors)
        for name in ("dashboard.html", "dashboard_shareable.html"):
            page.goto((published["folder"] / name).as_uri())
            page.wait_for_selector("body[data-ready=true]", timeout=30_000)
            charts = page.eval_on_selector_all(".chart", MARKS)
            assert all(marks > 0 for _, marks in charts), (name, charts)
    assert errors == []
