"""What the Dagster UI shows of each table, made from the project's declarations: key = table name, group =
layer, kinds, description, and the tables it reads as dependencies.

One definition per kind of node, used whichever Dagster step builds the table (the warehouse step of
``dagster_project.defs.warehouse``, or a step of its own in ``dagster_project.defs.assets``), so moving a table
from one step to another cannot change the lineage, groups or descriptions the UI shows.
"""

from __future__ import annotations

import dagster as dg

from pipelines.engine.models import Model
from pipelines.engine.seeds import Seed
from pipelines.engine.steps import Step
from pipelines.publishing.output_checks import Check, Outcome


def seed_spec(seed: Seed) -> dg.AssetSpec:
    return dg.AssetSpec(seed.table, group_name="reference", kinds={"duckdb", "csv"},
                        description=f"The shipped reference file {seed.path.name}, as delivered (text); "
                                    "provenance in pipelines/reference/data/PROVENANCE.md")


def model_spec(model: Model) -> dg.AssetSpec:
    return dg.AssetSpec(model.name, group_name=model.layer, kinds={"duckdb"}, deps=sorted(model.reads),
                        description=model.description or None)


def step_specs(step: Step) -> list[dg.AssetSpec]:
    return [dg.AssetSpec(table, group_name=step.layer, kinds=set(step.kinds), deps=list(step.reads),
                         description=step.description) for table in step.produces]


def check_spec(check: Check) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(check.name, asset=check.asset, description=check.description, blocking=check.blocking)


def check_result(check: Check, outcome: Outcome) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(asset_key=check.asset, check_name=check.name, passed=outcome.passed,
                               severity=dg.AssetCheckSeverity[outcome.severity], metadata=outcome.metadata)
