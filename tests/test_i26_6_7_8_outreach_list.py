"""Issue 26 items 6, 7 and 8 in the system Chromium: the portal's outreach list fits a 1,400 px laptop window
(working columns: service, priority, due date, name, phone, language, a short reason; the rest opens per
member), it shows words instead of codes (services, languages, risk flags), and the caller reads a one-line
script reason while the pharmacist's text stays in the member's details. The CSV keeps its machine names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines.portal.server import serve_in_thread
from pipelines.publishing.exports.labels import call_reason, flags, label, language
from pipelines.publishing.output_contract import OUTREACH_COLUMNS
from tests.browser import chromium
from tests.i26_dashboard_run import SEP, add_user, csv_rows, login, shared_home

SCREENSHOTS = os.environ.get("MTM_PORTAL_SCREENSHOTS")
CODES = ("cmr_initial", "cmr_annual", "cmr_follow_up", "drug_interaction", "duplicate_therapy")


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    home = shared_home(tmp_path_factory)
    add_user(home["home"], "olga", "outreach", "H1111", "H2222")
    return home


def test_labels_and_the_caller_reason_are_words():
    assert label("service", "cmr_initial") == "Initial CMR offer"
    assert [language(c) for c in ("en", "es", "ko", "zh")] == ["English", "Spanish", "Korean", "Chinese"]
    assert language("xx") == "xx"  # an unknown code is shown, never dropped
    assert flags("drug_interaction;duplicate_therapy") == "medicines that interact; two medicines of the same kind"
    reason = call_reason("cmr_initial", 14, "")
    assert reason == "A free review of your 14 medicines with a pharmacist"
    assert len(call_reason("cmr_follow_up", 22, "drug_interaction")) <= 100  # one line, not 205 characters


def test_the_list_fits_1400_px_in_words_with_details_per_member(published):
    outreach = csv_rows(published["folder"] / "outreach_list.csv")
    assert outreach and list(outreach[0]) == list(OUTREACH_COLUMNS)  # the CSV keeps its machine names
    server, base = serve_in_thread(published["home"])
    try:
        with chromium() as context:
            page = context.new_page()
            page.set_viewport_size({"width": 1400, "height": 900})
            login(page, base, "olga")
            assert page.url.endswith(f"/runs/{SEP}/outreach")  # the outreach role lands on its list (item 11)
            table = page.locator("#outreach")
            assert table.locator("tbody tr").count() == len(outreach)
            page.evaluate("""() => {  // worst case: a long wrong-number flag (issue 26 item 9) must not widen the list
                const cell = document.querySelector('#outreach tbody td.col-phone');
                cell.insertAdjacentHTML('beforeend', ' <span class="overdue-tag phone-flag">wrong number '
                    + '2025-09-30: the number belongs to a bakery on the other side of town</span>');
            }""")
            widths = page.evaluate("() => [document.documentElement.scrollWidth, "
                                   "document.getElementById('outreach').getBoundingClientRect().right]")
            assert widths[0] <= 1400 and widths[1] <= 1400, widths  # no horizontal scroll
            record = table.locator("tbody tr").first.locator("a", has_text="Record contact")
            box = record.bounding_box()
            assert box is not None and box["x"] + box["width"] <= 1400  # on screen, not off to the right
            headers = table.locator("thead th").all_inner_texts()
            assert [h.replace("↕", "").strip() for h in headers[:7]] == [
                "Service", "Priority", "Due date", "Name", "Phone", "Language", "Reason for the call"]
            visible = table.locator("tbody").inner_text()
            assert not [c for c in CODES if c in visible], visible[:500]  # words, not codes
            first = outreach[0]
            row = table.locator(f"tr[data-member='{first['member_id']}']").first
            assert row.locator("td.col-service").inner_text() == label("service", first["service"])
            assert row.locator("td.col-language").inner_text() == language(first["preferred_language"])
            reason = row.locator(".call-reason").inner_text()
            assert reason == call_reason(first["service"], first["part_d_drugs"], first["risk_flags"])
            pharmacist = row.locator(".pharmacist-reasons")
            assert not pharmacist.is_visible()  # folded until the caller opens the member's details
            row.locator("details summary").click()
            assert pharmacist.is_visible() and pharmacist.inner_text() == first["reasons"]
            assert first["member_id"] in row.locator("details").inner_text()
            page.fill("#filter-text", first["member_id"])  # the filter still finds a member id in the details
            assert table.locator("tbody tr:not([hidden])").count() == sum(
                r["member_id"] == first["member_id"] for r in outreach)
            page.fill("#filter-text", "")
            if SCREENSHOTS:
                Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(Path(SCREENSHOTS) / "outreach-list.png"))
    finally:
        server.should_exit = True
