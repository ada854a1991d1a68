"""The run's Great Expectations step: the contract suites on a sample of each delivered table (its typed rows
rendered as text).

A bounded reservoir sample (``[validation] gx_sample_rows``) keeps it cheap at millions of rows; the gate
that stops a run is the SQL reject rate over all rows, so these results are WARN-level checks and the
Data Docs the quality team reads in the run folder.

Off the critical path (issue 19): importing Great Expectations and validating took ~4 s of every run
while nothing else could proceed. Now ingest only draws the samples (SQL, into Parquet files in the
unpublished run folder) and starts a worker process (``pipelines.ingest.quality.worker``) that validates them
and builds the Data Docs while the SQL models run. ``finish_quality`` waits for that worker and records
its results; both the ``contract_expectations`` checks and ``published_run`` call it, so the published
folder and manifest are as complete as before, and a worker that fails fails the run with its error.
``finish_quality`` on a process that did not start the worker (Dagster's multiprocess executor) waits
for the worker's result file instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import duckdb

from pipelines.ingest.contract import TABLES
from pipelines.run_state import run_facts as run_report
from pipelines.run_state.run_context import RunContext

SAMPLES_DIR = ".gx-samples"
RESULT_FILE = ".gx-result.json"
LOG_FILE = ".gx-worker.log"
PID_FILE = ".gx-worker.pid"
#: a worker whose result has not appeared after this long is considered lost (it normally takes seconds)
WAIT_SECONDS = 3600

def _as_text(column: str) -> str:
    """The typed value as text, or, where it did not parse, the delivered text its problem quotes: the suites
    judge values as delivered (PHI values are never quoted in problems: a bad one is seen as missing)."""
    quoted = f"list_filter(_problems, p -> p.column_name = '{column}')[1].value"
    return f"coalesce(CAST({column} AS VARCHAR), {quoted}) AS {column}"


#: workers started by this process, by run folder
_workers: dict[str, subprocess.Popen] = {}


def _settings(ctx: RunContext) -> tuple[int, float]:
    limit = int(ctx.settings["validation"]["gx_sample_rows"])
    # a limit of 100% rejects leaves nothing for GX to assert; keep "mostly" inside (0, 1]
    mostly = max(1.0 - float(ctx.settings["validation"]["max_reject_rate"]), 1e-6)
    return limit, mostly


def start_quality(ctx: RunContext, con: duckdb.DuckDBPyConnection) -> None:
    """Draw the sample of each delivered table and start validating it in a worker process."""
    limit, mostly = _settings(ctx)
    if not limit:
        return
    absent = set(run_report.facts(con, ctx.run_id).get("absent_tables", []))
    samples = ctx.staging_dir / SAMPLES_DIR
    shutil.rmtree(samples, ignore_errors=True)
    (ctx.staging_dir / RESULT_FILE).unlink(missing_ok=True)
    samples.mkdir(parents=True)
    names = []
    for position, (name, table) in enumerate(TABLES.items()):
        if name in absent:
            continue
        cols = ", ".join(_as_text(c.name) for c in table.columns)
        target = str(samples / f"{position:02d}-{name}.parquet").replace("'", "''")
        con.execute(f"COPY (SELECT {cols} FROM raw_{name} USING SAMPLE reservoir({limit} ROWS) REPEATABLE (42)) "
                    f"TO '{target}' (FORMAT parquet)")
        names.append(name)
    log = (ctx.staging_dir / LOG_FILE).open("wb")
    # its own session: a step process that ends (multiprocess executor) does not take the worker with it
    worker = subprocess.Popen(
        [sys.executable, "-m", "pipelines.ingest.quality.worker",
         str(ctx.staging_dir), repr(mostly), ctx.as_of.isoformat()],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    (ctx.staging_dir / PID_FILE).write_text(str(worker.pid))
    _workers[str(ctx.staging_dir)] = worker


def _alive(pid_file) -> bool:
    try:
        os.kill(int(pid_file.read_text()), 0)
        return True
    except (OSError, ValueError):
        return False


def _wait_for_result(ctx: RunContext) -> dict:
    result_file = ctx.staging_dir / RESULT_FILE
    worker = _workers.pop(str(ctx.staging_dir), None)
    if worker is not None:
        worker.wait()
    deadline = time.monotonic() + WAIT_SECONDS
    while not result_file.exists():  # started by another process (multiprocess executor): poll its result
        gone = worker is not None or not _alive(ctx.staging_dir / PID_FILE)
        if (gone and not result_file.exists()) or time.monotonic() > deadline:
            log = ctx.staging_dir / LOG_FILE
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else "no worker log"
            raise RuntimeError(f"Great Expectations did not finish validating the input sample: {tail}")
        time.sleep(0.2)
    return json.loads(result_file.read_text())


def finish_quality(ctx: RunContext, con: duckdb.DuckDBPyConnection) -> dict:
    """The expectations summary of this run, recorded once in the run report (waits for the worker)."""
    recorded = run_report.facts(con, ctx.run_id).get("expectations")
    if recorded is not None:
        return recorded
    limit, _ = _settings(ctx)
    if not limit:
        return {}
    result = _wait_for_result(ctx)
    if "error" in result:
        raise RuntimeError(f"Great Expectations failed on the input sample: {result['error']}")
    summary = result["summary"]
    run_report.record(con, ctx.run_id, "ingest", "expectations", summary)
    for leftover in (RESULT_FILE, LOG_FILE, PID_FILE):
        (ctx.staging_dir / leftover).unlink(missing_ok=True)
    shutil.rmtree(ctx.staging_dir / SAMPLES_DIR, ignore_errors=True)
    return summary


def stop_workers() -> None:
    """End the workers this process started and nobody waited for (a run that failed or was cut short)."""
    while _workers:
        folder, worker = _workers.popitem()
        if worker.poll() is None:
            worker.kill()
        worker.wait()
        if os.path.isdir(folder):
            shutil.rmtree(os.path.join(folder, SAMPLES_DIR), ignore_errors=True)
