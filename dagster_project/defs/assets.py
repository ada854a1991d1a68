"""Assets: one per input table and staging table, then one per layer of member facts and outputs.

Each asset only wires a step of ``pipelines.steps`` to the warehouse and reports metadata (row counts)
that analysts read in the UI; all logic lives in the framework-free core and in ``sql/``.
"""


import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.defs.resources import MtmRunResource
from pipelines import steps
from pipelines.contract import TABLES
from pipelines.publish import publish

RAW_KEYS = {name: dg.AssetKey(f"raw_{name}") for name in TABLES}
STAGING_KEYS = {name: dg.AssetKey(f"stg_{name}") for name in TABLES} | {"rejects": dg.AssetKey("rejects")}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(key, group_name="ingest", kinds={"duckdb"},
                     description=f"The {name} extract file(s) as delivered, every column as text, "
                                 "with file name and row number.")
        for name, key in RAW_KEYS.items()
    ],
    check_specs=[
        dg.AssetCheckSpec("contract_expectations", asset=key,
                          description="Great Expectations suite of the input contract (Data Docs in the run folder)")
        for key in RAW_KEYS.values()
    ],
)
def raw_tables(context: dg.AssetExecutionContext, mtm: MtmRunResource, duckdb: DuckDBResource):
    """Read the extract (canonical, DE-SynPUF or Synthea layout) into raw_<table>."""
    ctx = mtm.run_context(context.run_id)
    with duckdb.get_connection() as con:
        steps.ingest(ctx, con)
        steps.quality_docs(ctx, con)
    notes = ctx.read_notes()
    expectation_tables = notes.get("expectations", {}).get("tables", {})
    for name, key in RAW_KEYS.items():
        yield dg.MaterializeResult(asset_key=key, metadata={"rows": notes["rows_in"].get(name, 0)})
        result = expectation_tables.get(name)
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name="contract_expectations",
            passed=bool(result["success"]) if result else True,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"evaluated": result.get("evaluated", 0) if result else 0,
                      "failed": result.get("failed", 0) if result else 0,
                      "file_delivered": name not in notes.get("absent_tables", [])},
        )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(key, group_name="staging", kinds={"duckdb"}, deps=list(RAW_KEYS.values()),
                     description=("Every rejected row with file, row number, column and reason" if name == "rejects"
                                  else f"{name}: typed, checked, versions resolved"))
        for name, key in STAGING_KEYS.items()
    ],
)
def staging_tables(context: dg.AssetExecutionContext, mtm: MtmRunResource, duckdb: DuckDBResource):
    """Row checks -> rejects; typed staging tables; fails the run when a reject rate is over the limit."""
    ctx = mtm.run_context(context.run_id)
    with duckdb.get_connection() as con:
        steps.stage(ctx, con)
        for name, key in STAGING_KEYS.items():
            table = name if name == "rejects" else f"stg_{name}"
            rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            yield dg.MaterializeResult(asset_key=key, metadata={"rows": rows})


@dg.asset(group_name="core", kinds={"duckdb"}, deps=list(STAGING_KEYS.values()))
def member_facts(context: dg.AssetExecutionContext, mtm: MtmRunResource, duckdb: DuckDBResource):
    """Per member: active drugs, projected annual cost, chronic-condition evidence and flags."""
    ctx = mtm.run_context(context.run_id)
    with duckdb.get_connection() as con:
        info = steps.core(ctx, con)
    return dg.MaterializeResult(metadata={m["table"]: m["rows"] for m in info["models"]})


@dg.asset(group_name="targeting", kinds={"duckdb"}, deps=[member_facts])
def member_targeting(context: dg.AssetExecutionContext, mtm: MtmRunResource, duckdb: DuckDBResource):
    """Targeting criteria and reasons, the proposed MTM enrollment ledger, opt-outs as of D."""
    ctx = mtm.run_context(context.run_id)
    with duckdb.get_connection() as con:
        info = steps.targeting(ctx, con)
    return dg.MaterializeResult(metadata={m["table"]: m["rows"] for m in info["models"]})


@dg.asset(group_name="outputs", kinds={"duckdb", "parquet"}, deps=[member_targeting])
def member_summary(context: dg.AssetExecutionContext, mtm: MtmRunResource, duckdb: DuckDBResource):
    """member_summary, member_drugs, member_conditions written into the run's (unpublished) folder."""
    ctx = mtm.run_context(context.run_id)
    with duckdb.get_connection() as con:
        steps.outputs(ctx, con)
        summary = steps.targeting_report(con)
    return dg.MaterializeResult(metadata={k: dg.MetadataValue.json(v) if isinstance(v, dict) else v
                                          for k, v in summary.items()})


@dg.asset(group_name="outputs", deps=[member_summary, dg.AssetKey("outreach_list")])
def published_run(context: dg.AssetExecutionContext, mtm: MtmRunResource, duckdb: DuckDBResource):
    """Commit the ledger, write run_manifest.json and rename the run folder into place."""
    ctx = mtm.run_context(context.run_id)
    with duckdb.get_connection() as con:
        folder = publish(ctx, con)
    return dg.MaterializeResult(metadata={"folder": str(folder), "as_of": ctx.as_of.isoformat()})


CORE_ASSETS = [raw_tables, staging_tables, member_facts, member_targeting, member_summary, published_run]
