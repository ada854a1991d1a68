"""dashboard.html as a quality team opens it: built by the real pipeline on an extract made to contain
small cells, opened from disk in headless Chromium with networking off, and read for counts 1-10 and
PHI.  quality_measures.csv and program_metrics.csv (issue 14's files) are written by hand into the run
folders in the documented shape, with small and suppressed cells, and the page is rebuilt from them."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from dagster_project.run import RunFailed, run_pipeline
from mtm.cli import main
from pipelines.publishing.exports.dashboard import CHART_TITLES, write_dashboard
from pipelines.publishing.privacy import COMPLEMENTARY_LABEL, SUPPRESSED, suppress_groups, suppress_small_counts
from pipelines.run_state.run_context import RunContext, duckdb_config
from tests.browser import chromium
from tests.extract_builder import fill, member, write_extract
from tests.shared_runs import shared_build
from tests.targeting_harness import without_expectations
from tests.template_home import seeded_home

NDC = {"atorvastatin": "00071015523", "lisinopril": "00006001954", "metformin": "00087606005",
       "amlodipine": "00054010022", "metoprolol": "16714085201", "furosemide": "00054329450",
       "sertraline": "00049005001", "donepezil": "00143974709"}
EIGHT_DRUGS = list(NDC)  # three core conditions among them (dyslipidemia, hypertension, diabetes, ...)

AUG, SEP = dt.date(2025, 8, 31), dt.date(2025, 9, 30)
FILL_DATES = (dt.date(2025, 7, 20), dt.date(2025, 8, 20))  # within 90 days of both as-of dates


def run_extract(tmp: Path, as_of: dt.date, name: str, **tables) -> Path:
    """`mtm run` in-process (the Dagster asset graph) on a hand-built extract; returns the published folder.
    Great Expectations off (issue 24): the dashboard reads none of it, and its suites have tests of their own."""
    settings = tmp / f"{name}_settings.toml"
    settings.write_text(without_expectations(""))
    ctx = RunContext.create(home=seeded_home(tmp / "home"), extract_dirs=[write_extract(tmp / name, **tables)],
                            as_of=as_of, settings_file=settings)
    return run_pipeline(ctx)


def person(member_id: str, contract: str, i: int) -> dict:
    """Names, phones and birth dates that cannot occur by chance in the page or its chart library."""
    return member(member_id, contract_id=contract, first_name=f"Qzelda{i:03d}", last_name=f"Wrexham{i:03d}",
                  birth_date=f"194{i % 10}-0{1 + i % 9}-1{i % 10}", phone=f"555-01{i:02d}")


def population() -> dict[str, list[dict]]:
    """H1111: 14 targeted by criteria, 3 at-risk, 20 others; H2222: 4 targeted, 12 others (small cells)."""
    groups = [("H1111", "CRIT", 14), ("H1111", "ARB", 3), ("H1111", "NONE", 20),
              ("H2222", "CRIT", 4), ("H2222", "NONE", 12)]
    eligibility, fills, arb = [], [], []
    i = 0
    for contract, kind, n in groups:
        for k in range(n):
            i += 1
            mid = f"MBRX{contract}{kind}{k:02d}"
            eligibility.append(person(mid, contract, i))
            if kind == "CRIT":
                fills += [fill(mid, d, NDC[drug], 30, 150.0) for drug in EIGHT_DRUGS for d in FILL_DATES]
            else:
                fills.append(fill(mid, FILL_DATES[1]))
            if kind == "ARB":
                arb.append({"member_id": mid, "arb_start_date": "2025-01-01"})
    events = [{"member_id": f"MBRXH1111CRIT{k:02d}", "event_date": "2025-09-10", "event_type": t}
              for k in range(12) for t in ("cmr_offered", "cmr_completed")]
    events += [{"member_id": f"MBRXH1111CRIT{k:02d}", "event_date": "2025-09-15", "event_type": "opted_out",
                "opt_out_reason": "requested"} for k in (12, 13)]
    return {"eligibility": eligibility, "pharmacy_claim": fills, "dmp_arb": arb, "mtm_event": events}


MEASURES = [  # contract, measure, numerator, denominator, rate, low, high, recoverable, too small, lower better
    ("H1111", "cmr_completion", "CMR completion rate", 12, 40, 0.3, 0.3, 0.55, 10, "false", "false"),
    ("H1111", "pdc_sta", "Adherence: statins (PDC-STA)", 30, 36, 0.8333, 0.7, 0.9, 14, "false", "false"),
    ("H1111", "cob", "Opioids with benzodiazepines (COB)", SUPPRESSED, 35, 0.2, 0.2, 0.2, 0, "false", "true"),
    ("H2222", "cmr_completion", "CMR completion rate", 0, SUPPRESSED, 0.0, 0.0, 1.0, SUPPRESSED, "true", "false"),
    ("H2222", "pdc_sta", "Adherence: statins (PDC-STA)", 7, 12, 0.5833, 0.5, 0.8, 5, "true", "false"),
]


def write_issue14_files(folder: Path, months: list[str], cmr_rate: float) -> None:
    header = ["contract_id", "measurement_year", "measure_id", "measure_name", "numerator", "denominator", "rate",
              "too_small_to_rate", "year_end_low", "year_end_high", "recoverable_members", "lower_is_better"]
    with (folder / "quality_measures.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for c, mid, name, num, den, rate, low, high, rec, small, lower in MEASURES:
            rate = cmr_rate if (c, mid) == ("H1111", "cmr_completion") else rate
            w.writerow([c, 2025, mid, name, num, den, rate, small, low, high, rec, lower])
    with (folder / "program_metrics.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["contract_id", "month", "metric", "value"])
        for n, month in enumerate(months, start=1):
            w.writerow(["H1111", month, "mtm_enrolled_cumulative", 11 + 3 * n])
            w.writerow(["H1111", month, "cmr_completed", SUPPRESSED if n % 2 else 12])
            w.writerow(["H1111", month, "cmr_offered_within_60_days", 15])
            w.writerow(["H1111", month, "cmr_offered_within_60_days_rate", 0.75])
            w.writerow(["H2222", month, "mtm_enrolled_cumulative", SUPPRESSED])
            w.writerow(["H2222", month, "cmr_completed", 0])
            w.writerow(["H2222", month, "cmr_offered_within_60_days", 3])  # unsuppressed by mistake: page hides it
            w.writerow(["H2222", month, "cmr_offered_within_60_days_rate", 0.5])


def august_roster() -> list[dict]:
    """The ledger rows the run of 31 August would write (every member meeting the criteria then, at-risk
    members by reason 02): what September's run needs of August (enrolled before the CMRs and opt-outs)."""
    return [{"member_id": m["member_id"], "contract_id": m["contract_id"], "contract_year": 2025,
             "mtm_enrollment_date": AUG.isoformat(), "date_met_criteria": AUG.isoformat(),
             "targeting_reason": "02" if "ARB" in m["member_id"] else "01"}
            for m in population()["eligibility"] if "CRIT" in m["member_id"] or "ARB" in m["member_id"]]


def build_run(tmp: Path) -> dict:
    """The file's one run, built once per session (``tests.shared_runs``; issue 24, was three runs): the ledger
    seeded with August's enrolments, August's run folder holding only its issue 14 files (all the page reads
    of an earlier run: ``earlier_runs``, ``previous_month_run``), then `mtm run` at 30 September; its page is
    kept as published, then rebuilt from September's issue 14 files written by hand."""
    home = seeded_home(tmp / "home")
    roster = tmp / "roster.csv"
    with roster.open("w", newline="") as fh:
        rows = august_roster()
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    imported = CliRunner().invoke(main, ["ledger", "import", str(roster), "--home", str(home)])
    assert imported.exit_code == 0, imported.output
    aug = home / "runs" / AUG.isoformat()
    aug.mkdir(parents=True)
    write_issue14_files(aug, [f"2025-{m:02d}" for m in range(1, 9)], 0.2)
    folder = run_extract(tmp, as_of=SEP, name="sep", **population())
    published = tmp / "published_dashboard.html"
    shutil.copyfile(folder / "dashboard.html", published)
    write_issue14_files(folder, [f"2025-{m:02d}" for m in range(1, 10)], 0.3)
    manifest = json.loads((folder / "run_manifest.json").read_text())
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        write_dashboard(con, folder, manifest, home / "runs")
    finally:
        con.close()
    return {"folder": str(folder), "published": str(published)}


@pytest.fixture(scope="module")
def run():
    """The shared run, read only."""
    built = shared_build("dashboard", build_run)
    folder = Path(built["folder"])
    return {"folder": folder, "published": Path(built["published"]).read_text(), "tables": population(),
            "html": (folder / "dashboard.html").read_text(),
            "shareable": (folder / "dashboard_shareable.html").read_text()}


def embedded(html: str, script_id: str):
    match = re.search(rf'<script type="application/json" id="{script_id}">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def integers(value, path=""):
    """Every integer in embedded JSON, with where it is."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield path, value
    elif isinstance(value, str) and re.fullmatch(r"\d[\d,]*", value):
        yield path, int(value.replace(",", ""))
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from integers(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from integers(v, f"{path}[{i}]")


# Whole numbers standing alone in visible text (not part of a date, decimal, percentage, version or id).
STANDALONE = re.compile(r"(?<![\w.,+:/-])\d{1,3}(?:,\d{3})*(?![\w.,%:/-]|,\d)")


def test_privacy_rule_hides_small_cells_and_their_complement():
    # the metrics files' algorithm (pipelines/publishing/privacy.py): small cells read "<11", their complements
    # "suppressed"
    assert suppress_small_counts([0, 11, 10, 1]) == [0, 11, SUPPRESSED, SUPPRESSED]
    assert suppress_small_counts([5, 40, 20]) == [SUPPRESSED, 40, COMPLEMENTARY_LABEL]  # 5 = total - 60 otherwise
    # a cell hidden as a complement in a column makes its row need a complement too
    cells = {("A", "x"): 5, ("B", "x"): 30, ("All", "x"): 35, ("A", "y"): 50, ("A", "z"): 60}
    shown = suppress_groups(cells, [[("A", "x"), ("B", "x"), ("All", "x")], [("A", "x"), ("A", "y"), ("A", "z")]])
    assert shown == {("A", "x"): SUPPRESSED, ("B", "x"): COMPLEMENTARY_LABEL, ("All", "x"): 35,
                     ("A", "y"): COMPLEMENTARY_LABEL, ("A", "z"): 60}


def test_every_published_run_has_its_dashboard(run):
    assert "MTM program dashboard" in run["published"]
    assert 'id="chart-funnel"' in run["published"]
    specs = embedded(run["published"], "chart-specs")
    assert set(specs) == set(CHART_TITLES)


def test_page_opens_from_disk_offline_with_every_chart_rendered_and_no_console_error(run, tmp_path):
    errors, tiles = [], {}
    with chromium(offline=True) as context:
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((run["folder"] / "dashboard.html").as_uri())
        for contract in ("all", "H1111", "H2222"):
            page.select_option("#contract", contract)
            page.wait_for_selector("body[data-ready=true]", timeout=30_000)
            charts = page.eval_on_selector_all(
                ".chart", "els => els.map(e => [e.dataset.chart, e.querySelectorAll('svg .role-mark').length])")
            assert [name for name, _ in charts] == list(CHART_TITLES)
            assert all(marks > 0 for _, marks in charts), (contract, charts)
            summaries = page.eval_on_selector_all(".summary", "els => els.map(e => e.textContent)")
            assert all(s.strip() and "Not computed" not in s for s in summaries), summaries
            tiles[contract] = page.eval_on_selector_all(".tile", "els => els.map(e => e.innerText)")
        assert any("CMR completion rate" in t and "30.0%" in t and "denominator 40" in t for t in tiles["H1111"]), tiles
        page.select_option("#contract", "all")
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        shot = tmp_path / "dashboard.png"
        page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    assert errors == []


def test_no_count_from_1_to_10_anywhere_in_the_page(run):
    html = run["shareable"]  # issue 25 item 11: the page made to be shared outside the plan
    data = embedded(html, "dashboard-data")
    small = [(path, n) for path, n in integers(data["views"]) if 1 <= n <= 10]
    assert small == []
    h2222 = data["views"]["H2222"]["charts"]
    funnel = {r["step"]: r["label"] for r in h2222["funnel"]["rows"]}
    assert funnel["Meet the MTM criteria"] == SUPPRESSED  # 4 members
    opt = {r["reason"]: r["label"] for r in data["views"]["H1111"]["charts"]["opt_outs"]["rows"]}
    assert opt["Asked to opt out"] == SUPPRESSED  # 2 members
    trend = [r for r in data["views"]["H2222"]["charts"]["trend_program"]["rows"]]
    assert {r["label"] for r in trend if r["metric"].startswith("CMR offered")} == {COMPLEMENTARY_LABEL}
    table = data["views"]["H1111"]["measures_table"]
    cob = [dict(zip(table["columns"], r, strict=True)) for r in table["rows"] if r[0].startswith("Opioids")][0]
    assert (cob["Numerator"], cob["Rate"], cob["Year-end range"]) == (SUPPRESSED, COMPLEMENTARY_LABEL,
                                                                      COMPLEMENTARY_LABEL)
    with chromium(offline=True) as context:
        page = context.new_page()
        page.goto((run["folder"] / "dashboard_shareable.html").as_uri())
        for contract in ("all", "H1111", "H2222"):
            page.select_option("#contract", contract)
            page.wait_for_selector("body[data-ready=true]", timeout=30_000)
            text = page.evaluate(  # the page's text outside charts, and chart text but for axis ticks
                "() => [...document.querySelectorAll('main .tile div, main p, main h2, main h3, main th, main td')]"
                ".concat([...document.querySelectorAll('svg text')].filter(t => !t.closest('.role-axis-label')))"
                ".map(e => e.textContent).join('\\n')")
            found = [int(m.replace(",", "")) for m in STANDALONE.findall(text)]
            assert found and not [n for n in found if 1 <= n <= 10], (contract, text)


def test_no_member_id_name_phone_or_birth_date_in_the_page(run):
    for row in run["tables"]["eligibility"]:
        for column in ("member_id", "first_name", "last_name", "birth_date", "phone"):
            for html in (run["html"], run["shareable"]):
                assert row[column] not in html, (column, row[column])


def test_print_stylesheet_lays_panels_out_for_paper(run):
    with chromium(offline=True) as context:
        page = context.new_page()
        page.goto((run["folder"] / "dashboard.html").as_uri())
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        page.emulate_media(media="print")
        layout = page.evaluate("() => [getComputedStyle(document.querySelector('.grid')).display, "
                               "getComputedStyle(document.querySelector('header select')).display, "
                               "getComputedStyle(document.querySelector('.panel')).breakInside]")
        assert layout[0] == "block" and layout[2] == "avoid"
        pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000


def test_a_dashboard_that_cannot_be_built_fails_the_run_and_publishes_nothing(tmp_path, monkeypatch):
    import pipelines.publishing.publish

    def broken(*args, **kwargs):
        raise RuntimeError("template error")

    monkeypatch.setattr(pipelines.publishing.publish, "write_dashboard", broken)
    with pytest.raises(RunFailed, match="template error"):
        run_extract(tmp_path, SEP, "extract", eligibility=[member("M1")],
                    pharmacy_claim=[fill("M1", d, NDC[drug], 30, 150.0) for drug in EIGHT_DRUGS for d in FILL_DATES])
    assert not (tmp_path / "home" / "runs" / SEP.isoformat()).exists()
    failed = list((tmp_path / "home" / "failed").iterdir())
    assert len(failed) == 1 and "template error" in (failed[0] / "run_manifest.json").read_text()
    # the failed asset's DuckDB connection (Dagster's resource, user agent "dagster") is still open in-process
    config = {"custom_user_agent": "dagster", **duckdb_config(tmp_path / "home")}
    con = duckdb.connect(str(tmp_path / "home" / "warehouse.duckdb"), config=config)
    try:  # the member meets the criteria: had the ledger been committed first, it would hold a row
        assert con.execute("SELECT count(*) FROM mtm_enrollment_ledger").fetchone()[0] == 0
    finally:
        con.close()


def test_dashboard_counts_model_funnel_services_and_opt_outs(model):
    """The member counts behind the page, from given rows of the tables the model reads."""
    def summary(member_id, enrolled=True, criteria=True, reason="01", opt_out=None):
        return {"member_id": member_id, "contract_id": "H1234", "targeting_reason": reason,
                "meets_conditions": criteria, "meets_drugs": criteria, "meets_cost": False,
                "meets_criteria": criteria, "mtm_enrolled": enrolled, "opt_out_reason": opt_out}

    def event(member_id, event_type, contract="H1234"):
        return {"member_id": member_id, "contract_id": contract, "event_type": event_type,
                "event_date": dt.date(2025, 9, 1)}

    rows = model(
        "dashboard_counts",
        member_summary=[summary("DONE"), summary("OFFERED"), summary("ENROLLED"),
                        summary("OUT", enrolled=False, opt_out="requested"),
                        summary("NOT", enrolled=False, criteria=False, reason="04")],
        tgt_mtm_event=[event("DONE", "cmr_completed"), event("OFFERED", "cmr_offered"),
                       event("ENROLLED", "cmr_offered", contract="H9999"),  # another contract's offer
                       event("NOT", "cmr_completed")],  # not enrolled: not in the funnel's CMR steps
        tgt_mtm_enrollment=[{"member_id": "DEAD", "contract_id": "H1234", "opt_out_reason": "death"},
                            {"member_id": "OUT", "contract_id": "H1234", "opt_out_reason": "requested"},
                            {"member_id": "DONE", "contract_id": "H1234", "opt_out_reason": None}],
        outreach_list=[{"contract_id": "H1234", "service": "cmr_initial", "due_date": dt.date(2025, 9, 29)},
                       {"contract_id": "H1234", "service": "cmr_initial", "due_date": dt.date(2025, 9, 30)},
                       {"contract_id": "H1234", "service": "tmr", "due_date": dt.date(2025, 9, 30)}],
    )
    counts = {(r["panel"], r["category"], r["status"]): r["members"] for r in rows}
    assert {k[1]: v for k, v in counts.items() if k[0] == "funnel"} == {
        "part_d_enrollees": 5, "meets_conditions": 4, "meets_drugs": 4, "meets_cost": 0, "meets_criteria": 4}
    assert {k[1]: v for k, v in counts.items() if k[0] == "reason"} == {"01": 4, "04": 1}
    assert {k[1:]: v for k, v in counts.items() if k[0] == "service"} == {
        ("cmr_initial", "overdue"): 1, ("cmr_initial", "due"): 1, ("tmr", "due"): 1}
    assert {k[1]: v for k, v in counts.items() if k[0] == "opt_out"} == {"death": 1, "requested": 1}
