"""Issue 26 item 18: a DE-SynPUF subset is read when it holds what the as-of date needs (the beneficiary
files of that year and the year before, and the PDE file); the carrier file may be whole or split; absent
medical files and diagnosis positions are absent, with a warning that says what was not evaluated."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from pipelines.ingest.adapters import synpuf
from pipelines.run_state.errors import InputFileError
from tests.synpuf_writer import CARRIER, bene, claim, pde, write_synpuf
from tests.test_adapter_synpuf import ATORVASTATIN, LISINOPRIL, METFORMIN, run_synpuf

AS_OF = dt.date(2009, 12, 31)
STEM = "DE1_0_2008_to_2010_{}_Sample_1"


def subset(folder: Path) -> Path:
    """2008-2009 beneficiary files only, no outpatient file, one unsplit carrier file with five diagnosis
    positions (ICD9_DGNS_CD_1..5): the shape of a 500-person subset the issue saw rejected."""
    full = {"months": 12}
    write_synpuf(
        folder,
        beneficiaries={2008: [bene("B1", "19400315", **full)], 2009: [bene("B1", "19400315", **full)]},
        pde_rows=[pde("B1", "P1", "20091115", ATORVASTATIN, 30, 1500),
                  pde("B1", "P2", "20091201", LISINOPRIL, 30, 1500),
                  pde("B1", "P3", "20091201", METFORMIN, 30, 1500)],
        inpatient=[claim("B1", "I1", "20090815", "25000", SEGMENT="1")],
    )
    (folder / "DE1_0_2010_Beneficiary_Summary_File_Sample_1.csv").unlink()
    (folder / f"{STEM.format('Outpatient_Claims')}.csv").unlink()
    for part in "AB":
        (folder / f"{STEM.format('Carrier_Claims')}{part}.csv").unlink()
    columns = [c for c in CARRIER if not c.startswith("ICD9_DGNS_CD_") or int(c.rsplit("_", 1)[1]) <= 5]
    rows = [{"DESYNPUF_ID": "B1", "CLM_ID": "C1", "CLM_FROM_DT": "20090301", "CLM_THRU_DT": "20090301",
             "ICD9_DGNS_CD_1": "4011"}]
    lines = [",".join(f'"{c}"' for c in columns)] + [",".join(str(r.get(c, "")) for c in columns) for r in rows]
    (folder / f"{STEM.format('Carrier_Claims')}.csv").write_text("\n".join(lines) + "\n")
    return folder


def _ctx(folder: Path, as_of: dt.date | None = AS_OF) -> SimpleNamespace:
    return SimpleNamespace(extract_dirs=[folder], as_of=as_of, settings={"sources": {"synpuf_contract_id": "SYNPUF"}})


def test_a_subset_with_what_the_as_of_date_needs_is_read_and_says_what_it_did_not_evaluate(tmp_path):
    extract = subset(tmp_path / "extract")
    con = duckdb.connect()
    report = synpuf.read_extract(_ctx(extract), con)
    claims = con.execute("SELECT _file, claim_type, diagnosis_code_1 FROM raw_medical_claim ORDER BY 1").fetchall()
    assert claims == [(f"{STEM.format('Carrier_Claims')}.csv", "professional", "4011"),   # the whole carrier file
                      (f"{STEM.format('Inpatient_Claims')}.csv", "inpatient", "25000")]
    notes = "\n".join(report.notes)
    assert (f"{STEM.format('Outpatient_Claims')}.csv is not in the extract: its outpatient claims' diagnoses "
            "were NOT evaluated") in notes
    assert (f"{STEM.format('Carrier_Claims')}.csv: diagnosis position(s) ICD9_DGNS_CD_6, ICD9_DGNS_CD_7, "
            "ICD9_DGNS_CD_8 are not in the file: those positions were NOT evaluated (5 of 8 read)") in notes
    assert "Carrier_Claims_Sample_1A" not in notes  # whole: no part is missing


def test_the_as_of_date_decides_which_beneficiary_years_are_required(tmp_path):
    extract = subset(tmp_path / "extract")
    with pytest.raises(InputFileError) as err:  # as of 2010: the 2010 beneficiary file is needed
        synpuf.read_extract(_ctx(extract, dt.date(2010, 6, 30)), duckdb.connect())
    assert err.value.file == "DE1_0_2010_Beneficiary_Summary_File_Sample_1.csv"
    assert "as of 2010-06-30, sample 1 needs DE1_0_2009_Beneficiary" in str(err.value)
    assert synpuf.needed_years(dt.date(2009, 12, 31)) == (2008, 2009)
    assert synpuf.needed_years(dt.date(2008, 3, 1)) == (2008,)
    (extract / f"{STEM.format('Prescription_Drug_Events')}.csv").unlink()
    with pytest.raises(InputFileError, match="Prescription_Drug_Events_Sample_1.csv: required DE-SynPUF file"):
        synpuf.read_extract(_ctx(extract), duckdb.connect())


def test_one_carrier_part_missing_is_warned_and_whole_plus_parts_is_refused(tmp_path):
    extract = write_synpuf(tmp_path / "split", beneficiaries={2008: [bene("B1", "19400315")],
                                                              2009: [bene("B1", "19400315")]},
                           carrier_a=[claim("B1", "C1", "20090301", "4011")])
    (extract / f"{STEM.format('Carrier_Claims')}B.csv").unlink()
    report = synpuf.read_extract(_ctx(extract), duckdb.connect())
    assert any(n.startswith(f"DE-SynPUF sample 1: {STEM.format('Carrier_Claims')}B.csv is not in the extract: "
                            "its professional claims' diagnoses were NOT evaluated") for n in report.notes)
    whole = extract / f"{STEM.format('Carrier_Claims')}.csv"
    whole.write_text((extract / f"{STEM.format('Carrier_Claims')}A.csv").read_text())
    with pytest.raises(InputFileError, match="both whole and split into A/B"):
        synpuf.read_extract(_ctx(extract), duckdb.connect())


def test_the_subset_runs_end_to_end_with_the_warnings_in_the_manifest(tmp_path):
    summary, folder = run_synpuf(tmp_path, subset(tmp_path / "extract"), AS_OF.isoformat())
    assert summary["B1"]["member_id"] == "B1"
    warnings = json.loads((folder / "run_manifest.json").read_text())["warnings"]
    assert any("Outpatient_Claims_Sample_1.csv is not in the extract" in w for w in warnings)
    assert any("ICD9_DGNS_CD_6, ICD9_DGNS_CD_7, ICD9_DGNS_CD_8 are not in the file" in w for w in warnings)
