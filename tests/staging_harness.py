"""Ingest + staging on a hand-built extract, returning the live DuckDB connection to inspect."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipelines import steps
from pipelines.run_context import RunContext
from tests.extract_builder import write_extract


def stage_extract(tmp_path: Path, as_of=dt.date(2025, 9, 30), extract: Path | None = None,
                  max_reject_rate: float = 1.0, **tables):
    """Rows are rejected one by one here, so the reject-rate limit is lifted unless a test sets it."""
    if extract is None:
        extract = write_extract(tmp_path / "extract", **tables)
    settings = tmp_path / "staging_settings.toml"
    settings.write_text(f"[validation]\nmax_reject_rate = {max_reject_rate}\n")
    ctx = RunContext.create(home=tmp_path / "home", extract_dirs=[extract], as_of=as_of, settings_file=settings)
    con = ctx.connect()
    steps.ingest(ctx, con)
    steps.stage(ctx, con)
    return con


def rejects(con) -> list[tuple]:
    return con.execute(
        "SELECT table_name, file, row_number, column_name, reason FROM rejects ORDER BY ALL").fetchall()
