"""Audit cut-off (`mtm run --as-known-at`): a past universe rebuilt exactly.

Claim versions processed after the cut-off are ignored everywhere (row checks, the version rule), so the
run equals a run on the extract with those rows removed; rows without processed_at count as known."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.extract_builder import fill, medical, member, write_extract
from tests.reliability_harness import cli, published_files, run, stable_manifest
from tests.targeting_harness import EIGHT_DRUGS, NDC

CUTOFF = "2025-09-15T12:00:00"
EARLY, LATE = "2025-08-31 10:00:00", "2025-09-20 09:00:00"


def _fills():
    rows = []
    for member_id in ("M1", "M2"):
        for i, drug in enumerate(EIGHT_DRUGS):
            rows.append(fill(member_id, "2025-08-20", NDC[drug], 90, 700.0, claim_id=f"{member_id}-{i}",
                             processed_at=EARLY if i % 2 else ""))
    return rows


def _late_rows():
    """What arrived after the cut-off: a reversal, a cost adjustment, a new fill, a bad row, a new diagnosis."""
    return {
        "pharmacy_claim": [
            fill("M1", "2025-08-20", NDC["atorvastatin"], 90, 700.0, claim_id="M1-0", claim_status="reversed",
                 processed_at=LATE),
            fill("M2", "2025-08-20", NDC["lisinopril"], 90, 5.0, claim_id="M2-1", processed_at=LATE),
            fill("M2", "2025-09-10", NDC["alendronate"], 30, 80.0, claim_id="M2-NEW", processed_at=LATE),
            fill("M2", "2025-09-10", "BADNDC", 30, 80.0, claim_id="M2-BAD", processed_at=LATE),
        ],
        "medical_claim": [medical("M1", "outpatient", "2025-09-01", "I50.9", "E11.9", "N18.4",
                                  claim_id="MC-LATE", processed_at=LATE)],
    }


def _medical():
    return [medical("M1", "outpatient", "2025-03-01", "I10", "E78.5", claim_id="MC-1", processed_at=EARLY),
            medical("M2", "outpatient", "2025-03-01", "I10", "E11.9", "F03.90", claim_id="MC-2")]


def _staged(tmp_path: Path, extract: Path, as_known_at: str | None = None) -> tuple[dict[str, list], dict]:
    """Ingest + staging (tests/staging_harness.py) of ``extract``: every staged table's rows and the rejects,
    and the run's audit cut-off facts (what the manifest's ``audit_cutoff`` is written from)."""
    from pipelines.engine.models import install_macros
    from pipelines.run_state import run_facts as run_report
    from pipelines.run_state.run_context import RunContext
    from tests.staging_harness import STAGING_TARGETS, build
    from tests.template_home import seeded_home

    tmp_path.mkdir()
    settings = tmp_path / "settings.toml"
    settings.write_text("[validation]\ngx_sample_rows = 0\n")
    ctx = RunContext.create(home=seeded_home(tmp_path / "home"), extract_dirs=[extract], as_of="2025-09-30",
                            settings_file=settings, as_known_at=as_known_at)
    con = ctx.connect()
    try:
        install_macros(con)
        done: set[str] = set()
        for table in STAGING_TARGETS:
            build(con, ctx, table, done)
        tables = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in STAGING_TARGETS}
        return tables, run_report.facts(con, ctx.run_id).get("audit_cutoff", {})
    finally:
        con.close()


def test_as_known_at_stages_what_the_extract_without_later_versions_stages(tmp_path):
    """The cut-off's rule where it lives (row checks and the version rule, staging): `make test`'s test of it
    (issue 24); the whole runs compared file by file below are `make test-long`."""
    late = _late_rows()
    members = [member("M1"), member("M2")]
    full = write_extract(tmp_path / "full", eligibility=members, pharmacy_claim=_fills() + late["pharmacy_claim"],
                         medical_claim=_medical() + late["medical_claim"])
    known = write_extract(tmp_path / "known", eligibility=members, pharmacy_claim=_fills(), medical_claim=_medical())

    cut, facts = _staged(tmp_path / "cut", full, as_known_at=CUTOFF)
    ref, _ = _staged(tmp_path / "ref", known)
    assert cut == ref
    assert facts == {"as_known_at": "2025-09-15 12:00:00",
                     "versions_processed_later_ignored": {"pharmacy_claim": 4, "medical_claim": 1}}
    # and without the cut-off the late versions do count: the test can fail
    now, _ = _staged(tmp_path / "now", full)
    assert now["stg_pharmacy_claim"] != ref["stg_pharmacy_claim"] and now["stg_diagnosis"] != ref["stg_diagnosis"]
    assert any("M2-BAD" in map(str, row) or "BADNDC" in map(str, row) for row in now["rejects"])


@pytest.mark.long
def test_as_known_at_equals_the_extract_without_later_versions(tmp_path):
    late = _late_rows()
    members = [member("M1"), member("M2")]
    full = write_extract(tmp_path / "full", eligibility=members, pharmacy_claim=_fills() + late["pharmacy_claim"],
                         medical_claim=_medical() + late["medical_claim"])
    known = write_extract(tmp_path / "known", eligibility=members, pharmacy_claim=_fills(), medical_claim=_medical())

    cut = run(tmp_path / "h1", full, as_of="2025-09-30", as_known_at=CUTOFF)
    ref = run(tmp_path / "h2", known, as_of="2025-09-30")
    assert published_files(cut) == published_files(ref)
    manifest = json.loads((cut / "run_manifest.json").read_text())
    assert manifest["as_known_at"] == "2025-09-15 12:00:00"
    assert manifest["audit_cutoff"]["versions_processed_later_ignored"] == {"pharmacy_claim": 4, "medical_claim": 1}

    # and without the cut-off the late versions do count: the test can fail
    now = run(tmp_path / "h3", full, as_of="2025-09-30")
    assert published_files(now)["member_summary.csv"] != published_files(ref)["member_summary.csv"]
    assert b"BADNDC" in published_files(now)["rejects.csv"]


@pytest.mark.long
def test_as_known_at_through_the_command_line(tmp_path):
    late = _late_rows()
    full = write_extract(tmp_path / "full", eligibility=[member("M1"), member("M2")],
                         pharmacy_claim=_fills() + late["pharmacy_claim"])
    code, out, _ = cli("run", "--extract", str(full), "--as-of", "2025-09-30", "--home", str(tmp_path / "h"),
                       "--as-known-at", "2025-09-15")
    assert code == 0, out
    assert "as known at 2025-09-15 23:59:59.999999" in out
    manifest = stable_manifest(tmp_path / "h" / "runs" / "latest")
    assert manifest["audit_cutoff"]["versions_processed_later_ignored"]["pharmacy_claim"] == 4
    code, _, err = cli("run", "--extract", str(full), "--home", str(tmp_path / "h"), "--as-known-at", "yesterday")
    assert code == 1 and "as-known-at 'yesterday' is not a timestamp" in err
