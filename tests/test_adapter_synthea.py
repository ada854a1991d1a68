"""The Synthea CSV adapter: the real pipeline on the 11-patient fixture, figures computed by hand.

As-of D = 2022-06-30 (CY2022, CMS threshold $4696.00). The settings apply the CY2025 ten-disease set
(HIV/AIDS included) and lower the counts to 2 so that the fixture's members can meet the criteria.
Windows: drugs and cost 2022-04-02..06-30 (90 days), rx evidence 2021-07-01..D, dx 2020-07-01..D.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from decimal import Decimal
from types import SimpleNamespace

import duckdb
import pytest

from dagster_project.run import run_pipeline
from pipelines.ingest.adapters import synthea
from pipelines.ingest.adapters.synthea import rxnorm_ingredients, rxnorm_route
from pipelines.reference.files import data_path
from pipelines.run_state.errors import InputFileError
from pipelines.run_state.run_context import RunContext
from tests.shared_data import shared
from tests.template_home import seeded_home

SETTINGS = """
[criteria]
core_disease_set = 2025
min_core_conditions = 2
min_part_d_drugs = 2
[validation]
gx_sample_rows = 0
"""
HIV_PATIENT = "0432d0f1-d9c8-da30-9750-39bfe10c0cd9"
OTHER_MEDICARE = "920e3c45-f754-686a-a312-a070f4258dee"


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory):
    FIXTURE = shared("data", "synthea_csv_11pt_full")
    tmp = tmp_path_factory.mktemp("synthea")
    settings = tmp / "settings.toml"
    settings.write_text(SETTINGS)
    ctx = RunContext.create(home=seeded_home(tmp / "home"), extract_dirs=[FIXTURE], as_of="2022-06-30",
                            settings_file=settings, source="synthea")
    folder = run_pipeline(ctx)
    with (folder / "member_summary.csv").open(newline="") as fh:
        rows = {row["member_id"]: row for row in csv.DictReader(fh)}
    return rows, folder, tmp / "home" / "warehouse.duckdb"


def test_only_medicare_patients_are_members(fixture_run):
    rows, _, _ = fixture_run
    # payer_transitions: only these two patients ever have the Medicare payer; nobody has Dual Eligible.
    assert set(rows) == {HIV_PATIENT, OTHER_MEDICARE}
    assert {r["contract_id"] for r in rows.values()} == {"SYNTHEA"}


def test_hiv_patient_drugs_cost_and_conditions(fixture_run):
    rows, _, _ = fixture_run
    m = rows[HIV_PATIENT]
    # Born 1983-09-20 -> 38 on D; Medicare span 2021-09-21..2022-09-19 covers D; died 2022-09-07 (after D).
    assert m["age"] == "38"
    # Medication rows started 2022-03-08 (STOP empty -> monthly 30-day fills 03-08, 04-07, 05-07, 06-06):
    # ritonavir, darunavir, emtricitabine/tenofovir (12 dispenses each), metformin (6 dispenses); budesonide
    # and albuterol (1 dispense each: one fill 03-08 covering to 04-06, inside the window); astemizole
    # since 1986-03-19, 444 dispenses every 30 days: fill 441 is 2022-06-08 (13230 days later) -> 7 drugs.
    assert m["part_d_drugs"] == "7"
    # Cost window 2022-04-02..06-30, 90 covered days. Fills in it (04-07, 05-07, 06-06 and astemizole's
    # 04-09, 05-09, 06-08), each TOTALCOST / DISPENSES: 3 x (129.94 x 3 + 188.64/6 = 31.44
    # + 48822.24/444 = 109.96) = 3 x 531.22 = 1593.66 -> x 365 / 90 = 6463.1767 -> 6463.18.
    assert m["projected_annual_cost"] == "6463.18"
    # HIV: claims.csv carries 86406008 on six ambulatory (professional) claims 2020-08-03 .. 2022-04-26
    # (and the antiretrovirals are rx evidence); diabetes: metformin fills on >= 2 dates in the last
    # 365 days. Asthma 195967001 is on one claim only (2022-02-20) and budesonide/albuterol have one
    # fill date each in the last 365 days -> no respiratory. Hypertriglyceridemia: onset 2007 only.
    assert (m["core_conditions"], m["cond_hiv_aids"], m["cond_diabetes"]) == ("2", "1", "1")
    assert (m["cond_respiratory"], m["cond_dyslipidemia"]) == ("0", "0")
    assert (m["meets_criteria"], m["targeting_reason"], m["mtm_enrolled"]) == ("true", "01", "true")


def test_other_medicare_patient(fixture_run):
    rows, _, _ = fixture_run
    m = rows[OTHER_MEDICARE]
    # Born 1992-02-28 -> 30. Active drugs: ibuprofen (row 2022-04-01..2023-04-07, 3 dispenses: fills
    # 04-01, 05-01, 05-31) and ferrous sulfate (since 2015-05-08, 109 dispenses every 30 days: fills
    # 85..87 fall on 2022-05-01, 05-31, 06-30). The Trinessa pack ended 2021-10 -> 2 drugs.
    assert (m["age"], m["part_d_drugs"]) == ("30", "2")
    # Cost: ibuprofen 2 x 129.94 + ferrous sulfate 3 x 0.15 = 260.33 -> x 365 / 90 = 1055.78
    assert m["projected_annual_cost"] == "1055.78"
    assert (m["core_conditions"], m["meets_criteria"], m["targeting_reason"]) == ("0", "false", "04")


def test_raw_rows_point_at_synthea_files(fixture_run):
    _, folder, warehouse = fixture_run
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        # Medicare payer_transitions rows: 9 + 10 -> 19 spans; half-open periods never overlap
        assert con.execute("SELECT count(*) FROM raw_eligibility").fetchone()[0] == 19
        span = con.execute("SELECT _file, enrollment_start_date, enrollment_end_date FROM raw_eligibility "
                           "WHERE member_id = ? ORDER BY _seq LIMIT 1", [HIV_PATIENT]).fetchone()
        assert span == ("payer_transitions.csv", dt.date(2013, 9, 24), dt.date(2014, 9, 22))  # typed rows
        fill = con.execute("SELECT _file, ndc, generic_name, route, days_supply, gross_drug_cost "
                           "FROM raw_pharmacy_claim WHERE member_id = ? AND fill_date = '2022-04-07' "
                           "AND drug_name LIKE '%Metformin%'",
                           [HIV_PATIENT]).fetchone()
        assert fill == ("medications.csv", "99990860975", "Metformin hydrochloride", "oral", 30, Decimal("31.44"))
        # no fill after death (2022-09-07), although the 2022-03-08 rows have 12 dispenses
        assert con.execute("SELECT max(fill_date) FROM raw_pharmacy_claim WHERE member_id = ?",
                           [HIV_PATIENT]).fetchone()[0] <= dt.date(2022, 9, 7)
        hiv = con.execute("SELECT claim_type, icd_version, diagnosis_code_1 FROM raw_medical_claim "
                          "WHERE member_id = ? AND claim_start_date = '2022-04-26'", [HIV_PATIENT]).fetchone()
        assert hiv == ("professional", "10", "B20")
        hospice = con.execute("SELECT claim_type FROM raw_medical_claim WHERE member_id = ? "
                              "AND claim_start_date = '2022-08-09'", [HIV_PATIENT]).fetchall()
        assert hospice == []  # 'Died in hospice' is no core condition: the claim is not loaded
    finally:
        con.close()
    with (folder / "rejects.csv").open() as fh:
        assert len(fh.readlines()) == 1  # header only


def test_rxnorm_names():
    assert rxnorm_ingredients("24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet") == \
        "Metformin hydrochloride"
    assert rxnorm_ingredients("efavirenz 600 MG / emtricitabine 200 MG / tenofovir disoproxil fumarate 300 MG "
                              "Oral Tablet") == "efavirenz / emtricitabine / tenofovir disoproxil fumarate"
    assert rxnorm_ingredients("budesonide 0.25 MG/ML Inhalation Suspension") == "budesonide"
    assert rxnorm_ingredients("Ibuprofen 400 MG Oral Tablet [Ibu]") == "Ibuprofen"
    assert rxnorm_ingredients("1 ML Epinephrine 1 MG/ML Auto-Injector") == "Epinephrine"
    assert rxnorm_ingredients("Trinessa 28 Day Pack") == "Trinessa"
    assert rxnorm_route("budesonide 0.25 MG/ML Inhalation Suspension") == "inhalation"
    assert rxnorm_route("Fluticasone propionate 0.05 MG/ACTUAT Nasal Spray") == "nasal"
    assert rxnorm_route("Trinessa 28 Day Pack") is None


def test_value_set_codes_are_valid_and_match_their_condition():
    """Every ICD-10-CM stand-in is a code of the shipped code set and starts with a prefix of the same
    core condition in core_condition_icd10.csv (so it is evidence of exactly that condition)."""
    con = duckdb.connect()
    vs = str(synthea.VALUE_SET)
    bad = con.execute(f"""
        WITH vs AS (SELECT *, replace(icd10cm_code, '.', '') AS code FROM read_csv('{vs}', all_varchar=true)),
        codes AS (SELECT code FROM read_csv('{data_path("icd10cm_codes.csv.gz")}', all_varchar=true)),
        prefixes AS (SELECT * FROM read_csv('{data_path("core_condition_icd10.csv")}', all_varchar=true))
        SELECT vs.snomed_code FROM vs
        WHERE vs.code NOT IN (SELECT code FROM codes)
           OR NOT EXISTS (SELECT 1 FROM prefixes p WHERE p.core_condition = vs.core_condition
                          AND starts_with(vs.code, p.icd10cm_prefix))
    """).fetchall()
    assert bad == []
    conditions = {r[0] for r in con.execute(f"SELECT DISTINCT core_condition FROM read_csv('{vs}')").fetchall()}
    assert len(conditions) == 10


def test_missing_synthea_file_and_column(tmp_path):
    FIXTURE = shared("data", "synthea_csv_11pt_full")
    extract = tmp_path / "extract"
    extract.mkdir()
    for name in ("patients.csv", "payers.csv", "payer_transitions.csv", "medications.csv", "claims.csv"):
        shutil.copyfile(FIXTURE / name, extract / name)
    ctx = SimpleNamespace(extract_dirs=[extract], settings={"sources": {}})
    with pytest.raises(InputFileError) as err:
        synthea.read_extract(ctx, duckdb.connect())
    assert err.value.file == "encounters.csv"
    shutil.copyfile(FIXTURE / "encounters.csv", extract / "encounters.csv")
    meds = extract / "medications.csv"
    meds.write_text(meds.read_text().replace("DISPENSES", "DISPENSED", 1))
    with pytest.raises(InputFileError) as err:
        synthea.read_extract(ctx, duckdb.connect())
    assert (err.value.file, err.value.column) == ("medications.csv", "DISPENSES")
