"""The MTM enrollment ledger across runs (targeting-rules.md section 6), each with the exact ledger."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from dagster_project.run import RunFailed, run_pipeline
from pipelines.run_context import RunContext
from tests.extract_builder import fill, member, write_extract
from tests.targeting_harness import EIGHT_DRUGS, NDC, ledger, run_extract

D1, D2 = dt.date(2025, 6, 30), dt.date(2025, 9, 30)
CY = 2025


def monthly_regimen(member_id: str, start=dt.date(2025, 1, 5), end=D2):
    fills, day = [], start
    while day <= end:
        fills += [fill(member_id, day, NDC[drug], 30, 150.0) for drug in EIGHT_DRUGS]
        day += dt.timedelta(days=30)
    return fills


def qualifying_extract(**overrides):
    return {"eligibility": [member("M1")], "pharmacy_claim": monthly_regimen("M1"), **overrides}


def enrollment_status(home) -> list[tuple]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute("SELECT member_id, contract_id, mtm_enrollment_date, opt_out_date, opt_out_reason "
                           "FROM tgt_mtm_enrollment ORDER BY ALL").fetchall()
    finally:
        con.close()


def test_d1_then_d2_keeps_the_first_enrollment(tmp_path):
    home = tmp_path / "home"
    run_extract(tmp_path, as_of=D1, home=home, **qualifying_extract())
    rows = run_extract(tmp_path, as_of=D2, home=home, **qualifying_extract())
    assert ledger(home) == [("M1", "H1234", CY, D1, D1)]
    assert (rows["M1"]["mtm_enrollment_date"], rows["M1"]["date_met_criteria"]) == (str(D1), str(D1))


def test_backfill_d2_then_d1_moves_date_met_criteria_not_the_enrollment_date(tmp_path):
    home = tmp_path / "home"
    run_extract(tmp_path, as_of=D2, home=home, **qualifying_extract())
    run_extract(tmp_path, as_of=D1, home=home, **qualifying_extract())
    assert ledger(home) == [("M1", "H1234", CY, D2, D1)]


def test_rerunning_a_date_changes_nothing(tmp_path):
    home = tmp_path / "home"
    first = run_extract(tmp_path, as_of=D1, home=home, **qualifying_extract())
    once = ledger(home)
    second = run_extract(tmp_path, as_of=D1, home=home, **qualifying_extract())
    assert ledger(home) == once == [("M1", "H1234", CY, D1, D1)]
    assert first == second


def test_contract_change_mid_year_disenrolls_and_enrolls_anew(tmp_path):
    home = tmp_path / "home"
    spans = [member("M1", contract_id="H1234", enrollment_end_date="2025-07-31"),
             member("M1", contract_id="S5678", pbp_id="002", enrollment_start_date="2025-08-01")]
    run_extract(tmp_path, as_of=D1, home=home, **qualifying_extract(eligibility=spans))
    rows = run_extract(tmp_path, as_of=D2, home=home, **qualifying_extract(eligibility=spans))
    assert ledger(home) == [("M1", "H1234", CY, D1, D1), ("M1", "S5678", CY, D2, D2)]
    assert enrollment_status(home) == [
        ("M1", "H1234", D1, dt.date(2025, 7, 31), "disenrolled"),
        ("M1", "S5678", D2, None, None),
    ]
    assert (rows["M1"]["contract_id"], rows["M1"]["mtm_enrolled"]) == ("S5678", "true")


def test_requested_opt_out_blocks_re_enrollment_in_the_same_contract_and_year(tmp_path):
    home = tmp_path / "home"
    run_extract(tmp_path, as_of=D1, home=home, **qualifying_extract())
    events = [{"member_id": "M1", "event_date": "2025-07-15", "event_type": "opted_out",
               "opt_out_reason": "requested"}]
    rows = run_extract(tmp_path, as_of=D2, home=home, **qualifying_extract(mtm_event=events))
    assert ledger(home) == [("M1", "H1234", CY, D1, D1)]
    assert rows["M1"]["meets_criteria"] == "true"
    assert (rows["M1"]["mtm_enrolled"], rows["M1"]["opt_out_date"], rows["M1"]["opt_out_reason"]) == (
        "false", "2025-07-15", "requested")


def test_requested_opt_out_before_any_enrollment_prevents_auto_enrollment(tmp_path):
    events = [{"member_id": "M1", "event_date": "2025-03-01", "event_type": "opted_out",
               "opt_out_reason": "requested"}]
    rows = run_extract(tmp_path, as_of=D2, **qualifying_extract(mtm_event=events))
    assert ledger(tmp_path / "home") == []
    assert (rows["M1"]["mtm_enrolled"], rows["M1"]["opt_out_reason"]) == ("false", "requested")
    assert (rows["M1"]["date_met_criteria"], rows["M1"]["mtm_enrollment_date"]) == (str(D2), "")


def test_death_after_enrollment_is_a_derived_opt_out(tmp_path):
    home = tmp_path / "home"
    run_extract(tmp_path, as_of=D1, home=home, **qualifying_extract())
    rows = run_extract(tmp_path, as_of=D2, home=home,
                       **qualifying_extract(eligibility=[member("M1", death_date="2025-08-20")]))
    assert "M1" not in rows
    assert enrollment_status(home) == [("M1", "H1234", D1, dt.date(2025, 8, 20), "death")]
    assert ledger(home) == [("M1", "H1234", CY, D1, D1)]


def test_new_contract_year_starts_afresh(tmp_path):
    home = tmp_path / "home"
    run_extract(tmp_path, as_of=D2, home=home, **qualifying_extract())
    nxt = dt.date(2026, 1, 31)
    fills = monthly_regimen("M1", start=dt.date(2025, 11, 1), end=nxt)
    run_extract(tmp_path, as_of=nxt, home=home, eligibility=[member("M1")], pharmacy_claim=fills)
    assert ledger(home) == [("M1", "H1234", 2025, D2, D2), ("M1", "H1234", 2026, nxt, nxt)]


def test_a_run_that_fails_midway_leaves_ledger_and_published_run_intact(tmp_path, monkeypatch):
    home = tmp_path / "home"
    run_extract(tmp_path, as_of=D1, home=home, **qualifying_extract())
    published = (home / "runs" / str(D1) / "member_summary.csv").read_bytes()
    before = ledger(home)

    monkeypatch.setenv("MTM_FAULT_AT", "export_member_summary")
    extract = write_extract(tmp_path / "later", **qualifying_extract(eligibility=[member("M1"), member("M2")],
                                                                     pharmacy_claim=monthly_regimen("M1")
                                                                     + monthly_regimen("M2")))
    ctx = RunContext.create(home=home, extract_dirs=[extract], as_of=D1)
    with pytest.raises(RunFailed, match="injected fault at export_member_summary"):
        run_pipeline(ctx)
    assert ledger(home) == before
    assert (home / "runs" / str(D1) / "member_summary.csv").read_bytes() == published
    failed = list((home / "failed").iterdir())
    assert len(failed) == 1 and (failed[0] / "run_manifest.json").exists()
    assert not [p for p in (home / "runs").iterdir() if p.name.startswith(".incoming")]


KILL_SCRIPT = """
import os, signal, sys
from dagster_project.run import run_pipeline
from pipelines import publish
from pipelines.run_context import RunContext

where = sys.argv[3]

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

def delete_then_die(ctx, con):
    con.execute("BEGIN TRANSACTION")
    con.execute("DELETE FROM mtm_enrollment_ledger")
    die()

if where == "before_publish":
    os.environ["MTM_FAULT_AT"], os.environ["MTM_FAULT"] = "export_outreach_list", "kill"
else:
    publish.commit_ledger = delete_then_die
ctx = RunContext.create(home=sys.argv[1], extract_dirs=[sys.argv[2]], as_of="2025-09-30")
run_pipeline(ctx)
"""


@pytest.mark.parametrize("where", ["before_publish", "inside_ledger_transaction"])
def test_a_killed_run_leaves_the_ledger_intact(tmp_path, where):
    import subprocess
    import sys

    home = tmp_path / "home"
    run_extract(tmp_path, as_of=D1, home=home, **qualifying_extract())
    before = ledger(home)
    extract = write_extract(tmp_path / "later", eligibility=[member("M1"), member("M2")],
                            pharmacy_claim=monthly_regimen("M1") + monthly_regimen("M2"))
    proc = subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(home), str(extract), where],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    assert ledger(home) == before == [("M1", "H1234", CY, D1, D1)]
    assert not (home / "runs" / str(D2)).exists()
    rows = run_extract(tmp_path, as_of=D2, home=home, name="retry", eligibility=[member("M1"), member("M2")],
                       pharmacy_claim=monthly_regimen("M1") + monthly_regimen("M2"))
    assert ledger(home) == [("M1", "H1234", CY, D1, D1), ("M2", "H1234", CY, D2, D2)]
    assert rows["M2"]["mtm_enrolled"] == "true"
