"""ICD-10-CM code sets by date of service: a code is valid for the fiscal year of its claim_start_date
(FY from 1 October; before the first shipped FY the first applies, after the last the last), and a dropped
code that would have been condition evidence is named in the run report."""

from __future__ import annotations

from pipelines.engine.models import build_model, catalog
from pipelines.publishing.diagnosis_warnings import unknown_condition_code_warnings
from tests.extract_builder import fill, medical, member
from tests.staging_harness import rejects, stage_extract

ELIG = [member("M1")]
RX = [fill("M1", "2025-09-01")]
DROPPED = "diagnosis code not in the ICD-10-CM code set{} (dropped from the claim)"


def _codes(con):
    return con.execute("SELECT claim_start_date::VARCHAR, code, is_valid FROM stg_diagnosis_all ORDER BY ALL"
                       ).fetchall()


def test_a_code_added_in_fy2025_is_valid_from_1_october_2024(tmp_path):
    """E11.A (type 2 diabetes in remission) is new in FY2025: dropped on 30 September 2024, valid on 1 October."""
    con = stage_extract(tmp_path, eligibility=ELIG, pharmacy_claim=RX, medical_claim=[
        medical("M1", "outpatient", "2024-09-30", "E11.A", claim_id="A"),
        medical("M1", "outpatient", "2024-10-01", "E11.A", claim_id="B"),
        medical("M1", "outpatient", "2019-05-01", "E11.A", claim_id="C")])  # before FY2024: the FY2024 set
    assert _codes(con) == [("2019-05-01", "E11A", False), ("2024-09-30", "E11A", False), ("2024-10-01", "E11A", True)]
    assert rejects(con) == [
        ("medical_claim", "medical_claim.csv", 1, "diagnosis_code_1",
         DROPPED.format(" of FY2024 (the code is valid FY2025-FY2026)")),
        ("medical_claim", "medical_claim.csv", 3, "diagnosis_code_1",
         DROPPED.format(" of FY2024 (the code is valid FY2025-FY2026)"))]


def test_a_code_deleted_by_fy2026_is_invalid_from_1_october_2025(tmp_path):
    """S30.1XXA (contusion of abdominal wall) is in FY2024 but not FY2026: valid through FY2025 (the gap year gets
    the benefit of the doubt), dropped from 1 October 2025 and after the last shipped year (2027 uses FY2026).
    (A deleted code that was expanded into children, like B88.0, stays valid as a category: the prefix rule.)"""
    con = stage_extract(tmp_path, eligibility=ELIG, pharmacy_claim=RX, medical_claim=[
        medical("M1", "outpatient", "2025-09-30", "S30.1XXA", claim_id="A"),
        medical("M1", "outpatient", "2025-10-01", "S30.1XXA", claim_id="B"),
        medical("M1", "outpatient", "2027-01-01", "S30.1XXA", claim_id="C")], as_of="2027-06-30")
    assert _codes(con) == [("2025-09-30", "S301XXA", True), ("2025-10-01", "S301XXA", False),
                           ("2027-01-01", "S301XXA", False)]


def test_codes_valid_in_every_year_and_icd9_are_unaffected(tmp_path):
    con = stage_extract(tmp_path, eligibility=ELIG, pharmacy_claim=RX, medical_claim=[
        medical("M1", "outpatient", "2015-01-01", "I10", claim_id="A"),
        medical("M1", "outpatient", "2027-01-01", "E11.9", claim_id="B"),
        medical("M1", "outpatient", "2010-01-01", "250.00", icd_version="9", claim_id="C")], as_of="2027-06-30")
    assert [r[2] for r in _codes(con)] == [True, True, True]


def test_unknown_code_matching_a_value_set_prefix_is_a_run_warning(tmp_path):
    """The warning publish adds to the run manifest (pipelines.publishing.diagnosis_warnings, called by
    pipelines/publishing/publish.py),
    from the staged extract (issue 24: it was a whole run; the manifest wiring is asserted by the whole run of
    test_outreach_export.py, whose extract has one such code)."""
    con = stage_extract(tmp_path, eligibility=ELIG, pharmacy_claim=RX, medical_claim=[
        medical("M1", "outpatient", "2024-06-01", "E11.A", "I10", claim_id="A"),
        medical("M1", "outpatient", "2025-03-01", "E11.99X", claim_id="B"),  # no such code, diabetes prefix
        medical("M1", "outpatient", "2025-03-01", "Z99.99X", claim_id="C")])  # no such code, no value set
    build_model(con, catalog()["ref_condition_dx"])  # the value sets (a run builds them from the seeds)
    assert unknown_condition_code_warnings(con) == [
        "2 dropped diagnosis codes (2 distinct) are not valid for their claim's date but begin with a "
        "core-condition value-set prefix, so they were NOT counted as condition evidence "
        "(e.g. E1199X x1, E11A x1 of FY2024); see rejects.csv and check the coding or the code set"]
