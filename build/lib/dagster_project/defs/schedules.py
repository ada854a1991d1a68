"""The nightly run, and a sensor that starts a run when a new extract delivery lands in the inbox."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

mtm_nightly_job = dg.define_asset_job(
    "mtm_nightly", selection=dg.AssetSelection.all(),
    description="Ingest the extract, compute targeting, publish the run folder.",
)

nightly_schedule = dg.ScheduleDefinition(
    job=mtm_nightly_job, cron_schedule="0 2 * * *", execution_timezone="America/New_York",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)

READY_MARKER = "_READY"


@dg.sensor(job=mtm_nightly_job, minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.STOPPED)
def extract_delivery_sensor(context: dg.SensorEvaluationContext):
    """A delivery is a folder under $MTM_INBOX holding a `_READY` marker (written last by the sender)."""
    inbox = Path(os.environ.get("MTM_INBOX", "inbox"))
    if not inbox.is_dir():
        return dg.SkipReason(f"inbox {inbox} does not exist")
    requests = []
    for folder in sorted(p for p in inbox.iterdir() if (p / READY_MARKER).exists()):
        stamp = int((folder / READY_MARKER).stat().st_mtime)
        requests.append(dg.RunRequest(
            run_key=f"{folder.name}:{stamp}",
            run_config={"resources": {"mtm": {"config": {"extract_dirs": [str(folder.resolve())]}}}},
        ))
    return requests or dg.SkipReason("no new delivery")
