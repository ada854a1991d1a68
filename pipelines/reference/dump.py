"""``mtm reference dump DIR``: write the effective reference tables as CSV (what an auditor asks for)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.reference.load import build_reference_tables, reference_tables


def dump_reference(con: duckdb.DuckDBPyConnection, out_dir: str | Path, imports_from: Path | None = None
                   ) -> dict[str, Path]:
    """Build the reference tables in ``con`` and write each to ``out_dir/<table>.csv``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    build_reference_tables(con, imports_from)
    written = {}
    for table in reference_tables():
        path = out / f"{table}.csv"
        target = str(path).replace("'", "''")
        con.execute(f"COPY (SELECT * FROM {table} ORDER BY ALL) TO '{target}' (HEADER, DELIMITER ',')")
        written[table] = path
    return written
