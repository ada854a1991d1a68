"""``mtm reference dump DIR``: write the effective reference tables as CSV (what an auditor asks for)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.reference.load import REFERENCE_TABLES, load_reference_tables


def dump_reference(con: duckdb.DuckDBPyConnection, out_dir: str | Path, *, reload: bool = False) -> dict[str, Path]:
    """Write each ``ref_*`` table of ``con`` to ``out_dir/<table>.csv``; loads them first if absent."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if reload or not set(REFERENCE_TABLES) <= present:
        load_reference_tables(con)
    written = {}
    for table in REFERENCE_TABLES:
        path = out / f"{table}.csv"
        target = str(path).replace("'", "''")
        order = "ALL"
        con.execute(f"COPY (SELECT * FROM {table} ORDER BY {order}) TO '{target}' (HEADER, DELIMITER ',')")
        written[table] = path
    return written
