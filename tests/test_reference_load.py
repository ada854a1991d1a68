"""Reference tables in DuckDB: the drug-condition rule, ICD validity, imports and the dump."""

from pathlib import Path

import duckdb
import pytest

from pipelines.reference.dump import dump_reference
from pipelines.reference.imports import import_crosswalk, import_fda_ndc_directory
from pipelines.reference.load import build_reference_tables, reference_tables

FDA_FIXTURE = Path(__file__).parent / "fixtures" / "fda_ndc"


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    build_reference_tables(c)
    yield c
    c.close()


def conditions(con, key):
    rows = con.execute("SELECT DISTINCT core_condition FROM ref_drug_condition WHERE drug_key = ?", [key]).fetchall()
    return {r[0] for r in rows}


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("atorvastatin", {"dyslipidemia"}),
        ("amlodipine / atorvastatin", {"dyslipidemia"}),
        ("lisinopril", {"hypertension"}),
        ("sacubitril / valsartan", {"heart_failure"}),
        ("furosemide", {"heart_failure"}),
        ("metformin", {"diabetes"}),
        ("insulin glargine", {"diabetes"}),
        ("bictegravir / emtricitabine / tenofovir alafenamide", {"hiv_aids"}),
        ("dolutegravir", {"hiv_aids"}),
        ("donepezil", {"alzheimers"}),
        ("alendronate", {"bone_arthritis"}),
        ("tofacitinib", {"bone_arthritis"}),
        ("sertraline", {"mental_health"}),
        ("quetiapine", {"mental_health"}),
        ("lithium", {"mental_health"}),
        ("tiotropium", {"respiratory"}),
        ("fluticasone / salmeterol", {"respiratory"}),
        # excluded by the rules
        ("entecavir", set()),
        ("tenofovir disoproxil", set()),
        ("emtricitabine / tenofovir disoproxil", set()),
        ("emtricitabine / tenofovir alafenamide", set()),
        ("cabotegravir", set()),
        ("sotalol", set()),
        ("prochlorperazine", set()),
        ("sevelamer", set()),
        ("calcium acetate", set()),
        ("lanthanum", set()),
        ("patiromer", set()),
        ("sodium zirconium cyclosilicate", set()),
        ("cinacalcet", set()),
        ("latanoprost", set()),
        ("ambrisentan", set()),
    ],
)
def test_drug_condition_rule(con, key, expected):
    assert conditions(con, key) == expected


def test_no_drug_evidence_for_esrd(con):
    assert con.execute("SELECT count(*) FROM ref_drug_condition WHERE core_condition = 'esrd'").fetchone()[0] == 0


def test_product_code_decides(con):
    # timolol: the tablet code is hypertension evidence, the eye-drop code S01ED01 is not
    rows = set(
        con.execute("SELECT atc_code, core_condition FROM ref_drug_condition WHERE drug_key = 'timolol'").fetchall()
    )
    assert rows == {("C07AA06", "hypertension")}
    assert (
        con.execute(
            "SELECT count(*) FROM ref_ndc n JOIN ref_drug_condition c USING (drug_key, atc_code) "
            "WHERE n.drug_key = 'timolol' AND n.route = 'ophthalmic'"
        ).fetchone()[0]
        == 0
    )


def test_table_types(con):
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'ref_drug'"
        ).fetchall()
    )
    assert types["pqa_statin"] == "BOOLEAN" and types["atc_code_list"] == "VARCHAR[]"
    row = con.execute(
        "SELECT contract_year, cost_threshold FROM ref_cms_parameters WHERE contract_year = 2025"
    ).fetchone()
    assert row == (2025, pytest.approx(1623))
    assert con.execute("SELECT typeof(cost_threshold) FROM ref_cms_parameters LIMIT 1").fetchone()[0] == "DECIMAL(12,2)"
    assert con.execute("SELECT local_use FROM ref_route WHERE route_text = 'auricular (otic)'").fetchone()[0] is True


@pytest.mark.parametrize(
    ("version", "code", "valid"),
    [
        ("10", "E11", True),
        ("10", "E119", True),
        ("10", "E1165", True),
        ("10", "I10", True),
        ("10", "E1", False),
        ("10", "E99999", False),
        ("10", "XYZ", False),
        ("9", "250", True),
        ("9", "2500", True),
        ("9", "25000", True),
        ("9", "4019", True),
        ("9", "25", False),
    ],
)
def test_icd_validity(con, version, code, valid):
    found = con.execute(
        "SELECT count(*) FROM ref_icd_valid WHERE icd_version = ? AND code = ?", [version, code]
    ).fetchone()[0]
    assert (found == 1) is valid


def test_condition_dx(con):
    assert (
        con.execute(
            "SELECT count(*) FROM ref_condition_dx WHERE icd_version = '10' AND code_prefix = 'E11' "
            "AND core_condition = 'diabetes'"
        ).fetchone()[0]
        == 1
    )


def test_fda_import_and_precedence(tmp_path):
    c = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    result = import_fda_ndc_directory(c, FDA_FIXTURE)
    assert (result.read, result.matched, result.unmatched) == (15, 13, 2)
    assert result.problems == [(15, "unrecognised NDCPACKAGECODE")]
    assert result.unmatched_names == {"testamab": 1}
    got = {
        r[0]: r[1:] for r in c.execute("SELECT ndc11, drug_key, route, atc_code, source FROM ref_ndc_import").fetchall()
    }
    assert got["00071015523"][:2] == ("atorvastatin", "oral")  # 4-4-2
    assert got["68180051201"][:2] == ("lisinopril", "oral")  # 5-3-2
    assert got["60505082901"][:2] == ("fluticasone", "nasal")  # 5-4-1
    assert got["61958070101"] == ("emtricitabine / tenofovir disoproxil", "oral", "J05AR03", "fda_ndc_directory")
    assert got["00078065920"][0] == "sacubitril / valsartan"
    assert got["00173069600"][:2] == ("fluticasone / salmeterol", "inhalation")
    assert got["61314022705"][:2] == ("timolol", "ophthalmic")
    assert got["00093737001"][0] == "amlodipine / benazepril"
    assert got["00245004111"][0] == "potassium chloride"
    assert got["00186109005"][0] == "metoprolol"
    # the import overrides the shipped map and survives in the warehouse
    c.execute(
        "INSERT OR REPLACE INTO ref_ndc_import VALUES ('00071015523', 'rosuvastatin', 'oral', NULL, "
        "NULL, 'test', now())"
    )
    c.close()
    run = duckdb.connect()
    build_reference_tables(run, imports_from=tmp_path / "warehouse.duckdb")
    assert run.execute("SELECT drug_key FROM ref_ndc WHERE ndc11 = '00071015523'").fetchone() == ("rosuvastatin",)
    assert run.execute("SELECT count(*) FROM ref_ndc WHERE ndc11 = '61958070101'").fetchone() == (1,)


def test_crosswalk_import_reports_bad_rows(tmp_path):
    path = tmp_path / "crosswalk.csv"
    path.write_text(
        "ndc,ingredient\n"
        "00002-1433-80,Dulaglutide\n"
        "0078-0659-20,Valsartan/Sacubitril\n"
        "12345678901,amlodipine besylate / benazepril hcl\n"
        "1234567890,lisinopril\n"
        "00071015523,\n"
    )
    c = duckdb.connect()
    result = import_crosswalk(c, path)
    assert (result.read, result.matched, result.unmatched) == (5, 3, 2)
    assert [p[0] for p in result.problems] == [4, 5]
    assert "not an 11-digit" in result.problems[0][1]
    rows = dict(c.execute("SELECT ndc11, drug_key FROM ref_ndc_import WHERE source = 'plan_crosswalk'").fetchall())
    assert rows == {
        "00002143380": "dulaglutide",
        "00078065920": "sacubitril / valsartan",
        "12345678901": "amlodipine / benazepril",
    }
    build_reference_tables(c)
    assert c.execute("SELECT source FROM ref_ndc WHERE ndc11 = '00078065920'").fetchone() == ("plan_crosswalk",)


def test_dump(tmp_path, con):
    written = dump_reference(con, tmp_path / "dump")
    assert set(written) == set(reference_tables())
    text = written["ref_ndc"].read_text().splitlines()
    assert text[0] == "ndc11,drug_key,route,dosage_form,atc_code,source"
    assert any(line.startswith("0") for line in text[1:])  # leading zeros kept
