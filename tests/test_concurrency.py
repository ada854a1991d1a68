"""Concurrency on one home: a second `mtm run` while one holds the home fails clearly and changes nothing;
the delivery sensor does not start a run while a manual run holds the home; the Dagster UI answers while
`mtm run` runs on its home, and the run completes unharmed.

Runs of one home fail on the lock once `[run] lock_wait_seconds` (issue 17; default 0) has passed.  The portal
reading during a run is tested in tests/test_portal.py (its last test runs the pipeline while it answers).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.defs.schedules import READY_MARKER, extract_delivery_sensor
from pipelines.publishing.run_lock import home_is_busy, run_lock
from tests.extract_builder import fill, member, write_extract
from tests.reliability_harness import cli, published_files, run
from tests.shared_runs import private_copy
from tests.targeting_harness import EIGHT_DRUGS, NDC
from tests.test_dagster_ui import BIN, _graphql, dagster_ui
from tests.test_faults import history

HOLD = """
import sys, time
from pathlib import Path
from pipelines.publishing.run_lock import run_lock
with run_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(120)
"""


def _holder(home: Path) -> subprocess.Popen:
    """Another process that holds the home exactly as a run does (the same lock, the same code)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(home)], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parent.parent)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_run_on_a_busy_home_fails_clearly_and_changes_nothing(tmp_path):
    """On a copy of a home with one published run (issue 24: test_faults.py's session-shared history at
    2025-06-30, one member on eight drugs, instead of a first run of its own)."""
    shared = history()
    extract = Path(shared["extracts"][0])
    home = private_copy(shared["home_at_d1"], tmp_path / "home")
    first = home / "runs" / "2025-06-30"
    before = published_files(first)
    holder = _holder(home)
    try:
        assert home_is_busy(home)
        code, _, err = cli("run", "--extract", str(extract), "--as-of", "2025-09-30", "--home", str(home))
        assert code == 1
        assert f"another run is using {home}" in err and "nothing was changed" in err
        assert published_files(first) == before
        assert not (home / "runs" / "2025-09-30").exists()
        assert not (home / "failed").exists()  # refused before it started: nothing to record
    finally:
        holder.kill()
        holder.wait()
    assert not home_is_busy(home)
    again = run(home, extract, as_of="2025-09-30")
    assert (home / "runs" / "latest").resolve() == again.resolve()


def test_the_delivery_sensor_waits_while_a_manual_run_holds_the_home(tmp_path, monkeypatch):
    home, inbox = tmp_path / "home", tmp_path / "inbox"
    delivery = inbox / "delivery_2025_09"
    delivery.mkdir(parents=True)
    (delivery / READY_MARKER).write_text("")
    monkeypatch.setenv("MTM_HOME", str(home))
    monkeypatch.setenv("MTM_INBOX", str(inbox))

    with run_lock(home), dg.build_sensor_context() as context:
        result = extract_delivery_sensor(context)
    assert isinstance(result, dg.SkipReason)
    assert "a run is in progress" in result.skip_message

    with dg.build_sensor_context() as context:
        requests = extract_delivery_sensor(context).run_requests  # a SensorResult with its cursor (issue 17)
    assert [r.run_key.split(":")[0] for r in requests] == ["delivery_2025_09"]
    assert requests[0].run_config["resources"]["mtm"]["config"]["extract_dirs"] == [str(delivery.resolve())]


def _lock_is_held(home: Path) -> bool:
    """Whether a process holds the home's run lock, read from /proc/locks (Linux): testing it by taking it, as
    home_is_busy does, could make the run that is just starting fail on the lock."""
    lock = home / ".run.lock"
    if not lock.exists():
        return False
    inode = f":{lock.stat().st_ino} "
    return any(" FLOCK " in f" {line} " and inode in line for line in Path("/proc/locks").read_text().splitlines())


UI_QUERIES = {
    "asset graph": "{ assetNodes { assetKey { path } } }",
    "runs": "{ runsOrError { ... on Runs { results { runId status } } } }",
}


@pytest.mark.long  # issue 24: a Dagster webserver and `mtm run` in subprocesses (~40 s); the UI: test_dagster_ui.py
def test_the_dagster_ui_answers_while_mtm_run_runs_on_its_home(tmp_path):
    """The UI (a webserver over the same definitions and MTM_HOME) is asked for the asset graph and the runs
    while `mtm run` holds the home; it answers every time, and the run publishes a complete folder."""
    home = tmp_path / "home"
    fills = [fill(m, f"2025-{month:02d}-05", NDC[d], 30, 150.0, claim_id=f"{m}-{month}-{d}")
             for m in ("M1", "M2") for month in range(1, 10) for d in EIGHT_DRUGS]
    extract = write_extract(tmp_path / "ex", eligibility=[member("M1"), member("M2")], pharmacy_claim=fills)
    answered: dict[str, int] = dict.fromkeys(UI_QUERIES, 0)
    replies: dict[str, dict] = {}
    with dagster_ui(tmp_path, home) as (port, _, env):
        mtm = subprocess.Popen([str(BIN / "mtm"), "run", "--extract", str(extract), "--as-of", "2025-09-30",
                                "--home", str(home)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
        while mtm.poll() is None:
            if not _lock_is_held(home):  # the run has not taken its lock yet, or has just released it
                time.sleep(0.1)
                continue
            for name, query in UI_QUERIES.items():
                replies[name] = _graphql(port, query)
                assert replies[name].get("data") and "errors" not in replies[name], replies[name]
                answered[name] += _lock_is_held(home)  # counted only when the run still held the home after it
        out, err = mtm.communicate(timeout=60)
    assert mtm.returncode == 0, out + err
    assert all(answered.values()), f"no UI answer while the run held the home: {answered}"
    assert {"published_run", "member_summary"} <= {"/".join(n["assetKey"]["path"])
                                                   for n in replies["asset graph"]["data"]["assetNodes"]}
    latest = home / "runs" / "latest"
    assert latest.resolve() == (home / "runs" / "2025-09-30").resolve()
    assert json.loads((latest / "run_manifest.json").read_text())["status"] == "complete"
    assert (latest / "member_summary.csv").read_text().count("\n") == 3  # header, M1, M2
