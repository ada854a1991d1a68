"""Issue 26 items 15 and 16: `mtm run` shows its progress step by step, prints its summary as readable
tables, and says (summary and manifest) which MTM ledger rows come from earlier runs of the home."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

from click.testing import CliRunner

from dagster_project.progress import RunProgress
from dagster_project.run import materialize, whole_graph_progress
from mtm.cli import main
from pipelines.run_state.run_context import RunContext
from tests.extract_builder import fill, member, write_extract
from tests.targeting_harness import without_expectations

JULY, SEPTEMBER = dt.date(2025, 7, 31), dt.date(2025, 9, 30)


def _run(home, extract, settings, as_of: dt.date):
    return CliRunner().invoke(main, ["run", "--home", str(home), "--extract", str(extract), "--settings",
                                     str(settings), "--as-of", as_of.isoformat()], catch_exceptions=False)


def test_run_prints_one_line_per_step_tables_and_the_ledger_it_remembers(tmp_path):
    """ARB_ENDS is a DMP at-risk beneficiary until August: the July run enrols it; in September it no longer
    meets the criteria, stays enrolled (the ledger remembers) and the summary says so, as does the manifest."""
    members = ["ARB_ENDS", "ARB_STAYS"]
    extract = write_extract(
        tmp_path / "extract", eligibility=[member(m) for m in members],
        pharmacy_claim=[fill(m, "2025-07-01") for m in members],
        dmp_arb=[{"member_id": "ARB_ENDS", "arb_start_date": "2024-01-01", "arb_end_date": "2025-08-15"},
                 {"member_id": "ARB_STAYS", "arb_start_date": "2024-01-01", "arb_end_date": None}])
    settings = tmp_path / "settings.toml"
    settings.write_text(without_expectations(""))
    home = tmp_path / "home"

    july = _run(home, extract, settings, JULY)
    assert july.exit_code == 0, july.output
    total = whole_graph_progress(interactive=False).total
    steps = re.findall(r"^\[\s*(\d+)/(\d+)\] (step|seed|model|check|output) (\w+): (.*)$", july.output, re.M)
    # one plain line per step (CliRunner is no terminal), numbered 1..N, ingest with its rows, publishing last
    assert [int(i) for i, *_ in steps] == list(range(1, total + 1))
    assert {int(n) for _, n, *_ in steps} == {total}
    assert any(name == "ingest" and re.match(r"[\d,]+ rows, [\d.]+ s \(elapsed [\d.]+ s\)", rest)
               for _, _, _, name, rest in steps)
    assert steps[-1][3] == "published_run"
    summary = july.output.split("Published run:", 1)[1].split("WARNING", 1)[0]
    assert "{" not in summary and "'" not in summary  # tables, no Python dicts
    assert re.search(r"^  MTM enrolled\s+2$", summary, re.M)
    assert re.search(r"^  02 DMP at-risk beneficiary \(ARB\)\s+2$", summary, re.M)
    assert re.search(r"^  new: entered at this as-of date\s+2\s+2\s+0$", summary, re.M)
    assert "the ledger remembers" not in summary  # a fresh home: nothing from earlier runs

    september = _run(home, extract, settings, SEPTEMBER)
    assert september.exit_code == 0, september.output
    summary = september.output.split("Published run:", 1)[1]
    assert re.search(r"^  kept from earlier runs of this home\s+2\s+2\s+1$", summary, re.M)
    assert re.search(r"^  new: entered at this as-of date\s+0\s+0\s+0$", summary, re.M)
    assert "NOTE: the ledger remembers: 2 ledger rows come from earlier runs of this home" in summary
    assert "1 MTM enrollees no longer meet the criteria" in summary
    manifest = json.loads((home / "runs" / SEPTEMBER.isoformat() / "run_manifest.json").read_text())
    origin = manifest["targeting"]["ledger_origin"]
    assert origin["kept_from_earlier_runs"] == {"rows": 2, "mtm_enrolled": 2, "enrolled_not_meeting_criteria_now": 1}
    assert origin["new_this_run"]["rows"] == 0 and origin["seeded"]["rows"] == 0


def test_on_a_terminal_the_progress_is_a_live_bar_with_slow_steps_printed(tmp_path):
    """The terminal display (rich) on a real engine run of two steps (two reference seeds): the bar counts
    them; a step slower than the threshold gets its own line above the bar."""
    extract = write_extract(tmp_path / "extract", eligibility=[member("M1")], pharmacy_claim=[fill("M1", "2025-07-01")])
    ctx = RunContext.create(home=tmp_path / "home", extract_dirs=[extract], as_of=SEPTEMBER)
    out = io.StringIO()
    progress = RunProgress(total=2, out=out, interactive=True)
    import dagster_project.progress as module

    threshold, module.SLOW_STEP_SECONDS = module.SLOW_STEP_SECONDS, 0.0  # every step counts as slow here
    try:
        with progress.display():
            materialize(ctx, targets=["seed_cms_mtm_codes", "seed_cms_mtm_parameters"], on_step=progress.step)
    finally:
        module.SLOW_STEP_SECONDS = threshold
    text = out.getvalue()
    assert progress.done == 2
    assert re.search(r"\[1/2\] seed seed_cms_\w+: \d+ rows", text)
    assert re.search(r"\[2/2\] seed seed_cms_\w+: \d+ rows, [\d.]+ s \(elapsed", text)
    assert "step 2/2" in text  # the bar itself
