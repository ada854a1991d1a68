"""Dagster entry point (`dagster dev -m dagster_project.definitions`, `dg check defs`)."""

from __future__ import annotations

import dagster as dg

from dagster_project.defs.graph import ALL_ASSETS, ALL_CHECKS
from dagster_project.defs.resources import resources_for
from dagster_project.defs.schedules import extract_delivery_sensor, mtm_nightly_job, nightly_schedule

defs = dg.Definitions(
    assets=ALL_ASSETS,
    asset_checks=ALL_CHECKS,
    jobs=[mtm_nightly_job],
    schedules=[nightly_schedule],
    sensors=[extract_delivery_sensor],
    resources=resources_for(),
)
