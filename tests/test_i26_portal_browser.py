"""Issue 26 items 9, 10 and 13 in the system Chromium: the outreach list shows one ranking with the overdue
rows first and highlighted; the contact form offers wrong number / left message / refused with a note, the
browser's date field carries the server's bounds, and the recorded note shows on the list.

Issue 24: the run is the session's shared portal home (tests/i26_portal_home.py), which holds this file's
members in contract H5678 and tests/test_i26_contacts.py's in H1234; the test writes to a private copy."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from click.testing import CliRunner

from mtm.cli import main
from pipelines.portal.server import serve_in_thread
from tests.browser import chromium, submit
from tests.extract_builder import fill, member
from tests.i26_portal_home import portal_home
from tests.shared_runs import private_copy

D = dt.date(2025, 9, 30)
PASSWORD = "correct horse 42"
SCREENSHOTS = os.environ.get("MTM_PORTAL_SCREENSHOTS")


MEMBERS = ("EARLY", "LATE", "NEW")
#: this file's members in the shared portal home (tests/i26_portal_home.py; issue 24), all of contract H5678
#: (the contacts test's members are in H1234: olga here sees H5678's list, ranked on its own)
PORTAL_SCENARIO = {
    "eligibility": [member(m, contract_id="H5678") for m in MEMBERS],
    "pharmacy_claim": [fill(m, "2025-09-01") for m in MEMBERS],
    "dmp_arb": [{"member_id": m, "arb_start_date": "2024-01-01"} for m in MEMBERS],
}
#: imported (`mtm ledger import`) into the shared home before its run: EARLY and LATE were enrolled in spring,
#: so their initial offer is overdue
PORTAL_ROSTER = ("member_id,contract_id,contract_year,mtm_enrollment_date\n"
                 "EARLY,H5678,2025,2025-03-01\nLATE,H5678,2025,2025-06-15\n")


def test_overdue_first_highlighted_and_a_wrong_number_with_a_note(tmp_path):
    shared = portal_home()  # the roster imported, then one run at D (Great Expectations on: no page here reads it)
    assert shared["roster_imports"]["tests.test_i26_portal_browser"]["exit_code"] == 0
    home = private_copy(shared["home"], tmp_path / "home")  # this test adds a user and records a contact
    added = CliRunner().invoke(main, ["users", "add", "olga", "--role", "outreach", "--contract", "H5678",
                                      "--home", str(home)], env={"MTM_PASSWORD": PASSWORD})
    assert added.exit_code == 0, added.output
    server, base = serve_in_thread(home)
    try:
        with chromium() as context:
            page = context.new_page()
            page.goto(f"{base}/login")
            page.fill("#username", "olga")
            page.fill("#password", PASSWORD)
            submit(page)
            page.goto(f"{base}/runs/{D}/outreach")
            rows = page.locator("#outreach tbody tr")
            ranks = [int(t) for t in page.locator("#outreach tbody td.col-priority_rank").all_inner_texts()]
            assert ranks == [1, 2, 3]  # one ranking, no shared rank
            order = [rows.nth(i).get_attribute("data-member") for i in range(3)]
            assert order[2] == "NEW" and set(order[:2]) == {"EARLY", "LATE"}  # overdue first
            assert [rows.nth(i).get_attribute("class") for i in range(3)] == ["overdue", "overdue", None]
            tag = rows.nth(0).locator(".overdue-tag")
            assert tag.is_visible() and tag.inner_text().startswith("overdue ")
            background = rows.nth(0).locator("td").first.evaluate("e => getComputedStyle(e).backgroundColor")
            assert background == "rgb(253, 236, 234)"
            if SCREENSHOTS:
                Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(Path(SCREENSHOTS) / "outreach-overdue.png"))

            page.goto(f"{base}/runs/{D}/contacts/LATE")
            date = page.locator("#contact-form input[name=contact_date]")
            assert date.get_attribute("min") == "2025-06-15"  # LATE's MTM enrollment date
            assert date.get_attribute("max") == dt.date.today().isoformat()
            for outcome in ("wrong_number", "left_message", "no_answer", "refused"):
                assert page.locator(f"input[name=outcome][value={outcome}]").is_visible()
            page.check("input[name=outcome][value=wrong_number]")
            page.fill("#note", "number belongs to a bakery")
            page.fill("input[name=contact_date]", D.isoformat())
            submit(page, "#contact-form button[type=submit]")
            assert "Recorded (entry #1)" in page.locator("[role=status]").inner_text()
            assert "number belongs to a bakery" in page.locator("#entries").inner_text()
            if SCREENSHOTS:
                page.screenshot(path=str(Path(SCREENSHOTS) / "record-contact-outcomes.png"))
            page.goto(f"{base}/runs/{D}/outreach")
            recorded = page.locator("#outreach tr[data-member=LATE] .tag").inner_text()
            assert recorded == "Wrong number 2025-09-30: number belongs to a bakery"
    finally:
        server.should_exit = True
