"""One engine in the core (issue 27): the asset graph run in dependency order on one DuckDB connection.

The graph is the one the Dagster assets declare, read from the same declarations: seeds
(``pipelines.engine.seeds``), Python steps (``pipelines.engine.steps``), SQL models (``pipelines.engine.models``),
exports
(``pipelines.publishing.exports.files``), the output checks (``pipelines.publishing.output_checks``) and publishing.
Each node is run by
one function below (``run_seed``, ``run_step``, ``run_model``, ``run_export``, ``run_publish``) and the
Dagster assets call the same functions, so the two paths cannot drift: the same fault points
(``faults.at(name)``), the same timings in the run report, the same persistent tables prepared.

Why not ``dg.materialize``: Dagster's per-step bookkeeping (events, an instance, a plan) cost 5-7 CPU-s of a
tiny run's ~140 steps, more than its SQL. `mtm run`, backfills and the tests call this engine; Dagster keeps
the definitions for the UI, the schedule and the sensor. No Dagster import here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from pipelines.engine.models import Model, build_model, catalog, create_declared, declared, install_macros
from pipelines.engine.seeds import Seed, load_seed, seeds
from pipelines.engine.spark_engine import SparkModels
from pipelines.engine.steps import STEPS, Step
from pipelines.ingest.contract import TABLES
from pipelines.ingest.quality.run import finish_quality, start_quality, stop_workers
from pipelines.publishing.exports.files import EXPORTS, Export
from pipelines.publishing.output_checks import Outcome, checks_by_table, expectation_outcomes
from pipelines.publishing.publish import publish
from pipelines.run_state import faults
from pipelines.run_state import run_facts as run_report
from pipelines.run_state.run_context import RunContext

PUBLISHED_RUN = "published_run"
#: what publishing waits for besides the exports (the ledger it commits, the dashboard's counts)
PUBLISH_READS = ("tgt_ledger_next", "mtm_enrollment_ledger", "dashboard_counts")


# -- the per-node functions (the Dagster assets call these too) ---------------------------------------

def prepare(con: duckdb.DuckDBPyConnection, reads: Iterable[str]) -> None:
    """The persistent declared tables a model reads (created empty on a fresh warehouse); the macros come
    with the connection."""
    for name in reads:
        if name in declared() and declared()[name].persistent:
            create_declared(con, name)


def timed(con: duckdb.DuckDBPyConnection, run_id: str, step: str, started: float) -> float:
    seconds = round(time.perf_counter() - started, 3)
    run_report.record(con, run_id, step, "seconds", seconds)
    return seconds


def run_seed(con: duckdb.DuckDBPyConnection, run_id: str, seed: Seed) -> dict[str, Any]:
    faults.at(seed.table)
    started = time.perf_counter()
    rows = load_seed(con, seed)
    return {"rows": rows, "seconds": timed(con, run_id, seed.table, started)}


def run_model(con: duckdb.DuckDBPyConnection, run_id: str, model: Model,
              spark: SparkModels | None = None) -> dict[str, Any]:
    """One SQL model, built by DuckDB or, with ``spark``, by Spark and collected into the warehouse."""
    faults.at(model.name)
    prepare(con, model.reads)
    info = build_model(con, model) if spark is None else spark.build(con, model)
    run_report.record(con, run_id, model.name, "seconds", info["seconds"])
    return info


def run_step(ctx: RunContext, con: duckdb.DuckDBPyConnection, step: Step) -> dict[str, Any]:
    """A Python step; the reader also starts the Great Expectations validation of each input table's
    sample (finished before publishing)."""
    faults.at(step.name)
    started = time.perf_counter()
    rows = step.run(ctx, con)
    if step.name == "ingest":
        start_quality(ctx, con)
    return {"rows": rows, "seconds": timed(con, ctx.run_id, step.name, started)}


def run_export(ctx: RunContext, con: duckdb.DuckDBPyConnection, export: Export) -> dict[str, Any]:
    faults.at(export.asset)
    started = time.perf_counter()
    # any export may run first (under Dagster they are all ready at once): none relies on another
    ctx.staging_dir.mkdir(parents=True, exist_ok=True)
    metadata = export.write(ctx, con, ctx.staging_dir)
    return {"metadata": metadata, "seconds": timed(con, ctx.run_id, export.asset, started)}


def run_publish(ctx: RunContext, con: duckdb.DuckDBPyConnection) -> Path:
    faults.at(PUBLISHED_RUN)
    finish_quality(ctx, con)  # the Data Docs and the expectations summary belong to the published run
    create_declared(con, "mtm_enrollment_ledger")
    return publish(ctx, con)


def expectation_checks(ctx: RunContext, con: duckdb.DuckDBPyConnection) -> dict[str, Outcome]:
    """The Great Expectations suites of the input contract: one WARN outcome per input table."""
    return expectation_outcomes(finish_quality(ctx, con), TABLES)


# -- the graph ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Node:
    name: str
    kind: str  # seed, step, model, export, publish
    produces: tuple[str, ...]
    reads: tuple[str, ...]
    run: Callable[[RunContext, duckdb.DuckDBPyConnection], dict[str, Any]]
    #: the SQL model of a model node (the Spark engine runs it instead of ``run``)
    model: Model | None = None


def _seed_node(seed: Seed) -> Node:
    return Node(seed.table, "seed", (seed.table,), (), lambda ctx, con: run_seed(con, ctx.run_id, seed))


def _step_node(step: Step) -> Node:
    return Node(step.name, "step", step.produces, step.reads, lambda ctx, con: run_step(ctx, con, step))


def _model_node(model: Model) -> Node:
    return Node(model.name, "model", (model.name,), tuple(sorted(model.reads)),
                lambda ctx, con: run_model(con, ctx.run_id, model), model)


def _export_node(export: Export) -> Node:
    return Node(export.asset, "export", (export.asset,), tuple(export.reads),
                lambda ctx, con: run_export(ctx, con, export))


def _publish(ctx: RunContext, con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    started = time.perf_counter()
    folder = run_publish(ctx, con)
    return {"folder": folder, "seconds": round(time.perf_counter() - started, 3)}


def nodes() -> list[Node]:
    """Every node of the graph, in declaration order (seeds, steps, models, exports, publishing)."""
    return [
        *(_seed_node(s) for s in seeds().values()),
        *(_step_node(s) for s in STEPS),
        *(_model_node(m) for m in catalog().values()),
        *(_export_node(e) for e in EXPORTS),
        Node(PUBLISHED_RUN, "publish", (PUBLISHED_RUN,), (*(e.asset for e in EXPORTS), *PUBLISH_READS), _publish),
    ]


def plan(targets: Iterable[str] | None = None) -> list[Node]:
    """The nodes to run, in dependency order: all of them, or those that build ``targets`` and everything
    upstream (a step producing several tables is taken whole). Ties keep the declaration order, so the
    order is the same on every run."""
    every = nodes()
    producer = {table: node for node in every for table in node.produces}
    if targets is not None:
        wanted: dict[str, Node] = {}
        stack = [producer[t] for t in targets]
        while stack:
            node = stack.pop()
            if node.name not in wanted:
                wanted[node.name] = node
                stack.extend(producer[r] for r in node.reads if r in producer)
        every = [n for n in every if n.name in wanted]
    chosen = {n.name for n in every}
    position = {n.name: i for i, n in enumerate(every)}
    waiting = {n.name: {producer[r].name for r in n.reads if r in producer and producer[r].name in chosen}
               for n in every}
    readers: dict[str, list[str]] = {n.name: [] for n in every}
    for name, upstream in waiting.items():
        for up in upstream:
            readers[up].append(name)
    import heapq

    ready = [(position[n], n) for n, up in waiting.items() if not up]
    heapq.heapify(ready)
    ordered: list[Node] = []
    by_name = {n.name: n for n in every}
    while ready:
        _, name = heapq.heappop(ready)
        ordered.append(by_name[name])
        for reader in readers[name]:
            waiting[reader].discard(name)
            if not waiting[reader]:
                heapq.heappush(ready, (position[reader], reader))
    if len(ordered) != len(every):
        stuck = sorted(n for n, up in waiting.items() if up)
        raise ValueError(f"the asset graph has a cycle through {', '.join(stuck[:5])}")
    return ordered


# -- running -----------------------------------------------------------------------------------------

class BlockingCheckFailed(RuntimeError):
    """A check with ERROR severity failed: the run stops before anything downstream (publishing) runs."""

    def __init__(self, failed: list[str]):
        self.failed = failed
        super().__init__(f"a blocking check failed ({', '.join(failed)}); nothing was published")


@dataclass
class EngineResult:
    #: name -> what the node returned (rows, seconds, metadata; publishing: the folder)
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: "asset:check" -> outcome, in the order the checks ran
    checks: dict[str, Outcome] = field(default_factory=dict)
    published: Path | None = None


#: called after each node: (its 1-based position, how many nodes run, its name, rows built, seconds)
OnStep = Callable[[int, int, str, int, float], None]


def connect(ctx: RunContext) -> duckdb.DuckDBPyConnection:
    """The warehouse as the Dagster resource opens it (``WarehouseResource``): the same configuration (its
    ``custom_user_agent`` aside), the project's macros and session settings installed once."""
    con = ctx.connect()
    install_macros(con)
    return con


def _rows(node: Node, info: dict[str, Any]) -> int:
    rows = info.get("rows", 0)
    return sum(rows.values()) if isinstance(rows, dict) else int(rows or 0)


def run_node(ctx: RunContext, con: duckdb.DuckDBPyConnection, node: Node,
             spark: SparkModels | None = None) -> dict[str, Any]:
    """One node of the graph. With ``spark``, a SQL model is built by Spark; seeds, Python steps, exports and
    publishing always run on the warehouse (docs/rules/spark.md rule 1)."""
    if spark is not None and node.model is not None:
        return run_model(con, ctx.run_id, node.model, spark)
    return node.run(ctx, con)


def run_graph(ctx: RunContext, targets: Iterable[str] | None = None, on_step: OnStep | None = None) -> EngineResult:
    """Run the graph for ``ctx`` (or only ``targets`` and what they read) on one connection; a blocking
    check that fails with ERROR stops the run (``BlockingCheckFailed``) before its downstream nodes. No lock
    and no failure report here (``dagster_project.run.run_pipeline`` adds them)."""
    ordered = plan(targets)
    by_asset = checks_by_table()
    result = EngineResult()
    con = connect(ctx)
    spark = SparkModels(ctx.spark_master, ctx.home, ctx.run_id) if ctx.engine == "spark" else None
    try:
        with run_report.batched(con):  # the run's facts written together, not one commit each
            ingested = False
            for index, node in enumerate(ordered, start=1):
                info = run_node(ctx, con, node, spark)
                result.steps[node.name] = info
                if node.kind == "publish":
                    result.published = info["folder"]
                ingested = ingested or node.name == "ingest"
                failed = []
                for table in node.produces:
                    for check in by_asset.get(table, []):
                        outcome = result.checks[check.key] = check.evaluate(ctx, con)
                        if not outcome.passed and outcome.severity == "ERROR":
                            failed.append(check.key)
                if failed:
                    raise BlockingCheckFailed(failed)
                if on_step is not None:
                    on_step(index, len(ordered), node.name, _rows(node, info), float(info.get("seconds", 0.0)))
            if ingested:  # the input contract's expectations, reported as WARN checks on raw_<table>
                for name, outcome in expectation_checks(ctx, con).items():
                    result.checks[f"raw_{name}:contract_expectations"] = outcome
    finally:
        if spark is not None:
            spark.close()
        con.close()  # checkpointed before a failure is reported or the caller reads the file
        stop_workers()  # a Great Expectations worker of a run that stopped early
    return result
