"""Issue 25 acceptance: the scenario extract of items 1-3 (tests/fixtures/issue25_scenario) run through the
whole pipeline; items 1 and 2 checked in the published outputs (quality_measure_members.parquet,
member_risk_signals.parquet, member_evidence.parquet). Item 3's rows are in the fixture for its own tests.

Issue 24: the fixture's rows are this file's scenario in the session's shared run (``tests.scenario_run``:
as of 2025-09-30, the fixture's extract.toml date, default settings); every assertion reads its own members.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from tests.scenario_run import scenario_folder

FIXTURE = Path(__file__).parent / "fixtures" / "issue25_scenario"


def _fixture_rows() -> dict[str, list[dict]]:
    """The fixture's tables as rows (its CSV files, read as text: written back as they are)."""
    tables = {}
    for path in sorted(FIXTURE.glob("*.csv")):
        with path.open(newline="") as fh:
            tables[path.stem] = list(csv.DictReader(fh))
    return tables


#: this file's members in the shared run (tests/scenario_run.py)
SHARED_SCENARIO = _fixture_rows()


@pytest.fixture(scope="module")
def published() -> Path:
    return scenario_folder()


def rows(folder: Path, name: str, where: str) -> list[dict]:
    with duckdb.connect() as con:
        result = con.execute(f"SELECT * FROM read_parquet(?) WHERE {where}", [str(folder / f"{name}.parquet")])
        names = [d[0] for d in result.description]
        return [dict(zip(names, r, strict=True)) for r in result.fetchall()]


def test_nasal_butorphanol_and_alprazolam_make_a_cob_row_and_a_risk_signal(published):
    (cob,) = rows(published, "quality_measure_members", "member_id = 'I25BUT' AND measure_id = 'cob'")
    assert (cob["in_denominator"], cob["in_numerator"]) == (True, True)
    signals = rows(published, "member_risk_signals", "member_id = 'I25BUT'")
    assert "opioid_benzodiazepine" in {s["signal"] for s in signals}


def test_metformin_to_invokamet_is_fully_covered_without_an_adherence_gap(published):
    (pdc,) = rows(published, "quality_measure_members", "member_id = 'I25INV' AND measure_id = 'pdc_dr'")
    assert (pdc["in_denominator"], pdc["in_numerator"]) == (True, True)
    assert pdc["days_covered"] == pdc["days_in_period"] == 273 and pdc["pdc"] == pytest.approx(1.0)
    assert [s for s in rows(published, "member_risk_signals", "member_id = 'I25INV'")
            if s["signal"] == "adherence_gap"] == []


def test_a_semglee_user_is_an_insulin_user_with_diabetes_evidence(published):
    (pdc,) = rows(published, "quality_measure_members", "member_id = 'I25SEM' AND measure_id = 'pdc_dr'")
    assert (pdc["in_denominator"], pdc["exclusion_reason"]) == (False, "insulin")
    evidence = rows(published, "member_evidence", "member_id = 'I25SEM' AND core_condition = 'diabetes'")
    assert "insulin glargine" in {e["drug"] for e in evidence}
