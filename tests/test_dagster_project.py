"""The Dagster layer: definitions load (`dg check defs`), the graph is what we expect, and `mtm run`
really materialises it in-process and publishes a run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb

from tests.extract_builder import fill, medical, member, write_extract
from tests.template_home import seeded_home

BIN = Path(sys.executable).parent
PROJECT = Path(__file__).resolve().parents[1]


def _env():
    return {**os.environ, "VIRTUAL_ENV": str(BIN.parent), "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
            "GX_ANALYTICS_ENABLED": "false", "DAGSTER_DISABLE_TELEMETRY": "1"}


def test_dg_check_defs_passes():
    proc = subprocess.run([str(BIN / "dg"), "check", "defs"], cwd=PROJECT, env=_env(), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "All definitions loaded successfully" in proc.stdout + proc.stderr


def test_delivery_sensor_requests_a_run_for_a_ready_folder(tmp_path, monkeypatch):
    from dagster_project.defs.schedules import extract_delivery_sensor

    (tmp_path / "2025-10-01").mkdir()
    (tmp_path / "2025-10-01" / "_READY").write_text("")
    (tmp_path / "still-copying").mkdir()
    monkeypatch.setenv("MTM_INBOX", str(tmp_path))
    result = extract_delivery_sensor(dg.build_sensor_context()).run_requests
    assert len(result) == 1
    config = result[0].run_config["resources"]["mtm"]["config"]
    assert config["extract_dirs"] == [str((tmp_path / "2025-10-01").resolve())]


def _mtm(*args, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "mtm"), *args, "--home", str(home)], capture_output=True, text=True,
                          env=_env(), timeout=300, cwd=home.parent)


def test_mtm_run_materialises_the_graph_and_publishes(tmp_path):
    ex = write_extract(tmp_path / "ex", eligibility=[member("M1", first_name="Zebedee")],
                       pharmacy_claim=[fill("M1", "2025-09-01")],
                       medical_claim=[medical("M1", "inpatient", "2025-02-01", "I10")],
                       dmp_arb=[{"member_id": "M1", "arb_start_date": "2025-01-01"}])
    home = tmp_path / "home"
    proc = _mtm("run", "--extract", str(ex), "--as-of", "2025-09-30", home=home)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    folder = home / "runs" / "2025-09-30"
    assert f"Published run: {folder}" in proc.stdout
    for name in ("member_summary.csv", "member_summary.parquet", "member_drugs.parquet",
                 "member_conditions.parquet", "rejects.csv", "run_manifest.json", "data_docs/index.html"):
        assert (folder / name).exists(), name
    assert (home / "runs" / "latest").resolve() == folder.resolve()
    from pipelines.publishing.output_contract import member_summary_columns

    header = (folder / "member_summary.csv").read_text().splitlines()[0].split(",")
    assert header == list(member_summary_columns()) == [
        "member_id", "contract_id", "pbp_id", "as_of_date", "age", "part_d_drugs", "maintenance_drugs",
        "projected_annual_cost", "core_conditions", "cond_alzheimers", "cond_bone_arthritis",
        "cond_heart_failure", "cond_diabetes", "cond_dyslipidemia", "cond_esrd", "cond_hiv_aids",
        "cond_hypertension", "cond_mental_health", "cond_respiratory", "meets_conditions", "meets_drugs",
        "meets_cost", "arb", "targeting_reason", "meets_criteria", "mtm_enrolled", "date_met_criteria",
        "mtm_enrollment_date", "enrollment_source", "opt_out_date", "opt_out_reason", "risk_flags", "priority_score"]
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"stg_eligibility", "stg_pharmacy_claim", "stg_medical_claim", "rejects", "member_summary",
            "mtm_enrollment_ledger"} <= tables
    assert con.execute("SELECT targeting_reason FROM member_summary").fetchall() == [("02",)]
    # PHI never reaches the console or the run report
    assert "Zebedee" not in proc.stdout + proc.stderr
    assert "Zebedee" not in (folder / "run_manifest.json").read_text()
    assert "1950-06-15" not in (folder / "run_manifest.json").read_text()


def test_mtm_run_failure_says_why_and_exits_non_zero(tmp_path):
    ex = write_extract(tmp_path / "ex", eligibility=[member("M1")], pharmacy_claim=[fill("M1", "2025-09-01")])
    (ex / "pharmacy_claim.csv").write_text("claim_id,member_id\nC1,M1\n")
    proc = _mtm("run", "--extract", str(ex), "--as-of", "2025-09-30", home=tmp_path / "home")
    assert proc.returncode == 1
    assert "pharmacy_claim.csv: missing required column; column 'fill_date'" in proc.stderr
    assert "Nothing published was changed" in proc.stderr


def test_mtm_help_explains_every_option():
    proc = subprocess.run([str(BIN / "mtm"), "run", "--help"], capture_output=True, text=True, env=_env())
    for option in ("--extract", "--source", "--as-of", "--settings", "--home"):
        assert option in proc.stdout


def test_mtm_reference_import_takes_precedence_and_dump_writes_the_effective_tables(tmp_path):
    home = seeded_home(tmp_path / "home")  # the seeds loaded from the session template (tests/template_home.py)
    crosswalk = tmp_path / "crosswalk.csv"
    crosswalk.write_text("ndc,ingredient\n00054010022,Amlodipine Besylate/Benazepril HCl\n1234,atorvastatin\n")
    proc = _mtm("reference", "import", "--crosswalk", str(crosswalk), home=home)
    assert proc.returncode == 0, proc.stderr
    assert "2 rows read, 1 imported" in proc.stdout and "row 2:" in proc.stdout
    proc = _mtm("reference", "import", "--fda-ndc-dir", str(PROJECT / "tests" / "fixtures" / "fda_ndc"), home=home)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "dump"
    proc = _mtm("reference", "dump", str(out), home=home)
    assert proc.returncode == 0, proc.stderr
    ndc_rows = (out / "ref_ndc.csv").read_text()
    assert "00054010022,amlodipine / benazepril" in ndc_rows  # the plan crosswalk wins over the shipped map
    assert "00071015523,atorvastatin,oral,\"tablet, film coated\",C10AA05,fda_ndc_directory" in ndc_rows
    assert (out / "ref_drug.csv").exists() and (out / "ref_icd_valid.csv").exists()


def test_dagster_runs_the_models_in_one_step_and_a_failed_blocking_check_stops_it(tmp_path):
    """Issue 27: the seeds, the SQL models and the row checks are one subsettable Dagster step (`warehouse`)
    yielding one materialisation per selected table; an output check with ERROR severity stops that step right
    after its table, so no later model is built and nothing is published, as in the engine."""
    import pytest

    from dagster_project.run import dagster_materialize
    from pipelines.engine.runner import BlockingCheckFailed
    from pipelines.run_state.run_context import RunContext
    from tests.targeting_harness import without_expectations

    # one of the two fills has an NDC nobody knows: half the fills identified by NDC, below the 0.90 floor
    ex = write_extract(tmp_path / "ex", eligibility=[member("M1")],
                       pharmacy_claim=[fill("M1", "2025-09-01"), fill("M1", "2025-08-01", ndc="99999999999")])

    def context(name: str, settings: str) -> RunContext:
        (tmp_path / f"{name}.toml").write_text(without_expectations(settings))
        return RunContext.create(home=seeded_home(tmp_path / name), extract_dirs=[ex], as_of="2025-09-30",
                                 settings_file=tmp_path / f"{name}.toml")

    result = dagster_materialize(context("subset", ""), targets=["core_fill"])
    steps = [e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"]
    assert steps.count("warehouse") == 1 and "core_fill" not in steps and "row_rejects" not in steps
    built = {m.asset_key.to_user_string() for m in result.asset_materializations_for_node("warehouse")}
    assert {"seed_local_preparation_atc", "row_rejects", "stg_pharmacy_claim", "core_fill"} <= built
    assert "member_summary" not in built and "core_active_drug" not in built  # only what core_fill needs
    evaluations = {f"{e.asset_key.to_user_string()}:{e.check_name}": e for e in result.get_asset_check_evaluations()}
    assert not evaluations["core_fill:ndc_identified_share"].passed  # a WARN by default: the step went on
    assert evaluations["core_fill:ndc_identified_share"].severity == dg.AssetCheckSeverity.WARN

    blocked = context("blocked", '[checks]\nblocking = ["ndc_identified_share"]\n')
    with pytest.raises(BlockingCheckFailed, match="core_fill:ndc_identified_share"):
        dagster_materialize(blocked)
    with duckdb.connect(str(blocked.warehouse_path), read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert "core_fill" in tables and "member_summary" not in tables and "core_active_drug" not in tables
    assert not (tmp_path / "blocked" / "runs" / "2025-09-30").exists()
