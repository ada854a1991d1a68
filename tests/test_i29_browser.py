"""Issue 29 acceptance, in a real browser (system Chromium) on a real published run of the bundled sample
(its first 800 members, tests/shared_runs.py): a pharmacist opens a member, confirms the medicines, records
two drug therapy problems and the action plan, completes the CMR, downloads the written summary as PDF (the
Standardized Format headings and the member's medicines in its text), prints a prescriber letter and records
one acceptance; the next `mtm run` shows the member's CMR with its summary date, 2 recommendations and
1 resolution in the CMS file, and the program metrics count them. Screenshots for the README with
``MTM_PORTAL_SCREENSHOTS=docs/portal``.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from mtm.cli import main
from pipelines.portal.server import serve_in_thread
from tests.browser import chromium, submit
from tests.shared_runs import private_copy, sample_extract, sample_home, sample_settings
from tests.test_portal import PASSWORD, log_in

AS_OF = "2025-09-30"
OWN = "H1234"
USERS = {"phil": ("pharmacist", [OWN]), "ana": ("analyst", []), "olga": ("outreach", [OWN])}
SCREENSHOTS = os.environ.get("MTM_PORTAL_SCREENSHOTS")
CMR_DAY, SUMMARY_DAY, ANSWER_DAY = "2025-09-16", "2025-09-19", "2025-09-26"


def shoot(page, name: str, full: bool = False) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 1200, "height": 760})
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=full)
        page.set_viewport_size({"width": 1366, "height": 900})


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = private_copy(sample_home(), tmp_path_factory.mktemp("cmr") / "home")  # the session's sample run
    for name, (role, contracts) in USERS.items():
        args = ["users", "add", name, "--role", role, "--home", str(home)]
        for contract in contracts:
            args += ["--contract", contract]
        result = CliRunner().invoke(main, args, env={"MTM_PASSWORD": PASSWORD})
        assert result.exit_code == 0, result.output
    return home


@pytest.fixture(scope="module")
def base(home):
    server, url = serve_in_thread(home)
    yield url
    server.should_exit = True


def cms_rows(home: Path) -> dict[str, dict]:
    """The run's CMS beneficiary-level file by MBI (the file carries no member id)."""
    with (home / "runs" / AS_OF / "cms_mtm_beneficiary_file.csv").open(newline="") as fh:
        return {r["mbi"]: r for r in csv.DictReader(fh)}


def metrics(home: Path) -> dict[tuple[str, str], float]:
    frame = pl.read_csv(home / "runs" / AS_OF / "program_metrics.csv", infer_schema=False)
    return {(r["month"], r["metric"]): float(r["value"] or 0) for r in frame.filter(pl.col("contract_id") == OWN)
            .iter_rows(named=True)}


def pick_member(home: Path) -> tuple[str, str, pl.DataFrame]:
    """An MTM enrollee of the pharmacist's contract awaiting the initial CMR (outreach list), enrolled before
    the CMR day, in the CMS file with no CMR, DTP or summary yet, with at least two active medicines that
    name their prescriber. Returns the member id, its MBI and its medicines."""
    run = home / "runs" / AS_OF
    listed = pl.read_csv(run / "outreach_list.csv", infer_schema=False).filter(
        (pl.col("contract_id") == OWN) & (pl.col("service") == "cmr_initial")
        & (pl.col("mtm_enrollment_date") < CMR_DAY))
    drugs = pl.read_parquet(run / "member_medication_list.parquet").filter(pl.col("prescriber_npi").is_not_null())
    cms = cms_rows(home)
    counted = drugs.group_by("member_id").len()
    for row in listed.sort("member_id").iter_rows(named=True):
        filed = cms.get(row["mbi"])
        enough = counted.filter(pl.col("member_id") == row["member_id"])["len"].sum() >= 2
        if enough and filed and filed["cmr_count"] == "0" and filed["dtp_recommendations"] == "0":
            return row["member_id"], row["mbi"], drugs.filter(pl.col("member_id") == row["member_id"]).sort(
                "ingredients")
    raise AssertionError("the sample has no suitable member")


def record(page, form: str) -> None:
    submit(page, f"{form} button[type=submit]")
    assert page.locator("#error").count() == 0, page.locator("#error").inner_text()


def test_a_pharmacist_reviews_a_member_and_the_next_run_reports_it(home, base):
    member, mbi, drugs = pick_member(home)
    before = metrics(home)
    first, second = drugs.row(0, named=True), drugs.row(1, named=True)
    npi = first["prescriber_npi"]
    with chromium() as context:
        page = context.new_page()
        # the outreach role does not open the workspace; the analyst opens it but may not record
        log_in(page, base, "olga")
        assert page.goto(f"{base}/runs/{AS_OF}/members/{member}/cmr").status == 403
        log_in(page, base, "ana")
        page.goto(f"{base}/runs/{AS_OF}/members/{member}/cmr")
        assert page.locator("#complete-cmr").count() == 0  # read only
        token = page.locator("#medicines-form input[name=csrf_token]").input_value()
        refused = page.request.post(f"{base}/runs/{AS_OF}/members/{member}/cmr", form={
            "csrf_token": token, "action": "cmr_completed", "event_date": CMR_DAY, "delivery_method": "telephone",
            "recipient": "beneficiary", "provider_type": "pharmacist"})
        assert refused.status == 422 and "only a pharmacist" in refused.text()
        assert not (home / "events" / "portal_mtm_event.csv").exists()  # nothing written

        log_in(page, base, "phil")
        page.goto(f"{base}/runs/{AS_OF}/members/{member}")
        page.click("#cmr-link")
        assert page.locator("#medicine-table tbody tr").count() == drugs.height + 3  # + rows to add
        # confirm the medicines: plain words for the first, an over-the-counter medicine added
        page.fill("input[name='med-0-how']", "1 tablet each morning with a full glass of water")
        page.fill("input[name='med-0-why']", "as my doctor explained at the last visit")
        page.fill(f"input[name='med-{drugs.height}-medicine']", "Acetaminophen 500 mg (over the counter)")
        page.fill(f"input[name='med-{drugs.height}-how']", "1 tablet when needed for pain")
        page.fill("textarea[name=allergies]", "penicillin (rash)")
        record(page, "#medicines-form")
        assert "Medicines confirmed" in page.locator("#steps").inner_text()
        assert "for" in page.locator("#medicine-table tbody tr").first.locator("td.filled").inner_text()
        page.evaluate("window.scrollTo(0, 0)")
        shoot(page, "cmr-workspace")
        # two drug therapy problems, both to the first medicine's prescriber
        for drug, kind, text in ((first["ingredients"], "drug_interaction", "Consider stopping: interaction"),
                                 (second["ingredients"], "nonadherence", "Switch to a 90-day supply")):
            page.select_option("#dtp-form select[name=dtp_type]", kind)
            page.select_option("#dtp-form select[name=drug_key]", drug)
            page.fill("#dtp-form input[name=prescriber_npi]", npi)
            page.fill("#dtp-form input[name=event_date]", CMR_DAY)
            page.fill("#dtp-form input[name=recommendation]", text)
            record(page, "#dtp-form")
        assert page.locator("#dtp-table tbody tr[data-dtp]").count() == 2
        # the action plan and the completed CMR
        page.fill("input[name='item-0-talked']", "Taking the evening tablet every day")
        page.fill("input[name='item-0-todo']", "Use a weekly pill box and refill on time")
        record(page, "#plan-form")
        # a summary before the CMR is refused
        assert page.locator("#summary-form").count() == 0
        page.fill("#cmr-form input[name=event_date]", CMR_DAY)
        page.select_option("#cmr-form select[name=delivery_method]", "telephone")
        record(page, "#cmr-form")
        assert f"CMR completed {CMR_DAY}" in page.locator("#steps").inner_text()
        # the written summary: HTML to print and the PDF download
        page.click("#summary-html-en")
        assert page.locator("#map").inner_text().count("What I need to do") >= 1
        shoot(page, "cmr-summary", full=False)
        page.go_back()
        with page.expect_download() as info:
            page.click("#summary-pdf-en")
        text = "\n".join(p.extract_text() for p in PdfReader(info.value.path()).pages)
        for heading in ("Medication Action Plan", "What we talked about", "What I need to do",
                        "What I did and when I did it", "Personal Medication List", "How I use it",
                        "Why I use it", "Prescriber", "Date I started using it", "Date I stopped using it"):
            assert heading in text, heading
        for medicine in drugs["medication"]:
            assert medicine.split()[0] in text
        assert "Acetaminophen 500 mg" in text and "penicillin (rash)" in text
        spanish = page.request.get(f"{base}/runs/{AS_OF}/members/{member}/summary.pdf?lang=es")
        es_text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(spanish.body())).pages)
        assert "Lo que tengo que hacer" in es_text and "Cómo lo uso" in es_text
        # record the summary as sent
        page.fill("#summary-form input[name=event_date]", SUMMARY_DAY)
        record(page, "#summary-form")
        # the prescriber letter, printed (print media) with its response boxes
        page.click(f"a[href$='/letters/{npi}']")
        letter = page.locator("#letter").inner_text()
        assert letter.count("Accepted") == 2 and "Consider stopping" in letter and "90-day supply" in letter
        page.emulate_media(media="print")
        printed = PdfReader(io.BytesIO(page.pdf(format="Letter"))).pages[0].extract_text()
        assert "Medication therapy recommendations" in printed and "MTM portal" not in printed  # no menu
        page.emulate_media(media="screen")
        shoot(page, "prescriber-letter")
        # one acceptance, acted on: a prescriber_response and a dtp_resolved
        page.goto(f"{base}/runs/{AS_OF}/members/{member}/cmr#dtp")
        form = page.locator("form.response-form").first
        form.locator("select[name=prescriber_response]").select_option("accepted")
        form.locator("input[name=event_date]").fill(ANSWER_DAY)
        form.locator("input[name=acted_on]").check()
        submit(page, form.locator("button[type=submit]"))
        assert "accepted" in page.locator("#dtp-table").inner_text()
        page.locator("#dtp").scroll_into_view_if_needed()
        page.evaluate("document.getElementById('dtp').scrollIntoView()")
        shoot(page, "cmr-dtps")
        # the TMR page's follow-up lists the open problem
        page.goto(f"{base}/runs/{AS_OF}/tmr")
        assert page.locator("#followup-table tr[data-dtp]").count() == 1
        context.close()

    with (home / "events" / "portal_mtm_event.csv").open(newline="") as fh:
        events = [e for e in csv.DictReader(fh) if e["member_id"] == member]
    assert sorted(e["event_type"] for e in events) == ["cmr_completed", "dtp_recommendation", "dtp_recommendation",
                                                       "dtp_resolved", "prescriber_response", "summary_sent"]

    # the next `mtm run` reads the events
    result = CliRunner().invoke(main, ["run", "--home", str(home), "--extract", str(sample_extract()),
                                       "--settings", str(sample_settings(home.parent))])
    assert result.exit_code == 0, result.output
    row = cms_rows(home)[mbi]
    assert (row["cmr_received"], row["cmr_count"], row["cmr_dates"], row["written_summary_date"]) == (
        "Y", "1", CMR_DAY, SUMMARY_DAY)
    assert (row["dtp_recommendations"], row["dtp_resolutions"]) == ("2", "1")
    after = metrics(home)

    def added(month: str, metric: str) -> float:
        return after.get((month, metric), 0) - before.get((month, metric), 0)

    assert added("2025-09", "dtp_recommendations") == 2
    assert added("2025-09", "dtp_recommendations_drug_interaction") == 1
    assert added("2025-09", "dtp_recommendations_nonadherence") == 1
    assert added("2025-09", "dtp_resolutions") == 1
    assert added("2025-09", "prescriber_responses_accepted") == 1
    assert after[("2025-09", "prescriber_acceptance_rate")] > 0
    assert added("2025-09", "cmr_summary_within_14_days") == 1
