"""Great Expectations suites of the input contract: real GX, real Data Docs on disk."""

from __future__ import annotations

import json
import os

os.environ["GX_ANALYTICS_ENABLED"] = "false"

from pathlib import Path

import pandas as pd
import pytest

from pipelines.ingest.contract import ELIGIBILITY, MEDICAL_CLAIM, PHARMACY_CLAIM, TABLES
from pipelines.ingest.quality import (
    ExpectationOutcome,
    TableValidation,
    build_suite,
    prepare_frame,
    results_to_dict,
    table_checks,
    validate_tables,
)
from pipelines.ingest.quality.expectations import COLUMN_PATTERNS, NDC

N = 100


def pharmacy(n: int = N) -> pd.DataFrame:
    rows = {
        "claim_id": [f"RX{i:06d}" for i in range(n)],
        "member_id": [f"M{i % 20:04d}" for i in range(n)],
        "fill_date": ["2025-03-01"] * n,
        "ndc": ["00093505898"] * n,
        "days_supply": ["30"] * n,
        "quantity": ["30"] * n,
        "gross_drug_cost": ["12.40"] * n,
        "patient_pay_amount": ["1.10"] * n,
        "plan_paid_amount": ["11.30"] * n,
        "generic_name": ["atorvastatin calcium"] * n,
        "refill_number": ["0"] * n,
        "part_d_covered": ["true"] * n,
        "drug_coverage_status_code": ["C"] * n,
        "claim_status": ["paid"] * n,
        "processed_at": ["2025-03-02T10:00:00"] * n,
        "pbm_extra_column": ["anything"] * n,
    }
    return pd.DataFrame(rows, dtype=object)


def eligibility(n: int = N) -> pd.DataFrame:
    rows = {
        "member_id": [f"M{i:04d}" for i in range(n)],
        "contract_id": ["H1234"] * n,
        "pbp_id": ["001"] * n,
        "enrollment_start_date": ["2025-01-01"] * n,
        "enrollment_end_date": [None] * n,
        "birth_date": ["1950-06-15"] * n,
        "sex": ["F"] * n,
        "first_name": ["Zebedee"] * n,
        "last_name": ["Quillfeather"] * n,
        "phone": ["555-867-5309"] * n,
        "lis": ["N"] * n,
    }
    return pd.DataFrame(rows, dtype=object)


def medical(n: int = N) -> pd.DataFrame:
    rows = {
        "claim_id": [f"MC{i:06d}" for i in range(n)],
        "member_id": [f"M{i % 20:04d}" for i in range(n)],
        "claim_type": ["professional"] * n,
        "claim_start_date": ["2025-02-10"] * n,
        "diagnosis_code_1": ["E11.9"] * n,
        "diagnosis_code_2": [None] * n,
        "icd_version": ["10"] * n,
    }
    return pd.DataFrame(rows, dtype=object)


def outcome(v: TableValidation, expectation: str, column: str | None) -> ExpectationOutcome:
    (found,) = [e for e in v.expectations if e.expectation_type == expectation and e.column == column]
    return found


def run(tmp_path: Path, frames: dict[str, pd.DataFrame], mostly: float = 0.95) -> dict[str, TableValidation]:
    return {v.table: v for v in validate_tables(frames, tmp_path / "docs", mostly=mostly)}


def docs_text(docs_dir: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in docs_dir.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory):
    docs = tmp_path_factory.mktemp("clean") / "docs"
    validations = validate_tables(
        {"pharmacy_claim": pharmacy(), "eligibility": eligibility(), "medical_claim": medical()},
        docs,
        run_name="2025-09-30",
    )
    return docs, {v.table: v for v in validations}


# --- the checks as data (no GX) ---------------------------------------------------------------


def test_required_columns_get_existence_and_not_null_checks():
    checks = table_checks(PHARMACY_CLAIM)
    exist = {c.column for c in checks if c.expectation == "ExpectColumnToExist"}
    not_null = {c.column for c in checks if c.expectation == "ExpectColumnValuesToNotBeNull"}
    assert exist == not_null == set(PHARMACY_CLAIM.required_columns)


def test_absent_optional_column_has_no_checks_absent_required_column_only_existence():
    checks = table_checks(PHARMACY_CLAIM, columns=["claim_id", "member_id"])
    about_ndc = [c.expectation for c in checks if c.source == "ndc"]
    assert about_ndc == ["ExpectColumnToExist"]
    assert not [c for c in checks if c.source == "quantity"]


@pytest.mark.parametrize(
    "value, ok",
    [
        ("00093505898", True),
        ("0093-5058-98", True),  # 4-4-2
        ("00093-058-98", True),  # 5-3-2
        ("00093-5058-9", True),  # 5-4-1
        ("00093-5058-98", True),  # 5-4-2
        ("00000000000", True),  # compound
        ("0009350589", False),  # 10 digits without hyphens
        ("0009350589X", False),
        ("093-5058-98", False),
    ],
)
def test_ndc_pattern(value, ok):
    import re

    assert bool(re.search(NDC, value)) is ok


def test_prepare_frame_masks_phi_lowercases_codes_casts_numbers_and_drops_extras():
    frame = pharmacy(3)
    frame.loc[0, "claim_status"] = "PAID"
    frame.loc[1, "days_supply"] = "abc"
    frame.loc[2, "generic_name"] = "   "
    prepared = prepare_frame(PHARMACY_CLAIM, frame)
    assert "pbm_extra_column" not in prepared.columns
    assert prepared.loc[0, "claim_status"] == "paid"
    assert prepared["days_supply (as number)"].tolist()[0] == 30
    assert pd.isna(prepared.loc[1, "days_supply (as number)"])
    assert frame.loc[0, "claim_status"] == "PAID"  # the caller's frame is untouched
    elig = prepare_frame(ELIGIBILITY, eligibility(2).assign(birth_date=["1931-02-29", "19310229x"]))
    assert elig["birth_date"].tolist() == ["9999-99-99", "99999999a"]
    assert "first_name" not in elig.columns  # PHI columns without checks never reach GX


def test_phi_columns_only_have_rules_that_survive_masking():
    for table in TABLES.values():
        for col in table.columns:
            if col.phi:
                assert not col.allowed and col.name not in COLUMN_PATTERNS, (table.name, col.name)


def test_mostly_must_be_a_fraction():
    with pytest.raises(ValueError, match="mostly"):
        build_suite(PHARMACY_CLAIM, 1.5)


# --- real GX runs ---------------------------------------------------------------------------


def test_build_suite_puts_mostly_on_row_level_expectations_only():
    suite = build_suite(PHARMACY_CLAIM, 0.9)
    assert suite.name == "pharmacy_claim"
    for exp in suite.expectations:
        row_level = exp.expectation_type not in {
            "expect_column_to_exist",
            "expect_table_row_count_to_be_between",
        }
        assert (getattr(exp, "mostly", None) == 0.9) is row_level, exp.expectation_type


def test_clean_tables_pass_and_docs_are_written(clean_run):
    docs, validations = clean_run
    assert set(validations) == {"pharmacy_claim", "eligibility", "medical_claim"}
    for v in validations.values():
        assert v.success, v.failed
        assert v.rows_validated == N
    assert (docs / "index.html").is_file()
    pages = list(docs.glob("validations/**/*.html"))
    assert len(pages) == 3
    assert all("2025-09-30" in p.parts for p in pages)  # the run name names the run in the docs
    assert "PHI columns are masked" in (docs / "expectations" / "eligibility.html").read_text()
    row_count = outcome(validations["pharmacy_claim"], "expect_table_row_count_to_be_between", None)
    assert row_count.observed_value == N


def test_results_to_dict_is_json_ready(clean_run):
    _, validations = clean_run
    summary = json.loads(json.dumps(results_to_dict(list(validations.values()))))
    assert summary["success"] is True
    claims = summary["tables"]["pharmacy_claim"]
    assert claims["expectations_failed"] == 0
    assert claims["expectations_evaluated"] == len(validations["pharmacy_claim"].expectations)


def test_ten_percent_bad_dates_fail_at_095_and_pass_at_085(tmp_path):
    frame = pharmacy()
    frame.loc[:9, "fill_date"] = "03/01/2025"
    strict = run(tmp_path / "strict", {"pharmacy_claim": frame}, mostly=0.95)["pharmacy_claim"]
    date_rule = outcome(strict, "expect_column_values_to_match_regex", "fill_date")
    assert not strict.success
    assert not date_rule.success
    assert (date_rule.unexpected_count, date_rule.element_count) == (10, N)
    assert date_rule.unexpected_percent == pytest.approx(10.0)
    assert [e.column for e in strict.failed] == ["fill_date"]

    lenient = run(tmp_path / "lenient", {"pharmacy_claim": frame}, mostly=0.85)["pharmacy_claim"]
    date_rule = outcome(lenient, "expect_column_values_to_match_regex", "fill_date")
    assert lenient.success
    assert date_rule.success and date_rule.unexpected_count == 10


def test_missing_required_column_fails_existence(tmp_path):
    v = run(tmp_path, {"pharmacy_claim": pharmacy().drop(columns=["ndc"])})["pharmacy_claim"]
    assert not v.success
    assert [(e.expectation_type, e.column) for e in v.failed] == [("expect_column_to_exist", "ndc")]


def test_empty_table_fails_row_count(tmp_path):
    v = run(tmp_path, {"dmp_arb": pd.DataFrame(columns=["member_id", "arb_start_date"], dtype=object)})
    failed = [(e.expectation_type, e.column) for e in v["dmp_arb"].failed]
    assert ("expect_table_row_count_to_be_between", None) in failed


def test_row_rules_count_exact_bad_values(tmp_path):
    claims = pharmacy()
    claims.loc[0, "days_supply"] = "0"
    claims.loc[1, "days_supply"] = "400"
    claims.loc[2, "days_supply"] = "thirty"
    claims.loc[3, "gross_drug_cost"] = "-5.00"
    claims.loc[4, "ndc"] = "12345"
    claims.loc[5, "ndc"] = "0009350589X"
    claims.loc[6, "ndc"] = "0093-5058-98"  # hyphenated 4-4-2 is fine
    claims.loc[7, "claim_status"] = "REVERSED"  # compared lower-cased: fine
    claims.loc[8, "claim_status"] = "void"
    claims.loc[9, "drug_coverage_status_code"] = "x"
    claims.loc[10, "member_id"] = None
    claims.loc[11, "claim_id"] = "  "  # blank counts as missing
    claims.loc[12, "part_d_covered"] = "maybe"
    claims.loc[13, "processed_at"] = "yesterday"
    elig = eligibility()
    elig.loc[0, "contract_id"] = "h1234"
    elig.loc[1, "contract_id"] = "SYNPUF"
    elig.loc[2, "sex"] = "m"  # lower case is fine
    elig.loc[3, "sex"] = "X"
    med = medical()
    med.loc[0, "claim_type"] = "dental"
    med.loc[1, "claim_type"] = "Inpatient"
    got = run(tmp_path, {"pharmacy_claim": claims, "eligibility": elig, "medical_claim": med}, mostly=1.0)

    def count(table, expectation, column):
        return outcome(got[table], expectation, column).unexpected_count

    between, regex, in_set = (
        "expect_column_values_to_be_between",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_be_in_set",
    )
    not_null = "expect_column_values_to_not_be_null"
    assert count("pharmacy_claim", between, "days_supply (as number)") == 2
    assert count("pharmacy_claim", regex, "days_supply") == 1
    assert count("pharmacy_claim", between, "gross_drug_cost (as number)") == 1
    assert count("pharmacy_claim", regex, "ndc") == 2
    assert count("pharmacy_claim", in_set, "claim_status") == 1
    assert count("pharmacy_claim", in_set, "drug_coverage_status_code") == 1
    assert count("pharmacy_claim", not_null, "member_id") == 1
    assert count("pharmacy_claim", not_null, "claim_id") == 1
    assert count("pharmacy_claim", in_set, "part_d_covered") == 1
    assert count("pharmacy_claim", regex, "processed_at") == 1
    assert count("eligibility", regex, "contract_id") == 2
    assert count("eligibility", in_set, "sex") == 1
    assert count("medical_claim", in_set, "claim_type") == 1
    assert not any(v.success for v in got.values())
    assert all(e.exception is None for v in got.values() for e in v.expectations)


def test_phi_values_never_reach_the_data_docs(tmp_path):
    elig = eligibility()
    elig.loc[0, "birth_date"] = "19310229x"
    elig.loc[1, "first_name"] = "19310229x"
    elig.loc[2, "member_id"] = "not-phi-M9"
    elig.loc[2, "contract_id"] = "BADCONTRACT"
    docs = tmp_path / "docs"
    v = run(tmp_path, {"eligibility": elig}, mostly=1.0)["eligibility"]
    birth = outcome(v, "expect_column_values_to_match_regex", "birth_date")
    assert not birth.success and birth.unexpected_count == 1
    text = docs_text(docs)
    assert "19310229x" not in text
    assert "Zebedee" not in text and "Quillfeather" not in text and "555-867-5309" not in text
    assert "99999999a" in text  # the masked shape of the bad birth date is what the docs show
    assert "BADCONTRACT" in text  # non-PHI unexpected values are shown, so the check above is meaningful


def test_unknown_table_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not tables of the input contract: claims"):
        validate_tables({"claims": pharmacy()}, tmp_path)


def test_every_contract_table_has_a_suite():
    for table in TABLES.values():
        assert build_suite(table).expectations


def test_medical_claim_suite_checks_all_diagnosis_positions_only_when_present():
    present = ["claim_id", "member_id", "claim_type", "claim_start_date", "diagnosis_code_1"]
    sources = {c.source for c in table_checks(MEDICAL_CLAIM, present)}
    assert "diagnosis_code_2" not in sources
