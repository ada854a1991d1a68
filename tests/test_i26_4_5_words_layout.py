"""Issue 26 items 4 and 5 in the system Chromium: the dashboard's sentences have no blanks ("—" meant both
"no value" and "suppressed"), each measure links to its one-line definition, the plan's page links to the
run's files, "Not targeted" no longer squashes the targeted bars, and the page does not scroll sideways on a
390 px phone (nor at 800 px)."""

from __future__ import annotations

import pytest

from pipelines.publishing.exports.dashboard import NOT_APPLICABLE, RUN_FILES, fmt, members, pct, range_label
from pipelines.publishing.privacy import COMPLEMENTARY_LABEL, SUPPRESSED
from tests.browser import chromium
from tests.i26_dashboard_run import dashboard_data, shared_home


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    return shared_home(tmp_path_factory)


def test_no_value_and_a_hidden_value_read_differently():
    assert fmt(None) == pct(None) == NOT_APPLICABLE
    assert pct("<11") == COMPLEMENTARY_LABEL
    assert members(SUPPRESSED) == "fewer than 11 members" and members(COMPLEMENTARY_LABEL).endswith("(suppressed)")
    assert members(1) == "1 member" and members(26) == "26 members"
    assert range_label({"year_end_low": 0.2, "year_end_high": 0.5}) == "20.0% to 50.0%"


@pytest.mark.parametrize("name", ["dashboard.html", "dashboard_shareable.html"])
def test_the_page_in_words_fits_a_phone_and_links_its_definitions(published, name):
    html = (published["folder"] / name).read_text()
    data = dashboard_data(html)
    for view in data["views"].values():
        assert "Not targeted" not in [r["reason"] for r in view["charts"]["reasons"]["rows"]]
        assert all(len(r["measure"]) <= 50 for r in view["charts"]["measures"]["rows"])  # fits 320 px
    with chromium(offline=True) as context:
        page = context.new_page()
        for width in (390, 800):
            page.set_viewport_size({"width": width, "height": 800})
            page.goto((published["folder"] / name).as_uri())
            page.wait_for_selector("body[data-ready=true]", timeout=30_000)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        text = page.locator("main").inner_text()
        assert "—" not in text and "suppressed members" not in text
        links = page.locator("#measures-table tbody a")
        assert links.count() == page.locator("#measures-table tbody tr").count() > 0
        target = links.first.get_attribute("href")
        assert target == "#def-cmr_completion" and page.locator(target).inner_text() == "CMR completion"
        files = page.locator("#run-files a").all_inner_texts()
        assert files == ([] if "shareable" in name else list(RUN_FILES))
