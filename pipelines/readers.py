"""Readers: canonical extract files -> ``raw_<table>`` tables in DuckDB, every column as text.

Reading everything as text first means a bad value in one row becomes a reject with its file, row number
and column instead of a failed cast for the whole file.  Each raw row keeps ``_file`` (the file name),
``_row`` (1-based data-row number within that file; the header is not counted) and ``_seq`` (a global
order across deliveries and files, the tie-breaker of the claim-version rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.contract import DATE, TABLES, TIMESTAMP, Table
from pipelines.errors import InputFileError
from pipelines.extract_files import SourceFile, find_table_files

#: rows of one file are numbered below this, so _seq = file ordinal * FILE_STRIDE + row
FILE_STRIDE = 10**10


@dataclass
class IngestReport:
    files: list[dict] = field(default_factory=list)
    rows_in: dict[str, int] = field(default_factory=dict)
    absent_tables: list[str] = field(default_factory=list)
    #: plain-language remarks of the reader for the run report (e.g. "SynPUF NDCs are synthetic")
    notes: list[str] = field(default_factory=list)


def _sql_str(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _relation_sql(source: SourceFile) -> str:
    path = _sql_str(str(source.path))
    if source.fmt == "parquet":
        return f"read_parquet({path}, file_row_number=true)"
    return (
        f"read_csv({path}, header=true, all_varchar=true, delim=',', quote='\"', escape='\"', "
        "strict_mode=true, null_padding=false, auto_detect=false, columns=COLUMNS_PLACEHOLDER)"
    )


def _csv_header(con: duckdb.DuckDBPyConnection, source: SourceFile) -> list[str]:
    """The header names of a CSV file, read with DuckDB's sniffer (handles gzip)."""
    if source.size == 0:
        raise InputFileError(source.path.name, "file is empty (no header row)", expected="a CSV header row")
    try:
        rel = con.sql(
            f"SELECT * FROM read_csv({_sql_str(str(source.path))}, header=true, all_varchar=true, "
            "delim=',', sample_size=1) LIMIT 0"
        )
        return list(rel.columns)
    except duckdb.Error as exc:
        raise InputFileError(source.path.name, f"cannot be parsed as CSV ({_first_line(exc)})") from exc


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:300]


def _column_map(source: SourceFile, names: Sequence[str], table: Table) -> dict[str, str]:
    """Map contract column -> column name in the file (case and surrounding spaces ignored)."""
    by_key = {}
    for name in names:
        by_key.setdefault(name.strip().lower(), name)
    missing = [c for c in table.required_columns if c not in by_key]
    if missing:
        raise InputFileError(
            source.path.name,
            "missing required column",
            column=missing[0],
            expected=f"columns {', '.join(table.required_columns)} (see input-contract.md, {table.name})",
        )
    return {c.name: by_key[c.name] for c in table.columns if c.name in by_key}


def _select_list(table: Table, colmap: dict[str, str], parquet_types: dict[str, str]) -> str:
    parts = []
    for column in table.columns:
        src = colmap.get(column.name)
        if src is None:
            parts.append(f"CAST(NULL AS VARCHAR) AS {column.name}")
            continue
        ref = '"' + src.replace('"', '""') + '"'
        ptype = parquet_types.get(src, "VARCHAR").upper()
        if column.kind == DATE and ptype.startswith("TIMESTAMP"):
            expr = f"CAST(CAST({ref} AS DATE) AS VARCHAR)"
        elif column.kind == TIMESTAMP and ptype.startswith("TIMESTAMP"):
            expr = f"strftime({ref}, '%Y-%m-%d %H:%M:%S.%f')"
        else:
            expr = f"NULLIF(TRIM(CAST({ref} AS VARCHAR)), '')"
        parts.append(f"{expr} AS {column.name}")
    return ", ".join(parts)


def create_raw_table(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    cols = ", ".join(f"{c.name} VARCHAR" for c in table.columns)
    con.execute(
        f"CREATE OR REPLACE TABLE raw_{table.name} (_file VARCHAR, _row BIGINT, _seq BIGINT, {cols})"
    )


def create_known_member_table(con: duckdb.DuckDBPyConnection) -> None:
    """Members a source knows beyond its eligibility rows (adapters fill it; canonical extracts don't)."""
    con.execute("CREATE OR REPLACE TABLE raw_known_member (_file VARCHAR, _row BIGINT, _seq BIGINT, member_id VARCHAR)")


def load_file(con: duckdb.DuckDBPyConnection, source: SourceFile, table: Table, ordinal: int) -> int:
    """Append one file's rows to raw_<table>; returns the number of data rows read."""
    if source.fmt == "parquet":
        try:
            described = con.sql(f"DESCRIBE SELECT * FROM read_parquet({_sql_str(str(source.path))})").fetchall()
        except duckdb.Error as exc:
            raise InputFileError(source.path.name, f"cannot be read as Parquet ({_first_line(exc)})") from exc
        types = {row[0]: row[1] for row in described}
        colmap = _column_map(source, list(types), table)
        select = _select_list(table, colmap, types)
        row_expr = "file_row_number + 1"
        relation = _relation_sql(source)
    else:
        names = _csv_header(con, source)
        colmap = _column_map(source, names, table)
        select = _select_list(table, colmap, {})
        struct = "{" + ", ".join(f"{_sql_str(n)}: 'VARCHAR'" for n in names) + "}"
        relation = _relation_sql(source).replace("COLUMNS_PLACEHOLDER", struct)
        row_expr = None
    try:
        if row_expr is None:
            # DuckDB keeps insertion order (preserve_insertion_order), so a staged copy's rowid is the
            # file's record order: that is what makes row numbers in rejects trustworthy.
            con.execute(f"CREATE OR REPLACE TEMP TABLE _load AS SELECT {select} FROM {relation}")
            row_expr = "rowid + 1"
            select_from = (
                f"SELECT {_sql_str(source.path.name)}, {row_expr}, {ordinal} * {FILE_STRIDE} + {row_expr}, * "
                "FROM _load"
            )
        else:
            select_from = (
                f"SELECT {_sql_str(source.path.name)}, {row_expr}, {ordinal} * {FILE_STRIDE} + {row_expr}, "
                f"{select} FROM {relation}"
            )
        before = con.execute(f"SELECT count(*) FROM raw_{table.name}").fetchone()[0]
        con.execute(f"INSERT INTO raw_{table.name} {select_from}")
        after = con.execute(f"SELECT count(*) FROM raw_{table.name}").fetchone()[0]
    except duckdb.Error as exc:
        raise InputFileError(source.path.name, f"cannot be parsed ({_first_line(exc)})") from exc
    finally:
        con.execute("DROP TABLE IF EXISTS _load")
    return after - before


#: tables an extract must hold, and tables where a header-only file is still an error
REQUIRED_FILES = tuple(name for name, t in TABLES.items() if not t.optional_file)


def ingest_extract(
    con: duckdb.DuckDBPyConnection, extract_dirs: Sequence[Path], tables: Sequence[str] | None = None
) -> IngestReport:
    """Read every canonical table of the given deliveries (in order) into raw_<table>."""
    report = IngestReport()
    create_known_member_table(con)
    ordinal = 0
    for name in tables or TABLES:
        table = TABLES[name]
        create_raw_table(con, table)
        sources = [f for d in extract_dirs for f in find_table_files(Path(d), name)]
        if not sources:
            if not table.optional_file:
                where = ", ".join(str(d) for d in extract_dirs)
                raise InputFileError(
                    f"{name}.csv",
                    f"required file missing from the extract ({where})",
                    expected=f"{name}.csv, {name}.csv.gz or {name}.parquet (optionally with a _NNN suffix)",
                )
            report.absent_tables.append(name)
            report.rows_in[name] = 0
            continue
        total = 0
        for source in sources:
            ordinal += 1
            rows = load_file(con, source, table, ordinal)
            if rows == 0 and not table.optional_file:
                raise InputFileError(source.path.name, "file has a header but no data rows",
                                     expected="at least one row")
            total += rows
            report.files.append(
                {"table": name, "file": source.path.name, "format": source.fmt, "bytes": source.size,
                 "sha256": source.sha256(), "rows": rows}
            )
        report.rows_in[name] = total
    return report
