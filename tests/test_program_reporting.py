"""CMR completion rate, program metrics kept across runs, the CMS MTM file and `mtm report`, over a
program run through the year (as of 1 July, 2 August, 3 August, 30 September 2025) in one home.

Members meet the criteria as DMP at-risk beneficiaries (reason 02) from their ARB start date, so each is
enrolled by the first run on or after it.

Issue 24: the rules (the CMR rate's 60-day denominator, the CMS file's codes, the what-if grid) are read from
the models (``program_models``): the four runs are four ENROLLMENT_CHAIN builds, each given the ledger the one
before wrote, the last one on to the measure layer, the CMS file and the what-if grid, written to the
published files by the export's own code. What needs a home across runs -- program_metrics_history kept
across runs and replaced for a rerun, `mtm report` -- reads three whole runs (1 July, 3 August, 30 September:
the last run of each month; the 2 August run only dated m_60's enrollment, which the models carry).
"""

from __future__ import annotations

import csv
import datetime as dt

import duckdb
import pytest
from click.testing import CliRunner

from dagster_project.run import run_pipeline
from mtm.cli import main
from pipelines.publishing.exports.measures import cms_fields, write_cms_file, write_criteria_whatif
from pipelines.run_state.run_context import RunContext
from tests import rule_chain
from tests.extract_builder import fill, member, write_extract
from tests.model_harness import ModelHarness
from tests.rule_chain import ENROLLMENT_CHAIN
from tests.targeting_harness import ledger, warehouse_rows, without_expectations
from tests.template_home import seeded_home

RUNS = [dt.date(2025, 7, 1), dt.date(2025, 8, 2), dt.date(2025, 8, 3), dt.date(2025, 9, 30)]
WHOLE_RUNS = [RUNS[0], RUNS[2], RUNS[3]]
ARB_START = {"m_jul": "2025-07-01", "m_cmr": "2025-07-01", "m_60": "2025-08-02", "m_59": "2025-08-03",
             "m_new_cmr": "2025-09-30", "m_hospice": "2025-07-01", "m_requested": "2025-07-01",
             "m_died": "2025-07-01"}


def event(member_id: str, day: str, event_type: str, **extra) -> dict:
    return {"member_id": member_id, "event_date": day, "event_type": event_type, **extra}


EVENTS = [
    event("m_cmr", "2025-07-10", "cmr_offered"),
    event("m_cmr", "2025-08-01", "cmr_completed", delivery_method="telephone", recipient="caregiver",
          provider_type="pharmacist", cognitively_impaired="true"),
    event("m_cmr", "2025-08-05", "summary_sent"),
    event("m_cmr", "2025-08-01", "safe_disposal_info"),
    event("m_cmr", "2025-08-01", "dtp_recommendation"),
    event("m_cmr", "2025-08-20", "dtp_resolved"),
    event("m_cmr", "2025-09-01", "tmr_completed"),
    event("m_new_cmr", "2025-09-30", "cmr_completed", delivery_method="face_to_face", recipient="beneficiary",
          provider_type="pharmacist"),
    event("m_requested", "2025-08-10", "opted_out", opt_out_reason="requested"),
]


SCENARIO = {
    "eligibility": [member(m, mbi=f"1EG4TE5MK{i:02d}", **({"death_date": "2025-09-15"} if m == "m_died" else {}))
                    for i, m in enumerate(ARB_START)],
    "pharmacy_claim": [fill(m, "2025-01-05") for m in ARB_START],
    "dmp_arb": [{"member_id": m, "arb_start_date": d} for m, d in ARB_START.items()],
    "member_status": [{"member_id": "m_hospice", "status": "hospice", "status_start_date": "2025-03-01",
                       "status_end_date": "2025-03-31"}],
    "mtm_event": EVENTS,
}
#: the last run's models: the enrolment chain, the measure layer, the CMS file and the what-if grid
PROGRAM_CHAIN = [
    *ENROLLMENT_CHAIN, "qm_member_year", "qm_excluded_interval", "qm_member_exclusion_dx", "qm_safety_overlap",
    "qm_pdc_member", "qm_cob_member", "qm_poly_member", "qm_supd_member", "qm_cmr_event", "qm_cmr_member",
    "quality_measure_members", "qm_dtp", "cms_mtm_beneficiary_file", "criteria_whatif",
]


@pytest.fixture(scope="module")
def program_models(schema_warehouse, tmp_path_factory) -> dict:
    """The four runs as model builds (issue 24), each given the ledger the one before wrote; the last one's
    quality_measure_members rows and its CMS file and what-if grid as the export writes them."""
    tmp = tmp_path_factory.mktemp("program_models")
    harness, ledger = ModelHarness(schema_warehouse), None
    for d in RUNS:
        folder = tmp / d.isoformat()
        folder.mkdir()
        chain = PROGRAM_CHAIN if d == RUNS[-1] else ENROLLMENT_CHAIN
        built = rule_chain.build(harness, folder, SCENARIO, chain, as_of=d, ledger=ledger,
                                 database=folder / "models.duckdb" if d == RUNS[-1] else None)
        ledger = built["tgt_ledger_next"]
    with duckdb.connect(str(folder / "models.duckdb")) as con:
        write_cms_file(con, folder / "cms_mtm_beneficiary_file.csv")
        write_criteria_whatif(None, con, folder)
    return {"built": built, "folder": folder}


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    """Three whole runs in one home (1 July, 3 August, 30 September: the last run of each month)."""
    tmp = tmp_path_factory.mktemp("program")
    extract = write_extract(tmp / "extract", SCENARIO["eligibility"], SCENARIO["pharmacy_claim"],
                            dmp_arb=SCENARIO["dmp_arb"], member_status=SCENARIO["member_status"], mtm_event=EVENTS)
    home = tmp / "home"
    settings = tmp / "settings.toml"  # Great Expectations off: program rules here, the suites in test_quality_gx.py
    settings.write_text(without_expectations(""))
    folders = [run_pipeline(RunContext.create(home=seeded_home(home), extract_dirs=[extract], as_of=d,
                                              settings_file=settings))
               for d in WHOLE_RUNS]
    return {"home": home, "folder": folders[-1], "extract": extract, "tmp": tmp, "settings": settings}


def test_cmr_rate_denominator_60_day_rule_and_hospice(program_models):
    rows = {r["member_id"]: r for r in program_models["built"]["quality_measure_members"]
            if r["measure_id"] == "cmr_completion"}
    outcome = {m: (r["in_denominator"], r["in_numerator"], r["exclusion_reason"]) for m, r in rows.items()}
    assert outcome == {
        "m_jul": (True, False, None),
        "m_cmr": (True, True, None),
        "m_60": (True, False, None),                           # Aug 2 .. Sep 30: 60 days
        "m_59": (False, False, "enrolled_under_60_days"),      # Aug 3 .. Sep 30: 59 days
        # 1 day, and its CMR of 30 September still waits for its written summary (issue 25 item 10: not counted)
        "m_new_cmr": (False, False, "enrolled_under_60_days"),
        "m_hospice": (False, False, "hospice"),                # hospice in March, not at D
        "m_requested": (False, False, "enrolled_under_60_days"),  # Jul 1 .. opt-out Aug 10
        "m_died": (True, False, None),                         # Jul 1 .. death Sep 15: 77 days
    }


def read_csv(path) -> list[dict]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_cms_file_codes(program_models):
    rows = {r["mbi"]: r for r in read_csv(program_models["folder"] / "cms_mtm_beneficiary_file.csv")}
    mbi = {m: f"1EG4TE5MK{i:02d}" for i, m in enumerate(ARB_START)}
    cmr = rows[mbi["m_cmr"]]
    assert (cmr["cmr_offered"], cmr["cmr_offer_date"], cmr["cmr_received"], cmr["cmr_count"], cmr["cmr_dates"]) == (
        "Y", "2025-07-10", "Y", "1", "2025-08-01")
    assert (cmr["cmr_delivery_method"], cmr["cmr_recipient"], cmr["cmr_provider"]) == ("02", "03", "13")
    assert (cmr["written_summary_date"], cmr["tmr_count"], cmr["dtp_recommendations"], cmr["dtp_resolutions"]) == (
        "2025-08-05", "1", "1", "1")
    assert (cmr["safe_disposal_info"], cmr["safe_disposal_date"], cmr["cognitively_impaired"]) == (
        "Y", "2025-08-01", "Y")
    assert (cmr["mtm_enrollment_date"], cmr["targeting_reason"], cmr["first_name"]) == ("2025-07-01", "02", "Ada")
    # issue 25 item 4c: m_new_cmr's CMR has no written summary yet: not received, an offer implied (same day)
    new = rows[mbi["m_new_cmr"]]
    assert (new["cmr_received"], new["cmr_count"], new["cmr_delivery_method"], new["cmr_offered"],
            new["cmr_offer_date"]) == ("N", "0", "", "Y", "2025-09-30")
    assert (rows[mbi["m_requested"]]["opt_out_date"], rows[mbi["m_requested"]]["opt_out_reason_code"]) == (
        "2025-08-10", "03")
    assert (rows[mbi["m_died"]]["opt_out_date"], rows[mbi["m_died"]]["opt_out_reason_code"]) == ("2025-09-15", "01")
    assert rows[mbi["m_jul"]]["cmr_offered"] == "N" and rows[mbi["m_jul"]]["cmr_offer_date"] == ""
    header = list(read_csv(program_models["folder"] / "cms_mtm_beneficiary_file.csv")[0])
    assert header == [f["field_name"] for f in cms_fields()]  # names and order declared in one place


def history(home) -> list[tuple]:
    return warehouse_rows(home, "SELECT as_of_date, month, metric, value_numeric, value_display "
                                "FROM program_metrics_history WHERE contract_id = 'H1234' ORDER BY ALL")


def test_program_metrics_are_kept_across_runs_and_replaced_for_a_rerun(program):
    rows = history(program["home"])
    assert sorted({r[0] for r in rows}) == WHOLE_RUNS
    last = {(m, k): (v, d) for a, m, k, v, d in rows if a == RUNS[-1]}
    # issue 25 item 11: program_metrics.csv is the plan's own file: exact counts, small ones included
    assert last[("2025-07", "mtm_enrolled_new")] == (5.0, "5")
    assert last[("2025-08", "mtm_enrolled_new")] == (2.0, "2")
    assert last[("2025-09", "mtm_enrolled_cumulative")] == (8.0, "8")
    assert last[("2025-08", "opt_outs_requested")] == (1.0, "1")
    assert last[("2025-09", "opt_outs_death")] == (1.0, "1")
    assert last[("2025-08", "cmr_completed")] == (1.0, "1")
    assert last[("2025-01", "part_d_enrollees")] == (8.0, "8")
    # criteria counts of earlier months come from the last run of that month
    assert last[("2025-07", "meeting_criteria_reason_02")] == (5.0, "5")
    assert last[("2025-08", "meeting_criteria_reason_02")] == (7.0, "7")
    assert last[("2025-09", "meeting_criteria_reason_02")] == (7.0, "7")  # m_new_cmr joins, m_died left
    published = read_csv(program["folder"] / "program_metrics.csv")
    assert list(published[0]) == ["contract_id", "month", "metric", "value"]
    assert {r["metric"] for r in published} >= {
        "part_d_enrollees", "meeting_criteria_reason_01", "meeting_criteria_reason_02", "meeting_criteria_reason_03",
        "mtm_enrolled_cumulative", "mtm_enrolled_new", "cmr_offered_within_60_days",
        "cmr_offered_within_60_days_rate", "cmr_completed", "tmr_completed", "cmr_declined", "outreach_attempts",
        "opt_outs_death", "opt_outs_disenrolled", "opt_outs_requested", "opt_outs_other", "dtp_recommendations",
        "dtp_resolutions"}
    assert "meeting_criteria_reason_04" not in {r["metric"] for r in published}
    before = len(rows)
    ledger_before, summary_before = ledger(program["home"]), read_csv(program["folder"] / "member_summary.csv")
    rerun = run_pipeline(RunContext.create(home=program["home"], extract_dirs=[program["extract"]], as_of=RUNS[-1],
                                           settings_file=program["settings"]))
    assert len(history(program["home"])) == before
    # a rerun of a date changes nothing: the ledger, the published member summary (issue 24: moved here from
    # test_enrollment_ledger.py, whose own rerun is make test-long)
    assert ledger(program["home"]) == ledger_before and len(ledger_before) == 8
    assert read_csv(rerun / "member_summary.csv") == summary_before


def test_mtm_report_writes_the_contract_files(program):
    out = program["tmp"] / "report"
    result = CliRunner().invoke(main, ["report", "--contract", "H1234", "--year", "2025",
                                       "--home", str(program["home"]), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {"quality_measures.csv", "quality_measure_members.parquet",
                                               "cms_mtm_beneficiary_file.csv", "cms_mtm_submission_H1234.csv",
                                               "cms_mtm_problems.csv", "cms_mtm_validation.csv", "report.json"}
    assert len(read_csv(out / "cms_mtm_beneficiary_file.csv")) == 8
    assert "as of 2025-09-30" in result.output
    bad = CliRunner().invoke(main, ["report", "--contract", "H1234", "--year", "2019", "--home", str(program["home"])])
    assert bad.exit_code != 0 and "no published run of 2019" in bad.output


def test_criteria_whatif_grid_against_the_current_settings(program_models):
    rows = read_csv(program_models["folder"] / "criteria_whatif.csv")
    assert list(rows[0]) == ["contract_id", "min_core_conditions", "min_part_d_drugs", "threshold_source",
                             "cost_threshold", "is_current", "members_meeting", "cmr_workload",
                             "members_meeting_change", "cmr_workload_change"]
    assert len(rows) == 2 * 7 * 2  # conditions 2..3 x drugs 2..8 x (CMS, plan) threshold, one contract
    current = [r for r in rows if r["is_current"] == "true"]
    assert [(r["min_core_conditions"], r["min_part_d_drugs"], r["threshold_source"]) for r in current] == [
        ("3", "8", "plan")]
    # every member here qualifies as an at-risk beneficiary: 7 under every combination (exact: issue 25 item 11)
    assert {r["members_meeting"] for r in rows} == {"7"}
    assert {r["members_meeting_change"] for r in rows} == {"0"}
