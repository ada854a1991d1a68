"""The whole asset graph in one place: what `mtm run`, the nightly job, backfills, the UI and the tests
all materialise (a test may select a subgraph)."""

from dagster_project.defs.assets import all_assets, contract_expectations
from dagster_project.defs.checks import separate_checks

ALL_ASSETS = all_assets()
ALL_CHECKS = [contract_expectations, *separate_checks()]
