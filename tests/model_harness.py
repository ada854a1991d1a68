"""Unit tests of one SQL model, like dbt unit tests: given rows for the tables it reads, the rows it builds.

The harness builds exactly one model (its file, through the same ``build_model`` the assets call) in a fresh
in-memory DuckDB. Each table the model reads is created with the real schema of that table, taken from a
warehouse the real asset graph built once per test session, and filled with the rows the test gives
(columns not given are NULL). Reference tables (``ref_*``, seeds) keep their real content unless the test
gives rows, and so do the tables derived from reference data alone (``core_atc_condition``, ``core_disease_set``:
as built at the default settings); ``run_parameters`` is the default settings at 2025-09-30 with the test's
overrides.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pipelines.engine.models import build_model, catalog, install_macros
from pipelines.run_state.run_context import RunContext, duckdb_threads
from tests.extract_builder import fill, medical, member, write_extract

AS_OF = dt.date(2025, 9, 30)
REFERENCE_PREFIXES = ("ref_", "seed_")


def build_schema_warehouse(folder: Path) -> Path:
    """Run the whole graph once on a tiny extract that touches every table; keep its warehouse."""
    from dagster_project.run import run_pipeline

    extract = write_extract(
        folder / "extract",
        eligibility=[member("S1"), member("S2", esrd="true")],
        pharmacy_claim=[fill("S1", "2025-09-01"), fill("S2", "2025-08-01")],
        medical_claim=[medical("S1", "inpatient", "2025-05-01", "I10")],
        mtm_event=[{"member_id": "S1", "event_date": "2025-09-10", "event_type": "cmr_offered"}],
        dmp_arb=[{"member_id": "S2", "arb_start_date": "2025-01-01"}],
        member_status=[{"member_id": "S2", "status": "esrd", "status_start_date": "2025-01-01"}],
    )
    settings = folder / "settings.toml"
    settings.write_text("[validation]\ngx_sample_rows = 0\n")
    from tests.template_home import seeded_home

    ctx = RunContext.create(home=seeded_home(folder / "home"), extract_dirs=[extract], as_of=AS_OF,
                            settings_file=settings)  # the seeds from the template warehouse (loaded once)
    run_pipeline(ctx)
    return ctx.warehouse_path


def _reference_only(table: str) -> bool:
    """A reference table, or a model built from reference tables (and the run's parameters) alone."""
    if table.startswith(REFERENCE_PREFIXES):
        return True
    models = catalog()
    return table in models and all(_reference_only(t) or t == "run_parameters" for t in models[table].reads)


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> list[dict[str, Any]]:
    result = con.execute(f"SELECT * FROM {table}")
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


class ModelHarness:
    def __init__(self, schema_warehouse: Path):
        self.schema_warehouse = schema_warehouse

    def run(self, model: str, params: dict[str, Any] | None = None, **given: list[dict[str, Any]]
            ) -> list[dict[str, Any]]:
        """Build ``model`` from ``given`` rows (table name -> list of dicts); returns its rows as dicts."""
        target = catalog()[model]
        unknown = set(given) - set(target.reads)
        if unknown:
            raise ValueError(f"{model} does not read {sorted(unknown)}; it reads {sorted(target.reads)}")
        con = duckdb.connect(config=duckdb_threads())  # as a run connects (MTM_THREADS)
        try:
            path = str(self.schema_warehouse).replace("'", "''")
            con.execute(f"ATTACH '{path}' AS schema_source (READ_ONLY)")
            install_macros(con)
            for table in sorted(target.reads):
                self._create(con, table, given.get(table), params if table == "run_parameters" else None)
            build_model(con, target)
            return _rows(con, model)
        finally:
            con.close()

    def chain(self, models: list[str], params: dict[str, Any] | None = None, database: Path | None = None,
              **given: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        """Build ``models`` in the order given, each from the given rows and the models built before it.

        For a rule written across two or three adjacent models (a rule's evidence table and the table that
        reads it), tested from the rows of the tables the chain reads, as ``run`` does for one model. Returns
        each model's rows (model -> rows); ``database``: build in that file (kept, e.g. for a gate's queries)
        instead of in memory."""
        models_by_name = catalog()
        built: set[str] = set()
        reads: set[str] = set()
        for name in models:
            late = sorted(set(models_by_name[name].reads) & (set(models) - built - {name}))
            if late:
                raise ValueError(f"{name} reads {late}: list them before it")
            reads |= set(models_by_name[name].reads) - built
            built.add(name)
        unknown = set(given) - reads
        if unknown:
            raise ValueError(f"the chain {models} does not read {sorted(unknown)}; it reads {sorted(reads)}")
        con = duckdb.connect(str(database) if database else ":memory:", config=duckdb_threads())
        try:
            path = str(self.schema_warehouse).replace("'", "''")
            con.execute(f"ATTACH '{path}' AS schema_source (READ_ONLY)")
            install_macros(con)
            for table in sorted(reads):
                self._create(con, table, given.get(table), params if table == "run_parameters" else None)
            for name in models:
                build_model(con, models_by_name[name])
            return {name: _rows(con, name) for name in models}
        finally:
            con.close()

    @staticmethod
    def _create(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict] | None, params: dict | None) -> None:
        if table != "run_parameters" and rows is None and _reference_only(table):
            # reference data as built: read in place (a view), not copied (the NDC maps hold ~250k rows)
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM schema_source.{table}")
            return
        limit = "" if table == "run_parameters" else " LIMIT 0"
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM schema_source.{table}{limit}")
        for column, value in (params or {}).items():
            con.execute(f"UPDATE run_parameters SET {column} = ?", [value])
        if rows:
            columns = list(dict.fromkeys(key for row in rows for key in row))  # every row's columns, not the first's
            frame = pa.Table.from_pylist([{c: row.get(c) for c in columns} for row in rows])  # noqa: F841 -- read below
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM frame")
