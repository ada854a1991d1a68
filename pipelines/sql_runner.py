"""Runs the project's SQL models: one file per table, named after the table it builds.

A model file holds a single SELECT; the runner wraps it in ``CREATE OR REPLACE TABLE <name> AS``, so the
folder listing *is* the list of tables, layered staging -> core -> targeting -> outputs.  Files whose
name starts with ``_`` hold macros and are executed as they are.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def model_path(layer: str, name: str) -> Path:
    return SQL_DIR / layer / f"{name}.sql"


def run_macros(con: duckdb.DuckDBPyConnection, layer: str = "staging") -> None:
    for path in sorted((SQL_DIR / layer).glob("_*.sql")):
        con.execute(path.read_text())


def build_model(con: duckdb.DuckDBPyConnection, layer: str, name: str) -> dict:
    """Build one table from sql/<layer>/<name>.sql; returns its row count and build time."""
    started = time.perf_counter()
    sql = model_path(layer, name).read_text().strip().rstrip(";")
    con.execute(f"CREATE OR REPLACE TABLE {name} AS\n{sql}")
    rows = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
    return {"table": name, "rows": rows, "seconds": round(time.perf_counter() - started, 3)}


def build_models(con: duckdb.DuckDBPyConnection, layer: str, names: list[str]) -> list[dict]:
    return [build_model(con, layer, name) for name in names]
