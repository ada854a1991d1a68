"""Issue 25 item 11 (targeting-rules.md section 10, 2026-12-07): exact counts in the files and pages for the
plan's own quality team; small-cell suppression (1-10 -> "<11", complementary cells reading "suppressed") only
on what is made to be shared outside the plan (dashboard_shareable.html, `mtm report --shareable`), with the one
algorithm of pipelines/publishing/privacy.py.

The defect: S3333's PDC-DR, 119 of 126, was hidden from its own plan (the 7 non-adherent members are implied).
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import polars as pl

from pipelines.publishing.exports import dashboard
from pipelines.publishing.exports.measures import (
    QUALITY_COLUMNS,
    exact_quality_measures,
    suppressed_quality_measures,
    write_criteria_whatif,
    write_program_metrics,
    write_quality_files,
)
from pipelines.publishing.privacy import COMPLEMENTARY_LABEL, SMALL_LABEL

PDC_DR = {"contract_id": "S3333", "measurement_year": 2025, "measure_id": "pdc_dr",
          "measure_name": "Adherence: diabetes medications (PDC-DR)", "numerator": 119, "denominator": 126,
          "rate": 119 / 126, "too_small_to_rate": False, "year_end_low": 0.9, "year_end_high": 0.96,
          "recoverable_members": 4, "lower_is_better": False}


def measures_frame() -> pl.DataFrame:
    return pl.DataFrame([PDC_DR])


def test_quality_measures_exact_for_the_plan_suppressed_when_shared():
    exact = exact_quality_measures(measures_frame())[0]
    assert (exact["numerator"], exact["denominator"], exact["rate"], exact["recoverable_members"]) == (
        "119", "126", "0.9444", "4")
    shared = suppressed_quality_measures(measures_frame())[0]
    # 7 non-adherent members are implied by 126 - 119: the numerator is hidden, and the rate with it
    assert (shared["numerator"], shared["denominator"], shared["rate"]) == (COMPLEMENTARY_LABEL, "126",
                                                                           COMPLEMENTARY_LABEL)
    assert shared["recoverable_members"] == SMALL_LABEL


def _warehouse(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    frame = measures_frame().with_columns(pl.lit(1).alias("display_order"))  # noqa: F841 -- read below
    con.execute("CREATE TABLE quality_measures AS SELECT * FROM frame")
    con.execute("CREATE TABLE quality_measure_members (member_id VARCHAR, contract_id VARCHAR, measure_id VARCHAR, "
                "in_denominator BOOLEAN, in_numerator BOOLEAN, exclusion_reason VARCHAR, pdc DOUBLE, "
                "days_covered INTEGER, days_in_period INTEGER, recoverable BOOLEAN, days_may_still_miss INTEGER)")
    con.execute("INSERT INTO quality_measure_members VALUES ('M1', 'S3333', 'pdc_dr', true, true, NULL, 0.9, "
                "90, 100, false, 0)")
    con.execute("CREATE TABLE program_metrics AS SELECT * FROM (VALUES "
                "(DATE '2025-09-30', 'S3333', '2025-09', 'mtm_enrolled_new', 4.0, true, false), "
                "(DATE '2025-09-30', 'S3333', '2025-09', 'cmr_offered_within_60_days', 3.0, true, false), "
                "(DATE '2025-09-30', 'S3333', '2025-09', 'cmr_offered_within_60_days_rate', 0.75, true, true), "
                "(DATE '2025-09-30', 'S3333', '2025-09', 'part_d_enrollees', 900.0, true, false)) "
                "AS t(as_of_date, contract_id, month, metric, value, published, is_rate)")
    con.execute("CREATE TABLE criteria_whatif AS SELECT 'S3333' AS contract_id, 3 AS min_core_conditions, "
                "8 AS min_part_d_drugs, 'plan' AS threshold_source, 1623.0 AS cost_threshold, true AS is_current, "
                "7 AS members_meeting, 5 AS cmr_workload, 0 AS members_meeting_change, 0 AS cmr_workload_change")
    return con


def read(path: Path) -> list[dict]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_run_folder_files_carry_exact_counts_and_the_shareable_report_suppresses(tmp_path):
    con = _warehouse(tmp_path)
    own, shared = tmp_path / "own", tmp_path / "shared"
    own.mkdir()
    shared.mkdir()
    write_quality_files(con, own)
    write_program_metrics(None, con, own)
    write_criteria_whatif(None, con, own)
    write_quality_files(con, shared, shareable=True)  # what `mtm report --shareable` writes
    qm = read(own / "quality_measures.csv")[0]
    assert (qm["numerator"], qm["denominator"]) == ("119", "126")
    assert {r["metric"]: r["value"] for r in read(own / "program_metrics.csv")} == {
        "mtm_enrolled_new": "4", "cmr_offered_within_60_days": "3", "cmr_offered_within_60_days_rate": "0.7500",
        "part_d_enrollees": "900"}
    whatif = read(own / "criteria_whatif.csv")[0]
    assert (whatif["members_meeting"], whatif["cmr_workload"]) == ("7", "5")
    assert (own / "quality_measure_members.parquet").exists()
    shared_qm = read(shared / "quality_measures.csv")
    assert list(shared_qm[0]) == QUALITY_COLUMNS
    assert (shared_qm[0]["numerator"], shared_qm[0]["rate"]) == (COMPLEMENTARY_LABEL, COMPLEMENTARY_LABEL)
    assert not (shared / "quality_measure_members.parquet").exists()  # member-level detail stays in the plan
    # one algorithm: the shareable dashboard hides exactly what the shareable report hides
    assert dashboard.shareable_measure_rows(read(own / "quality_measures.csv")) == shared_qm


def test_dashboard_exact_for_the_plan_and_suppressed_when_shareable(tmp_path):
    con = _warehouse(tmp_path)
    folder = tmp_path / "run"
    folder.mkdir()
    write_quality_files(con, folder)
    write_program_metrics(None, con, folder)
    counts = {("S3333", "funnel", "part_d_enrollees", ""): 900, ("S3333", "funnel", "meets_criteria", ""): 30,
              ("S3333", "funnel", "mtm_enrolled", ""): 26, ("S3333", "opt_out", "requested", ""): 4}

    def view(shareable: bool) -> dict:
        data = dashboard.DashboardData(
            counts, dashboard.read_measures(folder, shareable), dashboard.read_metrics([folder], shareable),
            dashboard.measure_history([("2025-09-30", folder)], shareable), manifest={}, shareable=shareable)
        return data.view("S3333")

    own, shared = view(False), view(True)
    table = dict(zip(own["measures_table"]["columns"], own["measures_table"]["rows"][0], strict=True))
    assert (table["Numerator"], table["Denominator"], table["Rate"]) == ("119", "126", "94.4%")
    opt = {r["reason"]: r["label"] for r in own["charts"]["opt_outs"]["rows"]}
    assert opt["Asked to opt out"] == "4"
    trend = {r["metric"]: r["label"] for r in own["charts"]["trend_program"]["rows"]}
    assert trend["CMR offered within 60 days (rate)"] == "75.0%"

    table = dict(zip(shared["measures_table"]["columns"], shared["measures_table"]["rows"][0], strict=True))
    # suppressed cells say so: never "—", which means "no value"
    assert (table["Numerator"], table["Denominator"], table["Rate"], table["Year-end range"]) == (
        COMPLEMENTARY_LABEL, "126", COMPLEMENTARY_LABEL, COMPLEMENTARY_LABEL)
    assert table["Recoverable members"] == SMALL_LABEL
    opt = {r["reason"]: r["label"] for r in shared["charts"]["opt_outs"]["rows"]}
    assert opt["Asked to opt out"] == SMALL_LABEL
    trend = {r["metric"]: r["label"] for r in shared["charts"]["trend_program"]["rows"]}
    assert trend["CMR offered within 60 days (rate)"] == COMPLEMENTARY_LABEL
    tile = next(t for t in shared["tiles"] if t["label"].startswith("Adherence: diabetes"))
    assert tile["value"] == COMPLEMENTARY_LABEL
