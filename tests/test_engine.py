"""The core engine (pipelines/engine/runner.py, issue 27): the graph the Dagster assets declare, run without Dagster.

The one test that proves the two paths agree: the engine and ``dg.materialize`` of the Dagster definitions
publish identical run folders (tools/compare_runs.py: every table by content, the manifest without run ids
and timings) from the same extract on two fresh homes. The others check the plan the engine runs.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.engine.runner import plan
from tests.shared_runs import DETERMINISM_AS_OF, engine_and_dagster
from tools.compare_runs import compare


def test_the_engine_and_dagster_publish_identical_run_folders():
    """The session's two runs of the determinism extract (``engine_and_dagster``, tests/shared_runs.py: the
    bundled sample's first 150 members at 2025-09-30, on two fresh homes; tests/test_determinism.py compares
    their bytes). Issue 24: this test ran a three-member extract of its own through both paths (two whole runs);
    the sample's members take more of the graph (versions, reversals, events, medical claims), and its 133
    members, 13 of whom meet the criteria, stand for the three members, the at-risk one targeted."""
    runs = engine_and_dagster()
    assert runs["dagster_success"]
    engine_folder, dagster_folder = (Path(runs[home]) / "runs" / DETERMINISM_AS_OF
                                     for home in ("engine_home", "dagster_home"))
    assert Path(runs["published"]) == engine_folder
    assert compare(engine_folder, dagster_folder) == []
    summary = (engine_folder / "member_summary.csv").read_text()
    assert summary.count("\n") == 134 and summary.count(",01,true,") == 13  # 133 members, 13 targeted
    # every node reported progress once, in order, and timed itself in the manifest as under Dagster
    steps = runs["steps"]
    assert [s[0] for s in steps] == list(range(1, len(steps) + 1)) and {s[1] for s in steps} == {len(steps)}
    assert steps[-1][2] == "published_run"
    timed = json.loads((engine_folder / "run_manifest.json").read_text())["timings_seconds"]
    under_dagster = json.loads((dagster_folder / "run_manifest.json").read_text())["timings_seconds"]
    assert set(timed) == set(under_dagster)
    # the same checks ran on both paths, with the same verdicts
    assert runs["engine_checks"] == runs["dagster_checks"]


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
