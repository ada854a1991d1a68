"""Issue 26 item 14: the printable medication list in plain words (purposes, not class codes; "unidentified
medicine (NDC ...)"; the prescriber said for what the claims hold; a course that has ended listed apart), and
the member page with the active drugs first and long evidence folded. Rules in
``pipelines/publishing/exports/medication_list.py``; the page in the system Chromium."""

from __future__ import annotations

import csv
import datetime as dt
import os
from pathlib import Path

import pytest

from pipelines.portal.server import serve_in_thread
from pipelines.publishing.exports.medication_list import PURPOSE_CSV, medicine_name, plain_rows, purpose
from pipelines.reference import __file__ as reference_init
from tests.browser import chromium
from tests.i26_dashboard_run import SEP, add_user, login, shared_home

SCREENSHOTS = os.environ.get("MTM_PORTAL_SCREENSHOTS")
CODES = ("beta2_agonist_short", "fluoroquinolone", "ndc9:", "statin]", "_")


def drug(**row) -> dict:
    return {"medication": "x", "ingredients": "x", "drug_class": None, "prescriber_npi": None, "maintenance": False,
            "last_fill_date": dt.date(2025, 9, 1), "days_supply": 30, **row}


def test_every_drug_class_of_the_reference_has_a_purpose_in_words():
    with (Path(reference_init).parent / "data" / "drug_reference.csv").open(newline="") as fh:
        classes = {r["drug_class"] for r in csv.DictReader(fh)}
    with PURPOSE_CSV.open(newline="") as fh:
        purposes = {r["drug_class"]: r["purpose"] for r in csv.DictReader(fh)}
    assert classes <= set(purposes)
    assert purpose("beta2_agonist_short") == "breathing (rescue inhaler)"
    assert purpose("arb") == "blood pressure or heart"
    assert purpose("brand_new_class") == "brand new class"  # never a code with underscores


def test_plain_rows_split_ended_courses_and_name_unidentified_products():
    rows = [drug(medication="Cipro 500 mg", ingredients="ciprofloxacin", drug_class="fluoroquinolone",
                 last_fill_date=dt.date(2025, 9, 1), days_supply=7, prescriber_npi="1234567893"),
            drug(medication="ndc9:709549903", ingredients="ndc9:709549903", last_fill_date=dt.date(2025, 9, 20)),
            drug(medication="Lipitor", ingredients="atorvastatin", drug_class="statin", maintenance=True,
                 last_fill_date=dt.date(2025, 6, 1), days_supply=30)]  # late refill: still on the list
    current, ended = plain_rows(rows, dt.date(2025, 9, 30))
    assert [r["name"] for r in current] == ["Lipitor", "unidentified medicine (NDC 709549903)"]
    assert [r["name"] for r in ended] == ["Cipro 500 mg"] and ended[0]["supply_end"] == dt.date(2025, 9, 7)
    assert ended[0]["purpose"] == "infection (antibiotic)"
    assert ended[0]["prescriber"] == "NPI 1234567893 (name not in the claims)"
    assert current[1]["ingredients_words"] == ""  # not the same words twice
    # a course whose supply covers the as-of date is current
    assert plain_rows([drug(last_fill_date=dt.date(2025, 9, 24), days_supply=7)], dt.date(2025, 9, 30))[1] == []
    assert medicine_name("ndc9:709549903") == "unidentified medicine (NDC 709549903)"


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    home = shared_home(tmp_path_factory)
    add_user(home["home"], "phil14", "pharmacist", "H1111")
    server, base = serve_in_thread(home["home"])
    try:
        yield {**home, "base": base}
    finally:
        server.should_exit = True


def test_the_printable_list_and_the_member_page_in_words(portal):
    base, member = portal["base"], "MH1111CRIT00"
    with chromium() as context:
        page = context.new_page()
        login(page, base, "phil14")
        page.goto(f"{base}/runs/{SEP}/members/{member}/pml")
        current = page.locator("#pml").inner_text()
        ended = page.locator("#pml-ended").inner_text()
        assert "ciprofloxacin" in ended.lower() and "ciprofloxacin" not in current.lower()
        assert "unidentified medicine (NDC 999998888)" in current
        assert "cholesterol" in current  # atorvastatin's purpose, not "statin"
        assert "name not in the claims" in current or "not in the claims" in current
        purposes = " ".join(page.locator("#pml td.purpose").all_inner_texts())
        assert purposes and not [c for c in CODES if c in purposes], purposes
        if SCREENSHOTS:
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SCREENSHOTS) / "medication-list.png"), full_page=True)
        page.goto(f"{base}/runs/{SEP}/members/{member}")
        headings = page.locator("main h2").all_inner_texts()
        conditions = next(i for i, h in enumerate(headings) if h.startswith("Chronic conditions"))
        assert headings.index("Active drugs") < conditions  # the active drugs first, then the evidence
        ended_rows = page.locator("#ended-drugs tr")
        assert ended_rows.count() == 1 and "course ended 2025-09-07" in ended_rows.first.inner_text()
        folded = page.locator("#conditions details.more-evidence")
        if folded.count():
            assert not folded.first.locator("br").first.is_visible()
