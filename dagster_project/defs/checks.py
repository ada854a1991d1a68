"""The output checks as Dagster asset checks: each wraps one check of ``pipelines.publishing.output_checks`` (the same
function
the core engine calls), so the UI shows what `mtm run` decided. Blocking ones hold their downstream assets;
a failure with ERROR severity stops the run before publishing."""


import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.defs.resources import MtmRunResource
from pipelines.publishing import output_checks as checks
from pipelines.publishing.output_checks import Check


def asset_check(check: Check) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=check.asset, name=check.name, blocking=check.blocking, description=check.description)
    def _check(context: dg.AssetCheckExecutionContext, mtm: MtmRunResource,
               duckdb: DuckDBResource) -> dg.AssetCheckResult:
        ctx = mtm.run_context(context.op_execution_context.run_id)
        with duckdb.get_connection() as con:
            outcome = check.evaluate(ctx, con)
        return dg.AssetCheckResult(passed=outcome.passed, severity=dg.AssetCheckSeverity[outcome.severity],
                                   metadata=outcome.metadata)

    return _check


CORE_CHECKS = [asset_check(c) for c in checks.CORE_CHECKS]
OUTREACH_CHECKS = [asset_check(c) for c in checks.OUTREACH_CHECKS]
RUN_CHECKS = [asset_check(c) for c in checks.RUN_CHECKS]
