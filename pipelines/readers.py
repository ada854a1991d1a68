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
from pipelines.db import scalar
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


def sql_str(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _relation_sql(source: SourceFile, csv_columns: str = "") -> str:
    path = sql_str(str(source.path))
    if source.fmt == "parquet":
        return f"read_parquet({path}, file_row_number=true)"
    return (
        f"read_csv({path}, header=true, all_varchar=true, delim=',', quote='\"', escape='\"', "
        f"strict_mode=true, null_padding=false, auto_detect=false, columns={csv_columns})"
    )


def csv_header(con: duckdb.DuckDBPyConnection, source: SourceFile) -> list[str]:
    """The header names of a CSV file, read with DuckDB's sniffer (handles gzip)."""
    if source.size == 0:
        raise InputFileError(source.path.name, "file is empty (no header row)", expected="a CSV header row")
    try:
        rel = con.sql(
            f"SELECT * FROM read_csv({sql_str(str(source.path))}, header=true, all_varchar=true, "
            "delim=',', sample_size=1) LIMIT 0"
        )
        return list(rel.columns)
    except duckdb.Error as exc:
        raise InputFileError(source.path.name, f"cannot be parsed as CSV ({first_line(exc)})") from exc


def first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:300]


def _column_map(source: SourceFile, names: Sequence[str], table: Table) -> dict[str, str]:
    """Map contract column -> column name in the file (case and surrounding spaces ignored)."""
    by_key: dict[str, str] = {}
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
        elif ptype.startswith(("DATE", "INT", "BIGINT", "SMALLINT", "TINYINT", "DECIMAL", "DOUBLE", "FLOAT",
                               "BOOLEAN", "HUGEINT", "UBIGINT", "UINTEGER")):
            expr = f"CAST({ref} AS VARCHAR)"  # typed Parquet values need no trimming
        else:
            expr = f"NULLIF(TRIM(CAST({ref} AS VARCHAR)), '')"
        parts.append(f"{expr} AS {column.name}")
    return ", ".join(parts)


def drop_relation(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop a table or view of that name, whichever it is (raw tables are views over Parquet files)."""
    kind = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = ? AND table_schema = current_schema()",
        [name],
    ).fetchone()
    if kind:
        con.execute(f"DROP {'VIEW' if kind[0] == 'VIEW' else 'TABLE'} {name}")


def drop_file_parts(con: duckdb.DuckDBPyConnection) -> None:
    """Remove the per-file relations of an earlier run (views first: they depend on the tables)."""
    parts = con.execute(
        "SELECT table_name, table_type FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_name LIKE 'raw\\_%\\_\\_%' ESCAPE '\\' "
        "ORDER BY table_type DESC"
    ).fetchall()
    for name, kind in parts:
        con.execute(f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} IF EXISTS {name}")


def create_raw_table(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """An empty raw_<table> (for absent optional files, and for adapters that insert into it)."""
    drop_relation(con, f"raw_{table.name}")
    cols = ", ".join(f"{c.name} VARCHAR" for c in table.columns)
    con.execute(f"CREATE TABLE raw_{table.name} (_file VARCHAR, _row BIGINT, _seq BIGINT, {cols})")


def create_known_member_table(con: duckdb.DuckDBPyConnection) -> None:
    """Members a source knows beyond its eligibility rows (adapters fill it; canonical extracts don't)."""
    con.execute(
        "CREATE OR REPLACE TABLE raw_known_member (_file VARCHAR, _row BIGINT, _seq BIGINT, member_id VARCHAR)"
    )


def load_file(con: duckdb.DuckDBPyConnection, source: SourceFile, table: Table, ordinal: int) -> tuple[str, int]:
    """Make one file readable as ``raw_<table>__<ordinal>`` (text columns + _file, _row, _seq).

    Parquet is not copied: the relation is a view over the file (its row order is ``file_row_number``).
    CSV is copied once into a table whose ``rowid`` is the file's record order (DuckDB preserves
    insertion order), which is what makes row numbers in rejects trustworthy.
    """
    part = f"raw_{table.name}__{ordinal:03d}"
    name = sql_str(source.path.name)
    try:
        if source.fmt == "parquet":
            try:
                described = con.sql(f"DESCRIBE SELECT * FROM read_parquet({sql_str(str(source.path))})").fetchall()
            except duckdb.Error as exc:
                raise InputFileError(source.path.name, f"cannot be read as Parquet ({first_line(exc)})") from exc
            types = {row[0]: row[1] for row in described}
            select = _select_list(table, _column_map(source, list(types), table), types)
            con.execute(
                f"CREATE VIEW {part} AS SELECT {name} AS _file, file_row_number + 1 AS _row, "
                f"{ordinal} * {FILE_STRIDE} + file_row_number + 1 AS _seq, {select} FROM {_relation_sql(source)}"
            )
        else:
            names = csv_header(con, source)
            select = _select_list(table, _column_map(source, names, table), {})
            struct = "{" + ", ".join(f"{sql_str(n)}: 'VARCHAR'" for n in names) + "}"
            relation = _relation_sql(source, struct)
            con.execute(f"CREATE TABLE {part}__data AS SELECT {select} FROM {relation}")
            con.execute(
                f"CREATE VIEW {part} AS SELECT {name} AS _file, rowid + 1 AS _row, "
                f"{ordinal} * {FILE_STRIDE} + rowid + 1 AS _seq, * FROM {part}__data"
            )
        rows = scalar(con, f"SELECT count(*) FROM {part}")
    except duckdb.Error as exc:
        raise InputFileError(source.path.name, f"cannot be parsed ({first_line(exc)})") from exc
    return part, rows


def ingest_extract(
    con: duckdb.DuckDBPyConnection, extract_dirs: Sequence[Path], tables: Sequence[str] | None = None,
    extra_sources: Sequence[SourceFile] = (),
) -> IngestReport:
    """Read every canonical table of the given deliveries (in order) into raw_<table>.

    ``extra_sources`` are read after the deliveries' files of their table, like one more delivery: the
    contacts recorded in the portal (``<home>/events/``, extract_files.recorded_event_files).
    """
    report = IngestReport()
    create_known_member_table(con)
    drop_file_parts(con)
    ordinal = 0
    for name in tables or TABLES:
        table = TABLES[name]
        sources = [f for d in extract_dirs for f in find_table_files(Path(d), name)]
        sources += [f for f in extra_sources if f.table == name]
        if not sources:
            if not table.optional_file:
                where = ", ".join(str(d) for d in extract_dirs)
                raise InputFileError(
                    f"{name}.csv",
                    f"required file missing from the extract ({where})",
                    expected=f"{name}.csv, {name}.csv.gz or {name}.parquet (optionally with a _NNN suffix)",
                )
            create_raw_table(con, table)
            report.absent_tables.append(name)
            report.rows_in[name] = 0
            continue
        parts, total = [], 0
        for source in sources:
            ordinal += 1
            part, rows = load_file(con, source, table, ordinal)
            if rows == 0 and not table.optional_file:
                raise InputFileError(source.path.name, "file has a header but no data rows",
                                     expected="at least one row")
            parts.append(part)
            total += rows
            report.files.append(
                {"table": name, "file": source.path.name, "format": source.fmt, "bytes": source.size,
                 "sha256": source.sha256(), "rows": rows}
            )
        drop_relation(con, f"raw_{name}")
        con.execute(f"CREATE VIEW raw_{name} AS " + " UNION ALL ".join(f"SELECT * FROM {p}" for p in parts))
        report.rows_in[name] = total
    return report
