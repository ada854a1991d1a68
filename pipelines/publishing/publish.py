"""Publishing a run: its jobs, each in its own module, called in this order by the engine's publish step.

1. the run lock (``pipelines.publishing.run_lock``) is held by the caller around the whole run;
2. the run summary is recorded and the dashboard built (``pipelines.publishing.exports.dashboard``) before anything
   persistent moves: a page that cannot be built fails the run;
3. the manifest (``pipelines.publishing.run_manifest``) is written first, so a full disk fails the run before the
   ledger moves;
4. the ledger commit (``pipelines.publishing.ledger_commit``), with the program metrics history
   (``pipelines.publishing.metrics_history``) in its transaction;
5. the staging commit (``pipelines.ingest.staging_store``): the run's deliveries become the home's stored staging;
6. the run folder (``pipelines.publishing.run_folder``) is renamed into place and ``runs/latest`` moved.

A kill between any two leaves a state the next run repairs (docs/reliability.md). A failed run never
touches what was published (``pipelines.publishing.run_folder.record_failure``).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.ingest import staging_store
from pipelines.publishing.exports.dashboard import write_dashboard
from pipelines.publishing.ledger_commit import commit_ledger
from pipelines.publishing.run_folder import rename_into_place, write_manifest
from pipelines.publishing.run_manifest import manifest, record_run_summary
from pipelines.run_state import faults
from pipelines.run_state.run_context import RunContext


def publish(ctx: RunContext, con: duckdb.DuckDBPyConnection) -> Path:
    """Record the summary, build the dashboard, write the manifest, commit the ledger and the staging,
    rename the run folder into place, point runs/latest at it."""
    record_run_summary(ctx, con)
    write_dashboard(con, ctx.staging_dir, manifest(ctx, "complete", con=con), ctx.runs_dir)
    write_manifest(ctx.staging_dir, manifest(ctx, "complete", con=con))
    faults.at("publish:manifest")
    commit_ledger(ctx, con)
    staging_store.commit(con, ctx.run_id)
    faults.at("publish:committed")
    return rename_into_place(ctx)
