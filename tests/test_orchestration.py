"""Orchestration for plan analysts (issue 17): the delivery sensor, backfills by as-of date, output checks
that gate publishing, the schedule and the run lock from settings. Real runs on small hand-built extracts."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from tests.extract_builder import fill, member, write_extract
from tests.reliability_harness import cli
from tests.shared_runs import private_copy
from tests.targeting_harness import warehouse_rows, without_expectations
from tests.template_home import seeded_home
from tools.compare_runs import compare

BIN = Path(sys.executable).parent
DATES = ["2025-09-07", "2025-09-14", "2025-09-21"]


def _env():
    return {**os.environ, "VIRTUAL_ENV": str(BIN.parent), "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
            "GX_ANALYTICS_ENABLED": "false", "DAGSTER_DISABLE_TELEMETRY": "1"}


# -- the delivery sensor ---------------------------------------------------------------------------------
def _delivery(inbox: Path, name: str, ready: bool = True) -> Path:
    folder = inbox / name
    folder.mkdir(parents=True)
    (folder / "extract.toml").write_text('as_of_date = "2025-10-01"\n')
    if ready:
        (folder / "_READY").write_text("")
    return folder


def _evaluate(cursor: str | None = None) -> dg.SensorResult:
    from dagster_project.defs.schedules import extract_delivery_sensor

    return extract_delivery_sensor(dg.build_sensor_context(cursor=cursor))


def test_a_new_delivery_gives_one_run_request_keyed_by_its_as_of_date(tmp_path, monkeypatch):
    folder = _delivery(tmp_path, "delivery-1")
    monkeypatch.setenv("MTM_INBOX", str(tmp_path))
    result = _evaluate()
    assert len(result.run_requests) == 1
    config = result.run_requests[0].run_config["resources"]["mtm"]["config"]
    assert config == {"extract_dirs": [str(folder.resolve())], "as_of": "2025-10-01"}


def test_an_incomplete_delivery_gives_no_run_request(tmp_path, monkeypatch):
    _delivery(tmp_path, "still-copying", ready=False)
    monkeypatch.setenv("MTM_INBOX", str(tmp_path))
    result = _evaluate()
    assert not result.run_requests
    assert "no new delivery" in result.skip_reason.skip_message


def test_the_same_delivery_twice_gives_one_run_request(tmp_path, monkeypatch):
    _delivery(tmp_path, "delivery-1")
    monkeypatch.setenv("MTM_INBOX", str(tmp_path))
    first = _evaluate()
    second = _evaluate(first.cursor)
    assert len(first.run_requests) == 1 and not second.run_requests
    _delivery(tmp_path, "delivery-2")  # a later delivery is still picked up
    third = _evaluate(second.cursor)
    assert [r.run_config["resources"]["mtm"]["config"]["extract_dirs"][0].endswith("delivery-2")
            for r in third.run_requests] == [True]


# -- schedule and lock from settings ---------------------------------------------------------------------
def test_schedule_cron_and_timezone_come_from_the_settings_file(tmp_path):
    from dagster_project.defs.schedules import nightly_schedule_for

    settings = tmp_path / "plan.toml"
    settings.write_text('[schedule]\ncron = "30 5 * * 1-5"\ntimezone = "America/Chicago"\n')
    schedule = nightly_schedule_for(str(settings))
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("30 5 * * 1-5", "America/Chicago")
    assert nightly_schedule_for(None).cron_schedule == "0 2 * * *"


def test_a_second_run_waits_for_the_lock_then_fails_clearly(tmp_path):
    from pipelines.publishing.run_lock import RunLocked, run_lock

    with (tmp_path / ".run.lock").open("w") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)
        started = time.monotonic()
        with (pytest.raises(RunLocked, match=r"another run is using .* after waiting 1 s.*lock_wait_seconds"),
              run_lock(tmp_path, wait_seconds=1)):
            pass
        assert 0.9 <= time.monotonic() - started < 5
    with run_lock(tmp_path, wait_seconds=1):  # released: the next run gets it at once
        pass



def test_a_run_is_not_refused_for_the_sensors_instant_busy_probe(tmp_path):
    """home_is_busy takes the lock for an instant; a run starting then (lock_wait_seconds = 0) retries
    briefly instead of failing with 'another run is using'."""
    import threading

    from pipelines.publishing.run_lock import run_lock

    (tmp_path / ".run.lock").touch()
    probe_holds, release = threading.Event(), threading.Event()

    def probe() -> None:  # the sensor's probe, slowed down so the run surely meets it
        with (tmp_path / ".run.lock").open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            probe_holds.set()
            release.wait(5)
            fcntl.flock(fh, fcntl.LOCK_UN)

    holder = threading.Thread(target=probe)
    holder.start()
    assert probe_holds.wait(5)
    threading.Timer(0.3, release.set).start()
    with run_lock(tmp_path, wait_seconds=0):  # refused at once before the grace retry
        assert release.is_set()  # acquired only after the probe let go
    holder.join()

# -- backfills and gates: real runs ----------------------------------------------------------------------
def _extract(folder: Path, members: int = 3) -> Path:
    """Members who meet the criteria (ARB) from different weeks, so the ledger differs date by date."""
    ids = [f"M{i}" for i in range(1, members + 1)]
    arb_starts = ["2025-01-01", "2025-09-10", "2025-09-17", "2025-01-01", "2025-01-01", "2025-01-01"]
    return write_extract(folder, eligibility=[member(m) for m in ids],
                         pharmacy_claim=[fill(m, "2025-09-01") for m in ids],
                         dmp_arb=[{"member_id": m, "arb_start_date": arb_starts[i % 6]} for i, m in enumerate(ids)])


def _ledger(home: Path) -> list[tuple]:
    return warehouse_rows(home, "SELECT * FROM mtm_enrollment_ledger ORDER BY ALL")


def _backfill(tmp_path: Path) -> tuple[Path, Path, Path]:
    """`mtm backfill` of DATES (weekly) into a fresh home: (extract, settings, home)."""
    ex = _extract(tmp_path / "ex")
    settings = _settings(tmp_path / "settings.toml")
    backfilled = seeded_home(tmp_path / "backfilled")  # from the template warehouse, as the single runs' home
    # in-process, as a user runs it (tests/reliability_harness.py `cli`: no traceback may reach the user); the
    # `mtm` executable itself is run by test_dagster_project.py (issue 24: no second interpreter start-up here)
    code, out, err = cli("backfill", "--from", DATES[0], "--to", DATES[-1], "--every", "week",
                         "--extract", str(ex), "--home", str(backfilled), "--settings", str(settings))
    assert code == 0, out + err
    progress = [line for line in out.splitlines() if line.startswith("[")]
    assert [line.split()[1] for line in progress] == [f"{d}:" for d in DATES]  # one line per date, oldest first
    return ex, settings, backfilled


def test_a_backfill_of_three_dates_publishes_each_date_oldest_first(tmp_path):
    """The backfill of `make test` (issue 24): each date published in order, each member enrolled by the
    first date it meets the criteria; that it equals three single runs file by file is the `long` variant."""
    _ex, _settings_file, backfilled = _backfill(tmp_path)
    assert sorted(p.name for p in (backfilled / "runs").iterdir() if p.name != "latest") == DATES
    enrolled = {row[0]: row[3] for row in _ledger(backfilled)}
    assert enrolled == {"M1": dt.date(2025, 9, 7), "M2": dt.date(2025, 9, 14), "M3": dt.date(2025, 9, 21)}
    assert (backfilled / "runs" / "latest").resolve().name == DATES[-1]


@pytest.mark.long
def test_a_backfill_of_three_dates_equals_three_single_runs(tmp_path):
    from dagster_project.run import run_pipeline
    from pipelines.run_state.run_context import RunContext

    ex, settings, backfilled = _backfill(tmp_path)
    single = tmp_path / "single"
    for day in DATES:
        run_pipeline(RunContext.create(home=seeded_home(single), extract_dirs=[ex], as_of=day, settings_file=settings))
    for day in DATES:
        assert compare(backfilled / "runs" / day, single / "runs" / day) == [], day
    ledger = _ledger(backfilled)
    assert ledger == _ledger(single)
    enrolled = {row[0]: row[3] for row in ledger}
    assert enrolled == {"M1": dt.date(2025, 9, 7), "M2": dt.date(2025, 9, 14), "M3": dt.date(2025, 9, 21)}
    assert (backfilled / "runs" / "latest").resolve().name == DATES[-1]


def _settings(path: Path, text: str = "") -> Path:
    """A settings file with Great Expectations off: these tests check the output checks (the expectation
    suites have tests of their own, test_quality_gx.py; test_analysts_read_... below runs them)."""
    path.write_text(without_expectations(text))
    return path


@pytest.fixture(scope="module")
def first_date(tmp_path_factory) -> dict:
    """The module's one published run (issue 24): the 3-member extract at DATES[0] with the default settings
    (Great Expectations on), through ``dagster_materialize``, the graph as the Dagster UI runs it (1 of 3
    members meets the criteria). The analysts' view reads its materialisation events (``result``); the gates
    start from it as their previous published run, each in a copy of ``home`` (``root / "home"``); ``ex`` is the
    extract."""
    from dagster_project.run import dagster_materialize
    from pipelines.run_state.run_context import RunContext

    root = tmp_path_factory.mktemp("first_date")
    ctx = RunContext.create(home=seeded_home(root / "home"), extract_dirs=[_extract(root / "ex")], as_of=DATES[0])
    return {"root": root, "home": root / "home", "ex": root / "ex", "result": dagster_materialize(ctx)}


def _blocking(path: Path, limit: float, *rules: str) -> Path:
    rules_list = ", ".join(f'"{rule}"' for rule in rules)
    return _settings(path, f"[checks]\nmax_change_rate = {limit}\nblocking = [{rules_list}]\n")


@pytest.fixture(scope="module")
def blocked(tmp_path_factory, first_date) -> dict:
    """The module's one run stopped by blocking checks, read by the two tests below (issue 24: they each stopped a
    run of their own; one whole run fewer): on a copy of ``first_date``'s home (3 members published at DATES[0],
    1 of them meeting the criteria), the extract grown to 9 members at DATES[2] (all 9 meet the criteria by Sep 21),
    with both rules blocking at a limit of 190%: the rows of member_summary change by 200% (3 -> 9), and so does
    the targeting rate (1/3 -> 9/9). ``error`` is what the run raised (None if it published); ``before``, the
    previous published run's manifest and the ledger before it."""
    from dagster_project.run import run_pipeline
    from pipelines.run_state.run_context import RunContext

    root = tmp_path_factory.mktemp("blocked")
    home = private_copy(first_date["home"], root / "home")
    previous = home / "runs" / DATES[0]
    before = {"manifest": (previous / "run_manifest.json").read_text(), "ledger": _ledger(home)}
    grown = _extract(root / "grown", members=9)
    settings = _blocking(root / "strict.toml", 1.9, "row_count_change", "targeting_rate_change")
    try:
        run_pipeline(RunContext.create(home=home, extract_dirs=[grown], as_of=DATES[2], settings_file=settings))
        error = None
    except Exception as exc:  # each test asserts what it was
        error = exc
    return {"home": home, "grown": grown, "previous": previous, "before": before, "error": error}


def test_a_blocking_check_failure_keeps_the_previous_published_run(tmp_path, blocked):
    """A blocking row-count check stops the run (3 -> 9 members: a change of 200% > 190%; the module's stopped
    run, ``blocked``): the previous published run and the ledger stay as they were, the failure is recorded;
    the same change with the default settings is only a warning: the run publishes (on a copy of that home)."""
    from dagster_project.run import RunFailed, run_pipeline
    from pipelines.run_state.run_context import RunContext

    home, previous = blocked["home"], blocked["previous"]
    assert isinstance(blocked["error"], RunFailed) and "row_count_vs_previous_run" in str(blocked["error"])
    assert not (home / "runs" / DATES[2]).exists()
    assert (home / "runs" / "latest").resolve() == previous.resolve()
    assert (previous / "run_manifest.json").read_text() == blocked["before"]["manifest"]
    assert _ledger(home) == blocked["before"]["ledger"]
    failed = json.loads(next((home / "failed").glob(f"{DATES[2]}-*/run_manifest.json")).read_text())
    assert failed["status"] == "failed" and "blocking check" in failed["error"]
    # the same change with the default settings is only a warning: the run publishes
    home = private_copy(home, tmp_path / "home")
    default = _settings(tmp_path / "default.toml")
    run_pipeline(RunContext.create(home=home, extract_dirs=[blocked["grown"]], as_of=DATES[2], settings_file=default))
    assert (home / "runs" / "latest").resolve().name == DATES[2]


def test_the_targeting_rate_is_compared_with_the_previous_published_run(tmp_path, blocked):
    """1 of 3 members meets the criteria on Sep 7 (M1's ARB span), all 9 of the grown extract on Sep 21: the rate
    triples. A blocking targeting-rate check stops the run at 190% (the module's stopped run, ``blocked``, where
    the row-count check blocks too: the error names every blocking check that failed); the rule's boundary (the
    change is 200%: it passes at 201%) is the check evaluated on the member_summary that stopped run built (issue
    24: one whole run fewer; a run publishing after a blocking check stopped one is the test above)."""
    from dagster_project.run import RunFailed
    from pipelines.publishing.output_checks import RUN_CHECKS
    from pipelines.run_state.run_context import RunContext

    home = blocked["home"]  # published at DATES[0]; never changed by the tests (checks only read it)
    assert isinstance(blocked["error"], RunFailed)
    assert "targeting_rate_vs_previous_run" in str(blocked["error"])  # a change of 200% > 190%
    assert not (home / "runs" / DATES[2]).exists()
    assert (home / "runs" / "latest").resolve().name == DATES[0]
    check = next(c for c in RUN_CHECKS if c.name == "targeting_rate_vs_previous_run")
    for limit, passed in ((1.9, False), (2.01, True)):
        settings = _blocking(tmp_path / f"checks_{limit}.toml", limit, "targeting_rate_change")
        ctx = RunContext.create(home=home, extract_dirs=[blocked["grown"]], as_of=DATES[2], settings_file=settings)
        with ctx.connect() as con:
            outcome = check.evaluate(ctx, con)
        assert (outcome.passed, outcome.severity) == (passed, "ERROR"), limit  # blocking: ERROR when it fails
        assert {k: outcome.metadata[k] for k in ("targeting_rate", "previous_rate", "previous_as_of", "change_rate")} \
            == {"targeting_rate": 1.0, "previous_rate": 0.3333, "previous_as_of": DATES[0], "change_rate": 2.0}


def test_analysts_read_counts_summary_links_and_check_results_in_dagster(first_date):
    """The UI's view: Dagster's materialisation events of the same graph (the module's run at DATES[0])."""
    result = first_date["result"]
    published = result.asset_materializations_for_node("published_run")[0].metadata
    folder = first_date["home"] / "runs" / DATES[0]
    assert published["run_folder"].value == str(folder)
    assert published["data_docs"].value == str(folder / "data_docs" / "index.html")
    assert (folder / "dashboard.html").exists()  # issue 15's dashboard: linked because the run has it
    assert published["dashboard"].value == str(folder / "dashboard.html")
    assert published["dashboard_url"].value == (folder / "dashboard.html").as_uri()
    listed = len((folder / "outreach_list.csv").read_text().splitlines()) - 1
    assert listed > 0 and published["rows"].value == {"member_summary": 3, "outreach_list": listed, "rejects": 0}
    # small cells suppressed: M1 meets the criteria as at-risk (02) on Sep 7, M2 and M3 not yet (04)
    assert published["targeting"].value["by_reason"] == {"02": "<11", "04": "<11"}
    summary = published["summary"].value
    assert f"MTM run as of {DATES[0]}" in summary and "| meeting the MTM criteria | <11 |" in summary
    for phi in ("Ada", "Test", "555-0100", "1950-06-15", "M1"):
        assert phi not in summary
    # no PHI in the published files outside the outreach list (moved here from test_outreach_services.py)
    assert "555-0100" in (folder / "outreach_list.csv").read_text()  # the members do carry a phone
    for name in ("member_summary.csv", "run_manifest.json", "rejects.csv", "pending_fills.csv"):
        text = (folder / name).read_text()
        for phi in ("Ada", "Test", "555-0100", "1950-06-15"):
            assert phi not in text, (name, phi)
    summary_meta = next(m.metadata for m in result.asset_materializations_for_node("warehouse")  # the models' step
                        if m.asset_key == dg.AssetKey("member_summary"))
    assert summary_meta["members_meeting_criteria"].value == "<11"
    assert summary_meta["targeting_rate"].value == "suppressed"  # 1 of 3 would give the count back
    evaluations = {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}
    assert evaluations[("tgt_ledger_next", "cmr_clock_not_in_past")].passed
    assert evaluations[("outreach_list", "no_opted_out_member_listed")].passed
    first_run = evaluations[("member_summary", "row_count_vs_previous_run")]
    assert first_run.passed and first_run.severity == dg.AssetCheckSeverity.WARN
    assert first_run.metadata["previous_rows"].value == "no previous run"
