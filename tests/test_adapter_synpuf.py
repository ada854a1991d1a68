"""The DE-SynPUF adapter: the CMS layout fixture read and built to member_summary by the staging harness (issue 24:
the graph's own steps and models, no run), and the real pipeline, published, on a generated extract.

DE-SynPUF years are 2008-2010, which the CMS parameter table lacks: every run here names the cost
threshold and the core-disease set (the CY2024 set: nine diseases, no HIV/AIDS) in its settings.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from dagster_project.run import run_pipeline
from pipelines.engine.models import install_macros
from pipelines.ingest.adapters import synpuf
from pipelines.run_state.errors import InputFileError
from pipelines.run_state.run_context import RunContext
from tests.rule_chain import by_member
from tests.shared_data import shared
from tests.staging_harness import build
from tests.synpuf_writer import bene, claim, pde, write_synpuf
from tests.template_home import seeded_home


def synpuf_fixture():
    return shared("data", "desynpuf_etlcms_2bene")



SETTINGS = """
[criteria]
cost_threshold = 3000.0
core_disease_set = 2024
min_core_conditions = 2
min_part_d_drugs = 2
[validation]
max_reject_rate = 0.5
gx_sample_rows = 0
"""

# real NDCs of the shipped map
ATORVASTATIN, LISINOPRIL, METFORMIN = "00071015523", "00006001954", "00087606005"


def run_synpuf(tmp_path: Path, extract: Path, as_of: str) -> tuple[dict[str, dict], Path]:
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS)
    ctx = RunContext.create(home=seeded_home(tmp_path / f"home-{as_of}"), extract_dirs=[extract], as_of=as_of,
                            settings_file=settings, source="synpuf")
    folder = run_pipeline(ctx)
    with (folder / "member_summary.csv").open(newline="") as fh:
        return {row["member_id"]: row for row in csv.DictReader(fh)}, folder


def stage_synpuf(tmp_path: Path, extract: Path, as_of: str) -> tuple[dict[str, dict], list[tuple]]:
    """The tables of a run without the run (issue 24, ``tests/staging_harness.py``): the SynPUF reader, the ingest
    steps, staging and the models up to member_summary, built as the graph builds them, with the run's settings.
    Returns member_summary by member, values as member_summary.csv writes them (``rule_chain.as_published``: the
    file is a COPY of the table), and the rejects (rejects.csv is a COPY of that table). Publishing a SynPUF run is
    the generated extract's whole run below."""
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS)
    ctx = RunContext.create(home=seeded_home(tmp_path / f"home-{as_of}"), extract_dirs=[extract], as_of=as_of,
                            settings_file=settings, source="synpuf")
    done: set[str] = set()
    with ctx.connect() as con:
        install_macros(con)
        for table in ("rejects", "member_summary"):
            build(con, ctx, table, done)
        cursor = con.execute("SELECT * FROM member_summary")
        columns = [c[0] for c in cursor.description]
        summary = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        rejects = con.execute("SELECT table_name, file, row_number, column_name, reason, value FROM rejects").fetchall()
    return by_member(summary), rejects


def read_csv(path: Path) -> list[dict]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


# -- the CMS layout fixture (2 real DE-SynPUF beneficiaries) -------------------------------------

def test_fixture_mid_2010(tmp_path):
    rows, rejects = stage_synpuf(tmp_path, synpuf_fixture(), "2010-06-30")
    assert set(rows) == {"0002056B40CEE448", "0004D03F1BD5E607"}
    a = rows["0002056B40CEE448"]
    # Born 1920-10-01 -> 89 on 2010-06-30. 12 Part D months in 2010 -> span 2010-01-01..12-31 covers D.
    assert (a["contract_id"], a["age"]) == ("SYNPUF", "89")
    # One PDE: 2010-03-30, 30 days -> covers 03-30..04-28, inside the 90-day window 2010-04-02..06-30:
    # one active drug (NDC 61392018345, not in the map: nine-digit rule). Its fill date is before the
    # cost window (04-02..06-30), so the projected cost is 0.00.
    assert (a["part_d_drugs"], a["projected_annual_cost"]) == ("1", "0.00")
    # dx window 2008-07-01..2010-06-30 holds the inpatient claim of 2009-02-08 (one inpatient claim is
    # enough): 71537 osteoarthrosis, 49390 asthma, 4280 heart failure, 2720 hypercholesterolemia,
    # 4019 hypertension (the admitting dx 7295 is not read). ESRD from BENE_ESRD_IND = 'Y' in the 2010
    # file. The carrier (2008-02-29) and outpatient (2008-04-04) claims are older than the window.
    assert a["core_conditions"] == "6"
    assert [k for k, v in a.items() if k.startswith("cond_") and v == "1"] == [
        "cond_bone_arthritis", "cond_heart_failure", "cond_dyslipidemia", "cond_esrd", "cond_hypertension",
        "cond_respiratory"]
    b = rows["0004D03F1BD5E607"]
    # Born 1943-07-01 -> 66. Its only PDE (2008-04-07) is long past; its carrier claim (2008-08-28:
    # 4011 hypertension, 25000 diabetes) is one professional claim (two are needed) and its inpatient
    # claim (2010-08-07) is after D.
    assert (b["age"], b["part_d_drugs"], b["core_conditions"], b["projected_annual_cost"]) == ("66", "0", "0", "0.00")
    assert rejects == []


@pytest.mark.long  # issue 24: the same fixture at 2010-06-30 stays in `make test`
def test_fixture_end_of_2010(tmp_path):
    rows, _ = stage_synpuf(tmp_path, synpuf_fixture(), "2010-12-31")
    b = rows["0004D03F1BD5E607"]
    # dx window 2009-01-01..2010-12-31: the inpatient claim of 2010-08-07 carries 4019 hypertension,
    # 2720 dyslipidemia and 496 COPD (2948 and 27801 are no core condition) -> 3 conditions.
    assert b["core_conditions"] == "3"
    assert (b["cond_hypertension"], b["cond_dyslipidemia"], b["cond_respiratory"]) == ("1", "1", "1")
    # member A: the 2009-02-08 inpatient claim is still inside the window; no drug active.
    assert (rows["0002056B40CEE448"]["core_conditions"], rows["0002056B40CEE448"]["part_d_drugs"]) == ("6", "0")


def test_fixture_raw_rows_point_at_the_source_files(tmp_path):
    con = duckdb.connect()
    ctx = SimpleNamespace(extract_dirs=[synpuf_fixture()], settings={"sources": {"synpuf_contract_id": "S9999"}})
    report = synpuf.read_extract(ctx, con)
    assert report.absent_tables == ["mtm_event", "dmp_arb", "member_status"]
    # 2 beneficiaries x 3 years, 12 months each: one span per beneficiary-year (not merged)
    assert report.rows_in["eligibility"] == 6
    assert report.rows_in["pharmacy_claim"] == 2
    assert report.rows_in["medical_claim"] == 6
    spans = con.execute(
        "SELECT _file, _row, member_id, contract_id, enrollment_start_date, enrollment_end_date, birth_date, "
        "sex, esrd FROM raw_eligibility WHERE member_id = '0002056B40CEE448' ORDER BY _seq").fetchall()
    assert spans == [
        (f"DE1_0_{y}_Beneficiary_Summary_File_Sample_0.csv", 1, "0002056B40CEE448", "S9999", f"{y}-01-01",
         f"{y}-12-31", "1920-10-01", "F", "true" if y == 2010 else "false")
        for y in (2008, 2009, 2010)
    ]
    fill = con.execute("SELECT _file, _row, claim_id, fill_date, ndc, days_supply, quantity, gross_drug_cost, "
                       "patient_pay_amount FROM raw_pharmacy_claim ORDER BY _row").fetchall()[1]
    assert fill == ("DE1_0_2008_to_2010_Prescription_Drug_Events_Sample_0.csv", 2, "782974413241711",
                    "2008-04-07", "53746022010", "90", "30", "10", "20")
    inpatient = con.execute(
        "SELECT claim_type, claim_start_date, claim_end_date, diagnosis_code_1, diagnosis_code_9, "
        "diagnosis_code_10, icd_version FROM raw_medical_claim WHERE claim_id = '744651196200598'").fetchone()
    assert inpatient == ("inpatient", "2009-02-08", "2009-02-10", "71537", "4019", None, "9")
    carrier = con.execute("SELECT claim_type, diagnosis_code_1, diagnosis_code_4 FROM raw_medical_claim "
                          "WHERE claim_id = '436313306961904'").fetchone()
    assert carrier == ("professional", "36632", "37921")  # the line diagnosis 36616 is not read
    # 53746022010 is in the FDA-derived map (issue 11); 61392018345 is in no map
    assert any("largely synthetic" in note and "1 of 2" in note for note in report.notes)


# -- clear errors ---------------------------------------------------------------------------------

def copy_fixture(tmp_path: Path) -> Path:
    """A writable copy of the (read-only) fixture folder."""
    extract = tmp_path / "extract"
    extract.mkdir()
    for f in synpuf_fixture().glob("*.csv"):
        shutil.copyfile(f, extract / f.name)
    return extract


def _ctx(folder: Path) -> SimpleNamespace:
    return SimpleNamespace(extract_dirs=[folder], settings={"sources": {"synpuf_contract_id": "SYNPUF"}})


def test_missing_file_names_the_file(tmp_path):
    # issue 26 item 18: the PDE file is required; a missing medical file is a warning
    # (tests/test_i26_synpuf_partial.py)
    extract = copy_fixture(tmp_path)
    (extract / "DE1_0_2008_to_2010_Prescription_Drug_Events_Sample_0.csv").unlink()
    with pytest.raises(InputFileError) as err:
        synpuf.read_extract(_ctx(extract), duckdb.connect())
    assert err.value.file == "DE1_0_2008_to_2010_Prescription_Drug_Events_Sample_0.csv"
    assert ("DE1_0_2008_to_2010_Prescription_Drug_Events_Sample_0.csv: required DE-SynPUF file missing"
            in str(err.value))


@pytest.mark.parametrize("file, column", [
    ("DE1_0_2009_Beneficiary_Summary_File_Sample_0.csv", "PLAN_CVRG_MOS_NUM"),
    ("DE1_0_2008_to_2010_Prescription_Drug_Events_Sample_0.csv", "TOT_RX_CST_AMT"),
    ("DE1_0_2008_to_2010_Inpatient_Claims_Sample_0.csv", "CLM_FROM_DT"),  # a missing dx position: a warning
])
def test_renamed_column_names_file_and_column(tmp_path, file, column):
    extract = copy_fixture(tmp_path)
    path = extract / file
    path.write_text(path.read_text().replace(f'"{column}"', f'"{column}_X"', 1))
    with pytest.raises(InputFileError) as err:
        synpuf.read_extract(_ctx(extract), duckdb.connect())
    assert (err.value.file, err.value.column) == (file, column)
    assert file in str(err.value) and f"column '{column}'" in str(err.value)


def test_no_synpuf_files_at_all(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputFileError, match="no DE-SynPUF files found"):
        synpuf.read_extract(_ctx(tmp_path / "empty"), duckdb.connect())


# -- a generated extract with known answers, end to end -------------------------------------------

def generated_extract(folder: Path) -> Path:
    full = {"months": 12}
    return write_synpuf(
        folder,
        beneficiaries={
            2008: [bene("B1", "19400315", **full), bene("B2", "19300101", **full), bene("B5", "19450101", months=0),
                   bene("B0", "19400101", months=0)],
            2009: [bene("B1", "19400315", **full), bene("B2", "19300101", **full), bene("B3", "19500101", **full),
                   bene("B5", "19450101", **full), bene("B0", "19400101", months=0)],
            2010: [bene("B1", "19400315", **full), bene("B2", "19300101", death="20101120", **full),
                   bene("B3", "19500101", months=6), bene("B5", "19450101", esrd="Y", **full),
                   bene("B6", "19450101", months="X"), bene("B0", "19400101", months=0)],
        },
        pde_rows=[
            pde("B1", "P1", "20101115", ATORVASTATIN, 30, 100),
            pde("B1", "P2", "20101201", LISINOPRIL, 30, 50),
            pde("B1", "P3", "20101020", "99999000001", 30, 30),   # synthetic NDC: nine-digit rule
            pde("B1", "P4", "20101210", METFORMIN, 0, 999),       # DAYS_SUPLY_NUM 0: rejected
            pde("B2", "P5", "20101101", ATORVASTATIN, 30, 100),
            pde("B3", "P6", "20100915", ATORVASTATIN, 30, 100),   # after B3's 6 months: pending
            pde("B5", "P7", "20101101", ATORVASTATIN, 30, 1000),
            pde("B5", "P8", "20101201", ATORVASTATIN, 30, 1000),
            pde("B5", "P9", "20101201", METFORMIN, 30, 1000),
            pde("B0", "P10", "20101101", ATORVASTATIN, 30, 10),  # no Part D month in any year: known, pending
        ],
        inpatient=[
            # position 1 empty: 25000 (diabetes) still counts; the admitting 4280 (heart failure) does not
            claim("B1", "I1", "20090815", "", "25000", SEGMENT="1", ADMTNG_ICD9_DGNS_CD="4280"),
        ],
        carrier_a=[
            claim("B1", "C1", "20100301", "4011", LINE_ICD9_DGNS_CD_1="49390"),  # line dx (asthma): not read
            claim("B5", "C3", "20100405", "2720"),
        ],
        carrier_b=[
            claim("B1", "C2", "20100601", "4011"),
            claim("B5", "C4", "20100505", "2720"),
            claim("B1", "C5", "20100701"),                                      # no diagnosis at all
        ],
    )


def test_generated_extract_end_to_end(tmp_path):
    rows, folder = run_synpuf(tmp_path, generated_extract(tmp_path / "extract"), "2010-12-31")
    # B2 died 2010-11-20 (latest year's file) -> not enrolled at D; B3 had 6 months in 2010 (span
    # ends 2010-06-30); B6's month count 'X' is rejected. B5 is enrolled through its 2010 file.
    assert set(rows) == {"B1", "B5"}

    b1 = rows["B1"]
    # Active window 2010-10-03..12-31: atorvastatin (11-15), lisinopril (12-01) and the synthetic NDC
    # 99999000001 (10-20, covers to 11-18) -> 3 drugs; the 0-day metformin fill is rejected.
    # Cost: 100 + 50 + 30 = 180 in 90 covered days -> 180 * 365 / 90 = 730.00.
    assert (b1["part_d_drugs"], b1["projected_annual_cost"]) == ("3", "730.00")
    # Conditions (dx window 2009-01-01..2010-12-31): hypertension from two carrier claims on different
    # dates (C1 in file A, C2 in file B); diabetes from the inpatient claim's second position. The
    # admitting heart-failure code and the carrier line asthma code count for nothing.
    assert (b1["core_conditions"], b1["cond_hypertension"], b1["cond_diabetes"]) == ("2", "1", "1")
    assert (b1["cond_heart_failure"], b1["cond_respiratory"]) == ("0", "0")
    # 2 conditions, 3 drugs, but 730.00 < 3000.00 -> criteria not met (reason 04)
    assert (b1["meets_conditions"], b1["meets_drugs"], b1["meets_cost"], b1["targeting_reason"]) == (
        "true", "true", "false", "04")

    b5 = rows["B5"]
    # No Part D in 2008 (months 0), full 2009 and 2010. Drugs: atorvastatin (11-01, 12-01) and
    # metformin (12-01) -> 2. Cost 3 x 1000 = 3000 * 365 / 90 = 12166.67 >= 3000.
    assert (b5["part_d_drugs"], b5["projected_annual_cost"]) == ("2", "12166.67")
    # ESRD from BENE_ESRD_IND = 'Y' (2010 span covers D); dyslipidemia from carrier claims C3 and C4
    # (2720, two dates) and from two atorvastatin fills. Diabetes: one metformin fill is not enough.
    assert (b5["core_conditions"], b5["cond_esrd"], b5["cond_dyslipidemia"], b5["cond_diabetes"]) == (
        "2", "1", "1", "0")
    assert (b5["meets_criteria"], b5["targeting_reason"], b5["mtm_enrolled"]) == ("true", "01", "true")

    rejects = read_csv(folder / "rejects.csv")
    assert {(r["file"], r["row_number"], r["column_name"]) for r in rejects} == {
        ("DE1_0_2008_to_2010_Prescription_Drug_Events_Sample_1.csv", "4", "days_supply"),
        ("DE1_0_2010_Beneficiary_Summary_File_Sample_1.csv", "5", "enrollment_end_date"),
    }
    assert next(r["value"] for r in rejects if r["column_name"] == "enrollment_end_date") == "PLAN_CVRG_MOS_NUM=X"
    # consecutive Jan-Dec spans of one member are not overlaps
    assert not any("overlaps" in r["reason"] for r in rejects)
    pending = read_csv(folder / "pending_fills.csv")
    # B3's fill after its 6 months, and B0's: a member with no Part D month is known (its fill is not
    # rejected as an unknown member's) and its fills wait (issue 24: this was a whole run of its own)
    assert sorted((p["member_id"], p["claim_id"]) for p in pending) == [("B0", "P10"), ("B3", "P6")]


def test_death_before_the_year_and_short_years(tmp_path):
    extract = write_synpuf(tmp_path / "extract", beneficiaries={
        2008: [bene("D1", "19300101", months=3, death="20080215")],   # span 2008-01-01..2008-02-15
        2009: [bene("D1", "19300101", months=12, death="20080215")],  # died before 2009: no span
        2010: [bene("D2", "19300101", months=2)],                     # 2010-01-01..2010-02-28
    })
    con = duckdb.connect()
    synpuf.read_extract(_ctx(extract), con)
    spans = con.execute("SELECT member_id, enrollment_start_date, enrollment_end_date, death_date "
                        "FROM raw_eligibility ORDER BY _seq").fetchall()
    assert spans == [("D1", "2008-01-01", "2008-02-15", "2008-02-15"), ("D2", "2010-01-01", "2010-02-28", None)]
    assert con.execute("SELECT count(*) FROM raw_known_member").fetchone()[0] == 3
