"""Ingest + staging on a hand-built extract, returning a live DuckDB connection to the warehouse to inspect.

The staging rules (bad rows, rejects, versions, code checks) are tested on the tables that own them: the
harness builds ``rejects`` and the ``stg_*`` tables, and what they read (seeds, declared tables, the Python
ingest steps, the SQL models), with the same functions the assets call, in dependency order, without the
Dagster run around them (issue 24: the asset wiring, checks and publishing are tested by the whole runs).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipelines.engine import steps
from pipelines.engine.models import build_model, catalog, create_declared, declared, install_macros
from pipelines.engine.seeds import load_seed, seeds
from pipelines.run_state.run_context import RunContext
from tests.extract_builder import write_extract
from tests.template_home import seeded_home

STAGING_TARGETS = ("rejects", "stg_eligibility", "stg_pharmacy_claim", "stg_medical_claim", "stg_mtm_event",
                   "stg_dmp_arb", "stg_member_status", "stg_diagnosis")


def build(con, ctx: RunContext, name: str, done: set[str]) -> None:
    """Build table ``name`` and what it reads, as the asset graph does: seeds, declared tables, Python
    steps and SQL models (a test needs only the few tables it inspects, not a whole run)."""
    if name in done:
        return
    producers = {table: step for step in steps.STEPS for table in step.produces}
    models = catalog()
    if name in models:
        for dep in sorted(models[name].reads):
            build(con, ctx, dep, done)
        build_model(con, models[name])
    elif name in producers:
        for dep in producers[name].reads:
            build(con, ctx, dep, done)
        producers[name].run(ctx, con)
        done.update(producers[name].produces)
    elif name in seeds():
        load_seed(con, seeds()[name])
    elif name in declared():
        create_declared(con, name)
    done.add(name)


def stage_extract(tmp_path: Path, as_of=dt.date(2025, 9, 30), extract: Path | list[Path] | None = None,
                  max_reject_rate: float = 1.0, **tables):
    """Rows are rejected one by one here, so the reject-rate limit is lifted unless a test sets it."""
    if extract is None:
        extract = write_extract(tmp_path / "extract", **tables)
    settings = tmp_path / "staging_settings.toml"
    settings.write_text(f"[validation]\nmax_reject_rate = {max_reject_rate}\ngx_sample_rows = 0\n")
    extracts = extract if isinstance(extract, list) else [extract]
    ctx = RunContext.create(home=seeded_home(tmp_path / "home"), extract_dirs=extracts, as_of=as_of,
                            settings_file=settings)
    con = ctx.connect()
    install_macros(con)
    done: set[str] = set()
    for table in STAGING_TARGETS:
        build(con, ctx, table, done)
    return con


def rejects(con) -> list[tuple]:
    return con.execute(
        "SELECT table_name, file, row_number, column_name, reason FROM rejects ORDER BY ALL").fetchall()
