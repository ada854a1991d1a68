"""The whole asset graph in one place: what `mtm run`, the nightly job and the UI all materialise."""

from dagster_project.defs.assets import CORE_ASSETS
from dagster_project.defs.checks import CORE_CHECKS
from dagster_project.defs.outreach import OUTREACH_ASSETS, OUTREACH_CHECKS

ALL_ASSETS = [*CORE_ASSETS, *OUTREACH_ASSETS]
ALL_CHECKS = [*CORE_CHECKS, *OUTREACH_CHECKS]
