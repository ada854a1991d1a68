"""Publishing a run: the ledger is committed, the manifest written, the folder renamed into place.

A reader never sees a half-written run: everything is written under ``runs/.incoming-*`` and renamed to
``runs/<as_of>`` only when complete; ``runs/latest`` then points at the newest as-of date.  A failed run
never touches what was published: its partial folder moves to ``failed/<run_id>`` with the error, so
the analyst can read its rejects.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb

import pipelines
from pipelines import faults, run_report, staging_store
from pipelines.db import one_row, scalar
from pipelines.diagnosis_report import unknown_condition_code_warnings
from pipelines.exports.dashboard import write_dashboard
from pipelines.exports.measures import measure_rows_out, replace_program_metrics_history
from pipelines.ledger import ENROLLMENT_SOURCES, ledger_origin
from pipelines.reference import reference_versions
from pipelines.reference.identity_report import drug_identity_report, identity_warnings
from pipelines.run_context import PROJECT_DIR, RunContext


class RunLocked(RuntimeError):
    pass


class HomeNotUsable(RunLocked):
    """The home's layout is newer than this release's, or cannot be migrated (pipelines.home_layout); refused
    like a busy home: nothing was changed, and the message says what to do."""


#: a run finding the lock taken retries this long when lock_wait_seconds = 0 (see home_is_busy)
PROBE_GRACE_SECONDS = 2.0


@contextmanager
def run_lock(home: Path, wait_seconds: float = 0, migrate: bool = True):
    """DuckDB allows one writing process per file: runs of one home are serialised. A second run waits up
    to ``wait_seconds`` (settings ``[run] lock_wait_seconds``) for the first, then fails saying so.

    Holding the lock, the leftovers of a run that was killed (power cut, SIGKILL) are tidied first: its
    partial ``runs/.incoming-*`` folder moves to ``failed/`` and a run folder retired by an interrupted
    re-publish is put back (see :func:`sweep_interrupted`). Then (``migrate``) the home is brought to this
    release's layout, a backup taken first, or refused (pipelines.home_layout.ensure_current): every writer
    of a home takes this lock, so none writes an older or newer layout."""
    home.mkdir(parents=True, exist_ok=True)
    # the sensor's busy test (home_is_busy) holds the lock for an instant: never refuse for that alone
    deadline = time.monotonic() + (wait_seconds or PROBE_GRACE_SECONDS)
    with (home / ".run.lock").open("w") as fh:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as exc:
                if time.monotonic() >= deadline:
                    waited = f" after waiting {wait_seconds:g} s" if wait_seconds else ""
                    raise RunLocked(
                        f"another run is using {home}{waited}; nothing was changed. Try again when it has "
                        "finished, or raise [run] lock_wait_seconds in the settings file") from exc
                time.sleep(min(0.5, max(deadline - time.monotonic(), 0.01)))
        sweep_interrupted(home)
        if migrate:
            _ensure_layout(home)
        yield


def _ensure_layout(home: Path) -> None:
    from pipelines.home_layout import HomeLayoutError, ensure_current

    try:
        done = ensure_current(home)
    except HomeLayoutError as exc:
        raise HomeNotUsable(str(exc)) from exc
    for line in done:  # the administrator sees the upgrade once, on the run that made it
        sys.stderr.write(f"mtm: upgraded {home}: {line}\n")


def home_is_busy(home: Path) -> bool:
    """True while a run holds the home's lock (the sensor then waits for its next evaluation).

    The test takes the lock for an instant; a run starting in that instant retries for
    ``PROBE_GRACE_SECONDS`` instead of being refused (run_lock)."""
    lock = Path(home) / ".run.lock"
    if not lock.exists():
        return False
    with lock.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
    return False


def sweep_interrupted(home: Path) -> list[str]:
    """Tidy what a killed run left under runs/ (only ever called under the run lock)."""
    runs = Path(home) / "runs"
    moved: list[str] = []
    if not runs.is_dir():
        return moved
    for path in sorted(runs.glob(".replaced-*")):
        name = path.name.removeprefix(".replaced-")
        as_of = name[:10]
        if not (runs / as_of).exists():
            os.replace(path, runs / as_of)  # killed between retiring the old folder and renaming the new one
        else:
            shutil.rmtree(path, ignore_errors=True)
        moved.append(path.name)
    for path in sorted(runs.glob(".incoming-*")):
        target = Path(home) / "failed" / f"{path.name.removeprefix('.incoming-')}-interrupted"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), str(target))
        moved.append(path.name)
    if moved:
        _point_latest(runs)
    return moved




def code_version() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_DIR, capture_output=True,
                             text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = ""
    return f"{pipelines.__version__}+{sha}" if sha else pipelines.__version__


def commit_ledger(ctx: RunContext, con: duckdb.DuckDBPyConnection) -> int:
    """Replace this contract year's ledger rows with the run's, and this as-of date's program metrics
    history, in one transaction: both hold published runs only, and move together or not at all."""
    con.execute("BEGIN TRANSACTION")
    try:
        history_rows = replace_program_metrics_history(ctx.as_of, con, ctx.staging_dir)
        con.execute("DELETE FROM mtm_enrollment_ledger WHERE contract_year = ?", [ctx.as_of.year])
        faults.at("publish:ledger")
        con.execute(
            "INSERT INTO mtm_enrollment_ledger (member_id, contract_id, contract_year, mtm_enrollment_date, "
            "date_met_criteria, enrollment_source, targeting_reason, opt_out_date, opt_out_reason, "
            "targeting_reason_source) "
            "SELECT member_id, contract_id, contract_year, mtm_enrollment_date, date_met_criteria, "
            "enrollment_source, targeting_reason, opt_out_date, opt_out_reason, targeting_reason_source "
            "FROM tgt_ledger_next"
        )
        run_report.record(con, ctx.run_id, "published_run", "program_metrics_history_rows", history_rows)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return scalar(con, "SELECT count(*) FROM tgt_ledger_next")


def targeting_report(con: duckdb.DuckDBPyConnection) -> dict:
    """Counts only (no member ids): members by reason, enrolled, pending fills, held MTM events, services due,
    ledger sources."""
    from pipelines.exports.outreach import service_counts

    by_reason = dict(con.execute(
        "SELECT targeting_reason, count(*) FROM member_summary GROUP BY 1 ORDER BY 1").fetchall())
    totals = one_row(
        con,
        "SELECT count(*), count(*) FILTER (WHERE meets_criteria), count(*) FILTER (WHERE mtm_enrolled) "
        "FROM member_summary")
    pending = scalar(con, "SELECT count(*) FROM core_fill WHERE fill_status = 'pending'")
    held_events = scalar(con, "SELECT count(*) FROM tgt_mtm_event_contract WHERE held_reason IS NOT NULL")
    arb_delivered = scalar(con, "SELECT count(*) FROM raw_dmp_arb") > 0
    by_source = {source: [0, 0] for source in ENROLLMENT_SOURCES}
    for source, rows, enrolled in con.execute(
            "SELECT enrollment_source, count(*), count(*) FILTER (WHERE mtm_enrolled) FROM tgt_mtm_enrollment "
            "GROUP BY 1").fetchall():
        by_source[source] = [rows, enrolled]
    return {
        "members_enrolled_part_d": totals[0],
        "members_meeting_criteria": totals[1],
        "members_mtm_enrolled": totals[2],
        "members_by_targeting_reason": by_reason,
        "pending_fills": pending,
        "held_events": held_events,  # issue 25 item 3: mtm_event rows outside every span of their contract
        "arb_evaluated": arb_delivered,
        "services": service_counts(con),
        # targeting-rules.md section 6: ledger rows of the contract year by where the enrollment date came from
        "ledger_rows_by_enrollment_source": {k: v[0] for k, v in by_source.items()},
        "mtm_enrolled_by_enrollment_source": {k: v[1] for k, v in by_source.items()},
        # issue 26 item 16: rows kept from earlier runs of this home vs new in this run (the ledger remembers)
        "ledger_origin": ledger_origin(con),
    }


def _facts(ctx: RunContext, con: duckdb.DuckDBPyConnection | None) -> tuple[dict, dict]:
    """The run's recorded facts and timings; none when the warehouse cannot be read (a failed run)."""
    try:
        if con is None:
            with duckdb.connect(str(ctx.warehouse_path), read_only=True) as ro:
                return run_report.facts(ro, ctx.run_id), run_report.timings(ro, ctx.run_id)
        return run_report.facts(con, ctx.run_id), run_report.timings(con, ctx.run_id)
    except (duckdb.Error, OSError):
        return {}, {}


def manifest(ctx: RunContext, status: str, error: str | None = None,
             con: duckdb.DuckDBPyConnection | None = None, extra: dict | None = None) -> dict:
    facts, timings = _facts(ctx, con)
    facts.update(extra or {})
    return {
        "status": status,
        "error": error,
        "as_of_date": ctx.as_of.isoformat(),
        "as_known_at": ctx.as_known_at.isoformat(sep=" ") if ctx.as_known_at else None,
        "audit_cutoff": facts.get("audit_cutoff", {}),
        "contract_year": ctx.as_of.year,
        "run_id": ctx.run_id,
        "source": ctx.source,
        "engine": ctx.engine,  # which engine computed the SQL models (issue 31: duckdb or spark)
        "extract_dirs": [str(d) for d in ctx.extract_dirs],
        "settings_file": str(ctx.settings_file) if ctx.settings_file else None,
        "settings": ctx.settings,
        "input_files": facts.get("input_files", []),
        "rows_in": facts.get("rows_in", {}),
        "rows_out": facts.get("rows_out", {}),
        "rejects": facts.get("rejects", {}),
        "drug_identity": facts.get("drug_identity", {}),
        "targeting": facts.get("targeting", {}),
        "measures": facts.get("measures", {}),
        "expectations": facts.get("expectations", {}),
        "warnings": facts.get("warnings", []),
        "reference_data_versions": reference_versions(),
        "code_version": code_version(),
        "timings_seconds": timings,
        "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _write_manifest(folder: Path, content: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "run_manifest.json").write_text(json.dumps(content, indent=2, default=str))


def _point_latest(runs_dir: Path) -> None:
    dated = sorted(p.name for p in runs_dir.iterdir() if p.is_dir() and not p.name.startswith(".")
                   and p.name != "latest")
    if not dated:
        return
    tmp = runs_dir / ".latest.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(dated[-1])
    os.replace(tmp, runs_dir / "latest")


def publish(ctx: RunContext, con: duckdb.DuckDBPyConnection) -> Path:
    """Commit the ledger, write the manifest, rename the run folder into place, point runs/latest at it."""
    rows_out = dict(con.execute(
        "SELECT 'member_summary', count(*) FROM member_summary UNION ALL "
        "SELECT 'member_drugs', count(*) FROM member_drugs UNION ALL "
        "SELECT 'member_conditions', count(*) FROM member_conditions UNION ALL "
        "SELECT 'outreach_list', count(*) FROM outreach_list UNION ALL "
        "SELECT 'tmr_worklist', count(*) FROM tmr_worklist UNION ALL "
        "SELECT 'rejects', count(*) FROM rejects"
    ).fetchall())
    rows_out.update(measure_rows_out(con))
    identity = drug_identity_report(con)
    warnings = run_report.facts(con, ctx.run_id).get("warnings", []) + identity_warnings(identity)
    summaries = {"rows_out": rows_out, "drug_identity": identity, "targeting": targeting_report(con),
                 "warnings": warnings}
    for key, value in summaries.items():
        run_report.record(con, ctx.run_id, "published_run", key, value)
    run_report.record(con, ctx.run_id, "published_run", "ledger_rows",
                      scalar(con, "SELECT count(*) FROM tgt_ledger_next"))
    warnings = run_report.facts(con, ctx.run_id).get("warnings", []) + unknown_condition_code_warnings(con)
    run_report.record(con, ctx.run_id, "published_run", "warnings", warnings)
    # the dashboard is built before anything persistent moves: a page that cannot be built fails the run
    write_dashboard(con, ctx.staging_dir, manifest(ctx, "complete", con=con), ctx.runs_dir)
    # manifest first (a full disk fails the run before the ledger moves), then the ledger, then one rename:
    # a kill between any two leaves a state the next run repairs (docs/reliability.md)
    staging = ctx.staging_dir
    _write_manifest(staging, manifest(ctx, "complete", con=con))
    faults.at("publish:manifest")
    commit_ledger(ctx, con)
    staging_store.commit(con, ctx.run_id)  # the run's deliveries become the home's stored staging
    faults.at("publish:committed")
    target = ctx.publish_dir
    retired = None
    if target.exists():
        retired = ctx.runs_dir / f".replaced-{target.name}-{ctx.run_id}"
        os.replace(target, retired)
        faults.at("publish:retired")
    os.replace(staging, target)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
    faults.at("publish:renamed")
    _point_latest(ctx.runs_dir)
    return target


def record_failure(ctx: RunContext, error: BaseException) -> Path:
    """Move the partial run to failed/<run_id> with a manifest that says why; published runs stay.

    Best effort on a sick disk: when the manifest cannot be written (disk full, read-only home) the
    folder is still moved out of runs/, and the original error is what the analyst is told."""
    failed = ctx.failed_dir
    try:
        failed.parent.mkdir(parents=True, exist_ok=True)
        _write_manifest(ctx.staging_dir, manifest(ctx, "failed", f"{type(error).__name__}: {error}"))
    except OSError:
        pass
    if ctx.staging_dir.exists():
        try:
            shutil.move(str(ctx.staging_dir), str(failed))  # runs/ may be another file system than failed/
        except OSError:
            shutil.rmtree(ctx.staging_dir, ignore_errors=True)  # never leave a partial folder under runs/
    return failed
