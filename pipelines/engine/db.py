"""Small DuckDB helpers shared by the steps (typed, so the callers stay simple)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> Any:
    """The single value a query returns (a count, a flag); a query that returns no row is a bug here."""
    row = con.execute(sql, params or []).fetchone()
    if row is None:
        raise ValueError(f"query returned no row: {sql[:80]}")
    return row[0]


def one_row(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> tuple[Any, ...]:
    """The one row an aggregate query returns (several counts at once)."""
    row = con.execute(sql, params or []).fetchone()
    if row is None:
        raise ValueError(f"query returned no row: {sql[:80]}")
    return row


def drop_relation(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop a table or view of that name, whichever it is (raw tables are views over Parquet files)."""
    kind = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = ? AND table_schema = current_schema()",
        [name],
    ).fetchone()
    if kind:
        con.execute(f"DROP {'VIEW' if kind[0] == 'VIEW' else 'TABLE'} {name}")


def table_comment(con: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """The comment of a table of the current database (a seed's or a reused model's fingerprint); None when it
    has none or is missing. The current database only: the model harness attaches another with the same names."""
    row = con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = ? AND schema_name = current_schema() "
                      "AND database_name = current_database()", [table]).fetchone()
    return row[0] if row else None


def create_table_as(con: duckdb.DuckDBPyConnection, table: str, select: str) -> int:
    """``CREATE OR REPLACE TABLE table AS select``; returns the rows written (DuckDB reports them: no count
    query over the new table)."""
    created = con.execute(f"CREATE OR REPLACE TABLE {table} AS\n{select}").fetchone()
    return int(created[0]) if created else scalar(con, f"SELECT count(*) FROM {table}")


def replace_with_comment(con: duckdb.DuckDBPyConnection, table: str, select: str, comment: str) -> int:
    """``create_table_as`` and the table's comment in one transaction, so that a table carrying the comment (a
    fingerprint) is complete; returns the rows written."""
    con.execute("BEGIN TRANSACTION")
    try:
        rows = create_table_as(con, table, select)
        con.execute(f"COMMENT ON TABLE {table} IS '{comment}'")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return rows
