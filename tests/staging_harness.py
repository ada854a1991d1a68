"""Ingest + staging on a hand-built extract (the real asset graph, selected up to ``rejects``), returning
a live DuckDB connection to the warehouse to inspect."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dagster_project.run import materialize
from pipelines.run_context import RunContext
from tests.extract_builder import write_extract
from tests.template_home import seeded_home

STAGING_TARGETS = ("rejects", "stg_eligibility", "stg_pharmacy_claim", "stg_medical_claim", "stg_mtm_event",
                   "stg_dmp_arb", "stg_member_status", "stg_diagnosis")


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
    materialize(ctx, targets=STAGING_TARGETS)
    return ctx.connect()


def rejects(con) -> list[tuple]:
    return con.execute(
        "SELECT table_name, file, row_number, column_name, reason FROM rejects ORDER BY ALL").fetchall()
