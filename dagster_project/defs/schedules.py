"""The nightly run (cron and timezone from the settings file), and a sensor that starts one run per new
extract delivery in the inbox.

Runs are keyed by their as-of date through run config (the ``mtm`` resource's ``as_of``), not Dagster
partitions: see docs/rules/orchestration.md (issue 17). The nightly run uses the as-of date of the extract
(extract.toml) or the day it runs; a delivery's run uses the delivery's own as-of date.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg

from pipelines.run_state.run_context import extract_as_of
from pipelines.run_state.settings import PlanSettings, Schedule, read_settings_file

mtm_nightly_job = dg.define_asset_job(
    "mtm_nightly", selection=dg.AssetSelection.all(),
    description="Ingest the extract, compute targeting, publish the run folder.",
)


def schedule_settings(settings_file: str | None = None) -> Schedule:
    """``[schedule]`` of the settings file named by $MTM_SETTINGS (defaults without one)."""
    path = settings_file or os.environ.get("MTM_SETTINGS")
    return PlanSettings.model_validate(read_settings_file(Path(path) if path else None)).schedule


def nightly_schedule_for(settings_file: str | None = None) -> dg.ScheduleDefinition:
    schedule = schedule_settings(settings_file)
    run_config = {"resources": {"mtm": {"config": {"settings_file": str(Path(settings_file).resolve())}}}} \
        if settings_file else None
    return dg.ScheduleDefinition(
        name="mtm_nightly_schedule", job=mtm_nightly_job, cron_schedule=schedule.cron,
        execution_timezone=schedule.timezone, run_config=run_config,
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )


nightly_schedule = nightly_schedule_for(os.environ.get("MTM_SETTINGS") or None)

READY_MARKER = "_READY"


@dg.sensor(job=mtm_nightly_job, minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.STOPPED)
def extract_delivery_sensor(context: dg.SensorEvaluationContext):
    """A delivery is a folder under $MTM_INBOX holding a `_READY` marker (written last by the sender).

    Each delivery (folder name + marker time) starts one run: the run key lets the daemon drop a repeat,
    and the cursor (the keys already requested) keeps an evaluation from asking again at all.
    """
    from pipelines.publishing.run_lock import home_is_busy
    from pipelines.run_state.run_context import default_home

    inbox = Path(os.environ.get("MTM_INBOX", "inbox"))
    home = default_home().resolve()
    if home_is_busy(home):  # a manual `mtm run` holds the home: ask again at the next evaluation
        return dg.SkipReason(f"a run is in progress on {home}; deliveries are picked up when it has finished")
    if not inbox.is_dir():
        return dg.SkipReason(f"inbox {inbox} does not exist")
    seen = set(json.loads(context.cursor)) if context.cursor else set()
    requests = []
    for folder in sorted(p for p in inbox.iterdir() if (p / READY_MARKER).exists()):
        key = f"{folder.name}:{int((folder / READY_MARKER).stat().st_mtime)}"
        if key in seen:
            continue
        seen.add(key)
        config: dict = {"extract_dirs": [str(folder.resolve())]}
        as_of = extract_as_of([folder])
        if as_of:
            config["as_of"] = as_of.isoformat()
        requests.append(dg.RunRequest(run_key=key, run_config={"resources": {"mtm": {"config": config}}},
                                      tags={"mtm/as_of": config.get("as_of", "")}))
    if not requests:
        return dg.SensorResult(skip_reason="no new delivery", cursor=context.cursor)
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(sorted(seen)))
