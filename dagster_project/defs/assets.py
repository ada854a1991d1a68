"""Every table the pipeline builds is one asset: key = table name, group = layer, dependencies as read.

Assets are made by factories from the project's declarations, never listed by hand (their specs:
``dagster_project.defs.specs``); each body calls the core function the engine calls for that node
(``pipelines.engine.runner``: ``run_seed``, ``run_model``, ...), so `mtm run` (the engine) and a Dagster
materialisation do the same work:
* the warehouse step  the seeds, every ``sql/<layer>/<table>.sql`` model and the Python steps that read a model
                      (``row_rejects``), one subsettable multi-asset with a materialisation per table and the
                      output checks as its check specs (``dagster_project.defs.warehouse``; issue 27)
* Python steps        the readers, run parameters, generic names (``pipelines.engine.steps``)
* exports             one per run-folder file group (``pipelines.publishing.exports.files``)
* published_run       the ledger commit and the rename into place
Tables that persist across runs and are written outside the graph (the enrollment ledger, the plan's
NDC imports) are external assets, so their readers show them in the lineage.
A model that reads a table nothing builds stops the definitions from loading, naming the file.
"""


from collections.abc import Iterable

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.defs.metadata import published_run_metadata
from dagster_project.defs.resources import MtmRunResource
from dagster_project.defs.specs import step_specs
from dagster_project.defs.warehouse import folded_steps, warehouse_asset
from pipelines.engine.models import catalog, check_layers
from pipelines.engine.runner import PUBLISH_READS, expectation_checks, run_export, run_publish, run_step
from pipelines.engine.seeds import seeds
from pipelines.engine.steps import STEPS, Step
from pipelines.ingest.contract import TABLES
from pipelines.publishing.exports.files import EXPORTS, Export

#: persistent tables written outside the asset graph (by publishing, or `mtm reference import`)
EXTERNAL_TABLES = {
    "mtm_enrollment_ledger": "The MTM enrollment ledger (member x contract x year), committed when a run publishes",
    "ref_ndc_import": "The plan's own NDC facts (`mtm reference import`), which override the shipped NDC map",
    "program_metrics_history": "Program metrics of every published run (as-of date x contract x month x metric)",
}


def known_tables() -> set[str]:
    produced = {t for step in STEPS for t in step.produces}
    return set(catalog()) | set(seeds()) | produced | set(EXTERNAL_TABLES)


def _check_reads(where: str, reads: Iterable[str], known: set[str]) -> None:
    unknown = sorted(set(reads) - known)
    if unknown:
        raise ValueError(f"{where} reads {', '.join(unknown)}, which no model, seed or step builds "
                         "(a misspelt table, or a model missing from sql/)")


def validate_graph() -> None:
    """Every table read is built by someone, and data flows one way through the layers."""
    known = known_tables()
    for model in catalog().values():
        _check_reads(str(model.path), model.reads, known)
    for step in STEPS:
        _check_reads(f"step {step.name}", step.reads, known)
    for export in EXPORTS:
        _check_reads(f"export {export.asset}", export.reads, known)
    problems = check_layers(catalog())
    if problems:
        raise ValueError("; ".join(problems))


def step_asset(step: Step) -> dg.AssetsDefinition:
    """A Python step; the reader also starts the Great Expectations validation of each input table's sample
    (``contract_expectations`` below reports it)."""

    @dg.multi_asset(name=step.name, specs=step_specs(step))
    def _step(context: dg.AssetExecutionContext, mtm: MtmRunResource, duckdb: DuckDBResource):
        ctx = mtm.run_context(context.run_id)
        with duckdb.get_connection() as con:
            rows = run_step(ctx, con, step)["rows"]
        for table in step.produces:
            yield dg.MaterializeResult(asset_key=table, metadata={"rows": rows.get(table, 0)})

    return _step


@dg.multi_asset_check(
    name="contract_expectations",
    specs=[dg.AssetCheckSpec("contract_expectations", asset=f"raw_{name}",
                             description="Great Expectations suite of the input contract (Data Docs in the run "
                                         "folder)",
                             # validated in a worker while the models run: report it late, when it is done
                             additional_deps=[e.asset for e in EXPORTS])
           for name in TABLES])
def contract_expectations(context: dg.AssetCheckExecutionContext, mtm: MtmRunResource, duckdb: DuckDBResource):
    ctx = mtm.run_context(context.op_execution_context.run_id)
    with duckdb.get_connection() as con:
        outcomes = expectation_checks(ctx, con)
    for name, outcome in outcomes.items():  # one WARN check per input table (gx_sample_rows = 0: not run)
        yield dg.AssetCheckResult(asset_key=f"raw_{name}", check_name="contract_expectations",
                                  passed=outcome.passed, severity=dg.AssetCheckSeverity.WARN,
                                  metadata=outcome.metadata)


def export_asset(export: Export) -> dg.AssetsDefinition:
    formats = {f.rsplit(".", 1)[-1] for f in export.files}
    kinds = {"duckdb"} | {"csv" if f == "csv" else "parquet" if f == "parquet" else "excel" for f in formats}

    @dg.asset(name=export.asset, group_name="outputs", kinds=kinds, deps=list(export.reads),
              description=export.description)
    def _export(context: dg.AssetExecutionContext, mtm: MtmRunResource, duckdb: DuckDBResource):
        ctx = mtm.run_context(context.run_id)
        with duckdb.get_connection() as con:
            metadata = run_export(ctx, con, export)["metadata"]
        return dg.MaterializeResult(metadata={**metadata, "files": ", ".join(export.files)})

    return _export


@dg.asset(group_name="outputs", deps=[*(e.asset for e in EXPORTS), *PUBLISH_READS],
          description="Build dashboard.html, commit the ledger, write run_manifest.json, rename the run folder "
                      "into place")
def published_run(context: dg.AssetExecutionContext, mtm: MtmRunResource, duckdb: DuckDBResource):
    ctx = mtm.run_context(context.run_id)
    with duckdb.get_connection() as con:
        folder = run_publish(ctx, con)
        metadata = published_run_metadata(ctx, con, folder)
    return dg.MaterializeResult(metadata={"folder": dg.MetadataValue.path(str(folder)), **metadata})


def all_assets() -> list:
    validate_graph()
    externals = [dg.AssetSpec(name, group_name="state", kinds={"duckdb"}, description=text)
                 for name, text in EXTERNAL_TABLES.items()]
    folded = {step.name for step in folded_steps()}
    return [
        *externals,
        warehouse_asset(),
        *(step_asset(s) for s in STEPS if s.name not in folded),
        *(export_asset(e) for e in EXPORTS),
        published_run,
    ]
