"""The warehouse step (issue 27): the seeds, every SQL model and the Python steps that read a model run in ONE
subsettable multi-asset, the way dagster-dbt presents a dbt project (seeds, models and tests in one
``dbt build`` step).

The UI is unchanged: one asset per table, with the key, group, kinds, description and dependencies of its own
spec (``dagster_project.defs.specs``), and one materialisation per table with the metadata it always had (rows,
seconds, the SQL file; the member_summary counts). What changes is how a run executes them: Dagster plans one
step for the whole warehouse instead of ~150 (130 tables, 17 checks), and the step runs the selected tables
(``context.selected_asset_keys``) in the core engine's order (``pipelines.engine.runner.plan``) on one
warehouse connection, through the same per-node functions `mtm run` uses (``run_seed``, ``run_model``,
``run_step``). Selecting one table in the UI runs that table alone, as before.

The output checks on these tables are ``check_specs`` of the step, evaluated right after the node that builds
their table and reported as asset checks (``AssetCheckResult``). An ERROR outcome stops the step there, with the
engine's message ("a blocking check failed (...); nothing was published"): no later table of the step is built,
and nothing downstream (exports, ``published_run``) runs, as in the engine.

Why the Python steps that read a model are inside: ``row_rejects`` reads ``stg_known_member`` and the staging
models read ``row_rejects``; as a step of its own it would sit between two parts of the models, and Dagster
would split the multi-asset into several steps to avoid the cycle between ops.
"""

from collections.abc import Iterator

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from dagster_project.defs.metadata import MODEL_METADATA
from dagster_project.defs.resources import MtmRunResource, SqlEngineResource
from dagster_project.defs.specs import check_result, check_spec, model_spec, seed_spec, step_specs
from pipelines.engine.models import catalog
from pipelines.engine.runner import BlockingCheckFailed, Node, plan, run_node
from pipelines.engine.seeds import seeds
from pipelines.engine.steps import STEPS, Step
from pipelines.publishing.output_checks import CHECKS, Check, checks_by_table

WAREHOUSE_STEP = "warehouse"


def folded_steps() -> list[Step]:
    """The Python steps run inside the warehouse step: those that read a model's table."""
    models = set(catalog())
    return [step for step in STEPS if models & set(step.reads)]


def warehouse_nodes() -> list[Node]:
    """The engine's nodes the warehouse step runs, in the engine's order."""
    inside = {*seeds(), *catalog(), *(step.name for step in folded_steps())}
    return [node for node in plan() if node.name in inside]


def warehouse_checks(nodes: list[Node]) -> list[Check]:
    """The output checks on a table the warehouse step builds (all of them, today)."""
    tables = {table for node in nodes for table in node.produces}
    return [check for check in CHECKS if check.asset in tables]


def _specs(nodes: list[Node]) -> list[dg.AssetSpec]:
    specs: list[dg.AssetSpec] = []
    for node in nodes:
        if node.kind == "seed":
            specs.append(seed_spec(seeds()[node.name]))
        elif node.model is not None:
            specs.append(model_spec(node.model))
        else:
            specs += step_specs(next(s for s in STEPS if s.name == node.name))
    return specs


def _materializations(con: duckdb.DuckDBPyConnection, node: Node, info: dict,
                      selected: set[str]) -> Iterator[dg.MaterializeResult]:
    """One materialisation per selected table of the node, with the metadata its own asset used to give."""
    if node.model is not None:
        model = node.model
        extra = MODEL_METADATA[model.name](con) if model.name in MODEL_METADATA else {}
        yield dg.MaterializeResult(asset_key=model.name, metadata={
            "rows": info["rows"], "seconds": info["seconds"],
            "sql": dg.MetadataValue.path(f"sql/{model.layer}/{model.path.name}"), **extra})
    elif node.kind == "seed":
        yield dg.MaterializeResult(asset_key=node.name, metadata={
            "rows": info["rows"], "file": seeds()[node.name].path.name, "seconds": info["seconds"]})
    else:  # a Python step: every table it built that was selected (a step always builds all of its tables)
        for table in node.produces:
            if table in selected:
                yield dg.MaterializeResult(asset_key=table, metadata={"rows": info["rows"].get(table, 0)})


def warehouse_asset() -> dg.AssetsDefinition:
    nodes = warehouse_nodes()
    checks = warehouse_checks(nodes)
    checks_on = checks_by_table(checks)

    @dg.multi_asset(name=WAREHOUSE_STEP, specs=_specs(nodes), check_specs=[check_spec(c) for c in checks],
                    can_subset=True,
                    description="The reference seeds, the SQL models and the row checks, in dependency order on one "
                                "warehouse connection (pipelines/engine/runner.py)")
    def _warehouse(context: dg.AssetExecutionContext, mtm: MtmRunResource, duckdb: DuckDBResource,
                   sql_engine: SqlEngineResource):
        ctx = mtm.run_context(context.run_id)
        selected = {key.to_user_string() for key in context.selected_asset_keys}
        selected_checks = {(key.asset_key.to_user_string(), key.name) for key in context.selected_asset_check_keys}
        with duckdb.get_connection() as con:
            for node in nodes:
                if selected & set(node.produces):
                    info = run_node(ctx, con, node, sql_engine.spark_models(ctx))
                    yield from _materializations(con, node, info, selected)
                failed = []
                for table in node.produces:
                    for check in checks_on.get(table, []):
                        if (check.asset, check.name) not in selected_checks:
                            continue
                        outcome = check.evaluate(ctx, con)
                        yield check_result(check, outcome)
                        if not outcome.passed and outcome.severity == "ERROR":
                            failed.append(check.key)
                if failed:  # as the engine: stop before any later table (and so before publishing)
                    raise BlockingCheckFailed(failed)

    return _warehouse
