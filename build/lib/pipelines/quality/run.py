"""The run's Great Expectations step: the contract suites on a sample of each delivered raw table.

A bounded reservoir sample (``[validation] gx_sample_rows``) keeps it cheap at millions of rows; the gate
that stops a run is the SQL reject rate over all rows, so these results are WARN-level checks and the
Data Docs the quality team reads in the run folder.
"""

from __future__ import annotations

import duckdb

from pipelines import run_report
from pipelines.contract import TABLES
from pipelines.run_context import RunContext


def quality_docs(ctx: RunContext, con: duckdb.DuckDBPyConnection) -> dict:
    from pipelines.quality import results_to_dict, validate_tables

    limit = int(ctx.settings["validation"]["gx_sample_rows"])
    # a limit of 100% rejects leaves nothing for GX to assert; keep "mostly" inside (0, 1]
    mostly = max(1.0 - float(ctx.settings["validation"]["max_reject_rate"]), 1e-6)
    absent = set(run_report.facts(con, ctx.run_id).get("absent_tables", []))
    frames = {}
    for name, table in TABLES.items():
        if name in absent:
            continue
        cols = ", ".join(c.name for c in table.columns)
        frames[name] = con.execute(
            f"SELECT {cols} FROM raw_{name} USING SAMPLE reservoir({limit} ROWS) REPEATABLE (42)"
        ).df()
    results = validate_tables(frames, ctx.staging_dir / "data_docs", mostly=mostly, run_name=ctx.as_of.isoformat())
    summary = results_to_dict(results)
    run_report.record(con, ctx.run_id, "ingest", "expectations", summary)
    return summary
