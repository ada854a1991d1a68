"""The core engine (pipelines/engine/runner.py, issue 27): the graph the Dagster assets declare, run without Dagster.

The one test that proves the two paths agree: the engine and ``dg.materialize`` of the Dagster definitions
publish identical run folders (tools/compare_runs.py: every table by content, the manifest without run ids
and timings) from the same extract on two fresh homes. The others check the plan the engine runs.
"""

from __future__ import annotations

import datetime as dt
import json

from dagster_project.run import dagster_materialize, materialize
from pipelines.engine.runner import plan
from pipelines.run_state.run_context import RunContext
from tests.extract_builder import fill, medical, member, write_extract
from tests.targeting_harness import EIGHT_DRUGS, NDC, without_expectations
from tests.template_home import seeded_home
from tools.compare_runs import compare

AS_OF = dt.date(2025, 9, 30)


def _extract(folder):
    """Three members: one on eight chronic drugs with conditions, one at-risk (ARB), one on one drug."""
    fills = [fill("M1", f"2025-0{month}-01", ndc=NDC[drug]) for drug in EIGHT_DRUGS for month in (4, 6, 8)]
    fills += [fill("M2", "2025-09-01"), fill("M3", "2025-08-01", ndc=NDC["lisinopril"])]
    return write_extract(folder, eligibility=[member(m) for m in ("M1", "M2", "M3")], pharmacy_claim=fills,
                         dmp_arb=[{"member_id": "M2", "arb_start_date": "2025-01-01"}],
                         medical_claim=[medical("M1", "professional", "2025-03-01", "I10", "E119", "I509")])


def _context(tmp_path, name):
    settings = tmp_path / "settings.toml"
    settings.write_text(without_expectations(""))
    return RunContext.create(home=seeded_home(tmp_path / name), extract_dirs=[tmp_path / "extract"], as_of=AS_OF,
                             settings_file=settings)


def test_the_engine_and_dagster_publish_identical_run_folders(tmp_path):
    _extract(tmp_path / "extract")
    steps = []
    engine = materialize(_context(tmp_path, "engine"), on_step=lambda *step: steps.append(step))
    dagster = dagster_materialize(_context(tmp_path, "dagster"))
    assert dagster.success
    engine_folder, dagster_folder = (tmp_path / home / "runs" / "2025-09-30" for home in ("engine", "dagster"))
    assert engine.published == engine_folder
    assert compare(engine_folder, dagster_folder) == []
    summary = (engine_folder / "member_summary.csv").read_text()
    assert summary.count("\n") == 4 and ",02,true," in summary  # three members, the at-risk one targeted
    # every node reported progress once, in order, and timed itself in the manifest as under Dagster
    assert [s[0] for s in steps] == list(range(1, len(steps) + 1)) and {s[1] for s in steps} == {len(steps)}
    assert steps[-1][2] == "published_run"
    timed = json.loads((engine_folder / "run_manifest.json").read_text())["timings_seconds"]
    under_dagster = json.loads((dagster_folder / "run_manifest.json").read_text())["timings_seconds"]
    assert set(timed) == set(under_dagster)
    # the same checks ran on both paths, with the same verdicts
    evaluations = {f"{e.asset_key.to_user_string()}:{e.check_name}": e.passed
                   for e in dagster.get_asset_check_evaluations()}
    assert {key: outcome.passed for key, outcome in engine.checks.items()} == evaluations


def test_a_target_runs_what_it_reads_and_nothing_downstream():
    names = [node.name for node in plan(["stg_pharmacy_claim"])]
    assert "ingest" in names and "run_parameters" in names and names[-1] == "stg_pharmacy_claim"
    assert "core_fill" not in names and "published_run" not in names
    assert names.index("ingest") < names.index("run_parameters")  # run_parameters reads raw_member_status


def test_every_node_runs_after_the_tables_it_reads():
    ordered = plan()
    built: set[str] = set()
    producers = {table for node in ordered for table in node.produces}
    for node in ordered:
        assert {r for r in node.reads if r in producers} <= built, node.name
        built |= set(node.produces)
    assert ordered[-1].name == "published_run"
