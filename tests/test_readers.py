"""Readers and normalisers: CSV (plain, gzip), Parquet, several files per table, NDC and ICD forms,
and the claim-version rules of input-contract.md."""

from __future__ import annotations

import datetime as dt
import gzip
import shutil

import polars as pl
import pytest

from tests.extract_builder import fill, medical, member, write_extract, write_table
from tests.staging_harness import rejects, stage_extract


def test_csv_gzip_and_parquet_and_numbered_files_all_read(tmp_path):
    ex = write_extract(tmp_path / "ex", eligibility=[member("M1"), member("M2")],
                       pharmacy_claim=[fill("M1", "2025-09-01", claim_id="A")])
    # a second file of the same table, gzip, with a numeric suffix
    second = write_table(tmp_path / "tmp", "pharmacy_claim", [fill("M2", "2025-09-02", claim_id="B")])
    with second.open("rb") as src, gzip.open(ex / "pharmacy_claim_002.csv.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    # a third as Parquet with real types
    pl.DataFrame({"claim_id": ["C"], "member_id": ["M2"], "fill_date": [dt.date(2025, 9, 3)],
                  "ndc": ["00093505898"], "days_supply": [30], "gross_drug_cost": [12.5]}).write_parquet(
        ex / "pharmacy_claim_003.parquet")
    con = stage_extract(tmp_path, extract=ex)
    got = con.execute("SELECT claim_id, member_id, fill_date::VARCHAR, ndc, _file, _row "
                      "FROM stg_pharmacy_claim ORDER BY claim_id").fetchall()
    assert got == [
        ("A", "M1", "2025-09-01", "00071015523", "pharmacy_claim.csv", 1),
        ("B", "M2", "2025-09-02", "00071015523", "pharmacy_claim_002.csv.gz", 1),
        ("C", "M2", "2025-09-03", "00093505898", "pharmacy_claim_003.parquet", 1),
    ]


def test_column_names_are_matched_ignoring_case_and_extra_columns_are_kept_out(tmp_path):
    ex = tmp_path / "ex"
    ex.mkdir()
    (ex / "eligibility.csv").write_text(
        "Member_ID,CONTRACT_ID,Enrollment_Start_Date,birth_date,favourite_colour\nM1,H1234,2025-01-01,1950-01-01,blue\n")
    (ex / "pharmacy_claim.csv").write_text(
        "claim_id,member_id,fill_date,ndc,days_supply,gross_drug_cost\nC1,M1,2025-09-01,00093505898,30,1\n")
    con = stage_extract(tmp_path, extract=ex)
    assert con.execute("SELECT member_id, contract_id FROM stg_eligibility").fetchall() == [("M1", "H1234")]


@pytest.mark.parametrize(("raw", "ndc11"), [
    ("00093505898", "00093505898"),   # 11 digits, leading zeros kept
    ("0093-5058-98", "00093505898"),  # 4-4-2
    ("50580-506-01", "50580050601"),  # 5-3-2
    ("00002-3227-3", "00002322703"),  # 5-4-1
    ("00093-5058-98", "00093505898"),  # 5-4-2 hyphenated 11 digits
])
def test_ndc_forms_are_normalised_to_eleven_digits(tmp_path, raw, ndc11):
    con = stage_extract(tmp_path, eligibility=[member("M1")],
                        pharmacy_claim=[fill("M1", "2025-09-01", raw)])
    assert con.execute("SELECT ndc FROM stg_pharmacy_claim").fetchone()[0] == ndc11


def test_leading_zeros_survive_a_parquet_string_column(tmp_path):
    ex = write_extract(tmp_path / "ex", eligibility=[member("M1")], pharmacy_claim=[fill("M1", "2025-09-01")])
    (ex / "pharmacy_claim.csv").unlink()
    pl.DataFrame({"claim_id": ["C"], "member_id": ["M1"], "fill_date": ["2025-09-01"], "ndc": ["00002322703"],
                  "days_supply": ["30"], "gross_drug_cost": ["1.00"]}).write_parquet(ex / "pharmacy_claim.parquet")
    con = stage_extract(tmp_path, extract=ex)
    assert con.execute("SELECT ndc FROM stg_pharmacy_claim").fetchone()[0] == "00002322703"


def test_icd_codes_are_normalised_dots_removed_upper_case(tmp_path):
    con = stage_extract(tmp_path, eligibility=[member("M1")], pharmacy_claim=[fill("M1", "2025-09-01")],
                        medical_claim=[medical("M1", "professional", "2025-05-01", "e11.9", " I10 ", "E78.5")])
    codes = [r[0] for r in con.execute("SELECT code FROM stg_diagnosis ORDER BY code").fetchall()]
    assert codes == ["E119", "E785", "I10"]


def test_icd9_codes_are_checked_against_icd9(tmp_path):
    con = stage_extract(tmp_path, eligibility=[member("M1")], pharmacy_claim=[fill("M1", "2025-09-01")],
                        medical_claim=[medical("M1", "inpatient", "2010-05-01", "250.00", "4019", "E119",
                                               icd_version="9")])
    assert sorted(r[0] for r in con.execute("SELECT code FROM stg_diagnosis").fetchall()) == ["25000", "4019"]
    assert rejects(con)[0][3:] == ("diagnosis_code_3",
                                   "diagnosis code not in the ICD-9-CM code set (dropped from the claim)")


# -- versions ------------------------------------------------------------------------------------

def _versions(tmp_path, *rows):
    con = stage_extract(tmp_path, eligibility=[member("M1")], pharmacy_claim=list(rows))
    return con.execute("SELECT claim_id, gross_drug_cost::DOUBLE FROM stg_pharmacy_claim ORDER BY 1").fetchall()


def test_latest_processed_at_wins_regardless_of_row_order(tmp_path):
    got = _versions(tmp_path,
                    fill("M1", "2025-09-01", claim_id="C1", cost=30, processed_at="2025-09-03 08:00:00"),
                    fill("M1", "2025-09-01", claim_id="C1", cost=10, processed_at="2025-09-02 08:00:00"))
    assert got == [("C1", 30.0)]


def test_empty_processed_at_sorts_before_any_timestamp(tmp_path):
    got = _versions(tmp_path,
                    fill("M1", "2025-09-01", claim_id="C1", cost=20, processed_at="2025-09-02 08:00:00"),
                    fill("M1", "2025-09-01", claim_id="C1", cost=99))
    assert got == [("C1", 20.0)]


def test_ties_and_all_empty_keep_row_order_last_wins(tmp_path):
    got = _versions(tmp_path,
                    fill("M1", "2025-09-01", claim_id="C1", cost=1), fill("M1", "2025-09-01", claim_id="C1", cost=2),
                    fill("M1", "2025-09-01", claim_id="C2", cost=3, processed_at="2025-09-02 08:00:00"),
                    fill("M1", "2025-09-01", claim_id="C2", cost=4, processed_at="2025-09-02 08:00:00"))
    assert got == [("C1", 2.0), ("C2", 4.0)]


def test_reversed_latest_version_removes_the_fill_but_a_later_paid_version_restores_it(tmp_path):
    got = _versions(tmp_path,
                    fill("M1", "2025-09-01", claim_id="GONE", processed_at="2025-09-01 08:00:00"),
                    fill("M1", "2025-09-01", claim_id="GONE", claim_status="reversed",
                         processed_at="2025-09-02 08:00:00"),
                    fill("M1", "2025-09-01", claim_id="BACK", claim_status="reversed",
                         processed_at="2025-09-02 08:00:00"),
                    fill("M1", "2025-09-01", claim_id="BACK", cost=7, processed_at="2025-09-03 08:00:00"))
    assert got == [("BACK", 7.0)]


def test_a_later_delivery_corrects_an_earlier_one(tmp_path):
    jan = write_extract(tmp_path / "jan", eligibility=[member("M1")],
                        pharmacy_claim=[fill("M1", "2025-09-01", claim_id="C1", cost=10)])
    feb = write_extract(tmp_path / "feb", eligibility=[member("M1")],
                        pharmacy_claim=[fill("M1", "2025-09-01", claim_id="C1", cost=12)])
    con = stage_extract(tmp_path, extract=[jan, feb])
    assert con.execute("SELECT gross_drug_cost::DOUBLE FROM stg_pharmacy_claim").fetchall() == [(12.0,)]


def test_bad_rows_are_rejected_before_versions_are_chosen(tmp_path):
    got = _versions(tmp_path,
                    fill("M1", "2025-09-01", claim_id="C1", cost=5, processed_at="2025-09-01 08:00:00"),
                    fill("M1", "2025-09-01", claim_id="C1", cost=-5, processed_at="2025-09-02 08:00:00"))
    assert got == [("C1", 5.0)]


@pytest.mark.parametrize("parallel_numbering", [True, False], ids=["row-ids", "window"])
def test_csv_rows_are_numbered_in_file_order_when_read_in_parallel(tmp_path, monkeypatch, parallel_numbering):
    """A CSV large enough for DuckDB to parse on both cores: each row's _row is its record number, whether
    numbered from the parallel read's row ids or (when the plan would not keep file order) by the window."""
    import duckdb

    from pipelines.engine.models import install_macros
    from pipelines.ingest import readers
    from pipelines.ingest.contract import TABLES
    from pipelines.ingest.extract_files import SourceFile
    from pipelines.ingest.typed_rows import typed_columns_ddl

    rows = 300_000
    path = tmp_path / "pharmacy_claim.csv"
    with path.open("w") as fh:
        fh.write("claim_id,member_id,fill_date,ndc,days_supply,gross_drug_cost,claim_status,part_d_covered\n")
        for i in range(1, rows + 1):
            status = "unknown" if i % 99_991 == 0 else "paid"  # a few rows with a problem, at known records
            fh.write(f"{i},M{i % 1000},2025-09-01,00071015523,30,12.50,{status},{'yes' if i % 2 else 'n'}\n")
    if not parallel_numbering:
        monkeypatch.setattr(readers, "_keeps_file_order", lambda con, create: False)
    table = TABLES["pharmacy_claim"]
    con = duckdb.connect()
    install_macros(con)
    con.execute(f"CREATE TABLE staged_pharmacy_claim (_delivery INTEGER, {typed_columns_ddl(table)})")
    con.execute("SET threads = 2")

    assert readers.load_file(con, SourceFile("pharmacy_claim", path, "csv"), table, 2, 5) == (path.name, rows)

    out_of_order = con.execute("SELECT count(*) FROM staged_pharmacy_claim "
                               "WHERE _row <> claim_id::BIGINT OR _seq <> 2 * 10000000000 + _row").fetchone()[0]
    assert out_of_order == 0
    flagged = con.execute("SELECT list(_row ORDER BY _row) FROM staged_pharmacy_claim "
                          "WHERE _problems IS NOT NULL").fetchone()[0]
    assert flagged == [99_991, 199_982, 299_973]
    assert con.execute("SELECT count(*) FILTER (WHERE part_d_covered), count(*) FILTER (WHERE NOT part_d_covered) "
                       "FROM staged_pharmacy_claim").fetchone() == (rows // 2, rows // 2)
