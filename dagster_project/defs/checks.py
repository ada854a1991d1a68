"""The output checks as Dagster asset checks: each wraps one check of ``pipelines.publishing.output_checks`` (the
same function the core engine calls), so the UI shows what `mtm run` decided.

A check on a table of the warehouse step is one of that step's check specs (``dagster_project.defs.warehouse``:
evaluated right after its table is built; an ERROR outcome stops the step). A check on any other table is an asset
check of its own, made here; blocking ones hold their downstream assets, and a failure with ERROR severity stops
the run before publishing. Today every output check is on a warehouse table, so the list below is empty; it keeps
the place for a check on an export or a Python step's table.
"""


import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.defs.resources import MtmRunResource
from dagster_project.defs.specs import check_result
from dagster_project.defs.warehouse import warehouse_checks, warehouse_nodes
from pipelines.publishing.output_checks import CHECKS, Check


def asset_check(check: Check) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=check.asset, name=check.name, blocking=check.blocking, description=check.description)
    def _check(context: dg.AssetCheckExecutionContext, mtm: MtmRunResource,
               duckdb: DuckDBResource) -> dg.AssetCheckResult:
        ctx = mtm.run_context(context.op_execution_context.run_id)
        with duckdb.get_connection() as con:
            return check_result(check, check.evaluate(ctx, con))

    return _check


def separate_checks() -> list[dg.AssetChecksDefinition]:
    """The output checks that are not check specs of the warehouse step."""
    inside = {c.key for c in warehouse_checks(warehouse_nodes())}
    return [asset_check(c) for c in CHECKS if c.key not in inside]
