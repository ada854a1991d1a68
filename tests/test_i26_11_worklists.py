"""Issue 26 item 11 in the system Chromium: each role lands on its work after logging in (outreach on its
list, the pharmacist on the TMR worklist, quality on the dashboard, the analyst on the runs), and the TMR
worklist page is a worklist that fits a 1,400 px window, not the file's 30 columns side by side."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines.portal.app import split_list
from pipelines.portal.server import serve_in_thread
from tests.browser import chromium, submit
from tests.i26_dashboard_run import SEP, add_user, csv_rows, login, shared_home

SCREENSHOTS = os.environ.get("MTM_PORTAL_SCREENSHOTS")
LANDING = {"ana11": ("analyst", "/runs"), "olga11": ("outreach", f"/runs/{SEP}/outreach"),
           "phil11": ("pharmacist", f"/runs/{SEP}/tmr"), "quinn11": ("quality", f"/runs/{SEP}/dashboard")}


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    home = shared_home(tmp_path_factory)
    for name, (role, _) in LANDING.items():
        add_user(home["home"], name, role, *(("H1111", "H2222") if role in ("outreach", "pharmacist") else ()))
    server, base = serve_in_thread(home["home"])
    try:
        yield {**home, "base": base}
    finally:
        server.should_exit = True


def test_each_role_lands_on_its_work_and_an_asked_page_wins(portal):
    base = portal["base"]
    with chromium() as context:
        page = context.new_page()
        for name, (_, landing) in LANDING.items():
            context.clear_cookies()
            login(page, base, name)
            assert page.url == base + landing, (name, page.url)
        context.clear_cookies()
        page.goto(f"{base}/runs/{SEP}")  # a page asked for before logging in is where the login leads
        page.fill("#username", "phil11")
        page.fill("#password", "correct horse 42")
        submit(page)
        assert page.url == f"{base}/runs/{SEP}"


def test_the_tmr_worklist_is_a_worklist_that_fits_1400_px(portal):
    worklist = csv_rows(portal["folder"] / "tmr_worklist.csv")
    assert len(worklist[0]) >= 28 and worklist  # the file keeps every column
    with chromium() as context:
        page = context.new_page()
        page.set_viewport_size({"width": 1400, "height": 900})
        login(page, portal["base"], "phil11")
        table = page.locator("#tmr")
        assert table.locator("tbody tr").count() == len(worklist)
        assert table.locator("thead th").count() <= 10
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 1400, width
        first = worklist[0]
        row = table.locator(f"tr[data-member='{first['member_id']}']").first
        assert row.locator("td.col-priority_rank").inner_text() == first["priority_rank"]
        link = row.locator("td.col-name a")
        assert link.inner_text() == f"{first['first_name']} {first['last_name']}"
        assert link.get_attribute("href") == f"/runs/{SEP}/members/{first['member_id']}"
        drugs = row.locator("td.col-active_drug_count li")
        assert drugs.count() == int(first["active_drug_count"]) and not drugs.first.is_visible()
        row.locator("td.col-active_drug_count summary").click()
        assert drugs.first.is_visible()
        if SCREENSHOTS:
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SCREENSHOTS) / "tmr-worklist.png"))


def test_evidence_lists_split_outside_parentheses():
    text = ("2 anticholinergic drugs together 61 days (hydroxyzine + oxybutynin; 2025-02-24 to 2025-09-29); "
            "high-risk drug in the elderly: hydroxyzine (2025-06-19 to 2025-09-29)")
    assert split_list(text) == ["2 anticholinergic drugs together 61 days (hydroxyzine + oxybutynin; 2025-02-24 "
                                "to 2025-09-29)", "high-risk drug in the elderly: hydroxyzine (2025-06-19 to "
                                "2025-09-29)"]
    assert split_list("") == []
