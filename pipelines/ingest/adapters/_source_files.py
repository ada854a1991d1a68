"""Shared plumbing of the source adapters: read one source CSV as text with its row numbers, check its
columns, and record it in the IngestReport.

An adapter reads each source file once into a temporary DuckDB table ``src_<n>`` (every column text,
plus ``_row``: the 1-based data row of the file, header not counted) and then fills the canonical
``raw_<table>`` tables with SQL.  ``_file``/``_row`` of every raw row are those of the *source* file,
so a reject points at the line a user can open; ``_seq`` keeps the global order
(file ordinal * FILE_STRIDE + row), as the canonical reader does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.engine.db import scalar
from pipelines.ingest.contract import TABLES
from pipelines.ingest.extract_files import SourceFile
from pipelines.ingest.readers import (
    FILE_STRIDE,
    IngestReport,
    create_known_member_table,
    create_raw_table,
    csv_header,
    first_line,
    sql_str,
)
from pipelines.run_state.errors import InputFileError


@dataclass
class LoadedFile:
    """One source file staged as ``temp`` with columns by their upper-case names."""

    path: Path
    temp: str
    ordinal: int
    rows: int
    #: upper-case column name -> the name as spelt in the file
    columns: dict[str, str]

    @property
    def name(self) -> str:
        return self.path.name

    def col(self, name: str) -> str:
        """Quoted SQL reference to a column of the file (by its layout name, case ignored)."""
        return '"' + self.columns[name.upper()].replace('"', '""') + '"'

    def has(self, name: str) -> bool:
        return name.upper() in self.columns

    def seq(self, row_expr: str = "_row") -> str:
        return f"({self.ordinal}::BIGINT * {FILE_STRIDE} + {row_expr})"


def create_all_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Every canonical raw table (empty), plus ``raw_known_member``: members the source knows even
    without a Part D span (DE-SynPUF beneficiaries with 0 Part D months), recreated on every run so a
    previous run's list never leaks into this one."""
    for table in TABLES.values():
        create_raw_table(con, table)
    create_known_member_table(con)


def load_source_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    ordinal: int,
    required: Iterable[str],
    layout: str,
) -> LoadedFile:
    """Stage one CSV file as text; a missing column stops the run naming the file and the column."""
    source = SourceFile("source", path, "csv")
    names = csv_header(con, source)
    by_upper: dict[str, str] = {}
    for name in names:
        by_upper.setdefault(name.strip().upper(), name)
    for column in required:
        if column.upper() not in by_upper:
            raise InputFileError(
                path.name,
                f"missing column of the {layout} layout (renamed or absent?)",
                column=column,
                expected=f"the {layout} column names in the header row",
            )
    struct = "{" + ", ".join(f"{sql_str(n)}: 'VARCHAR'" for n in names) + "}"
    relation = (
        f"read_csv({sql_str(str(path))}, header=true, all_varchar=true, delim=',', quote='\"', "
        f"escape='\"', strict_mode=true, null_padding=false, auto_detect=false, columns={struct})"
    )
    temp = f"src_{ordinal}"
    try:
        # preserve_insertion_order keeps the file's record order, so rowid + 1 is the data-row number
        con.execute(f"CREATE OR REPLACE TEMP TABLE {temp}_load AS SELECT * FROM {relation}")
        con.execute(f"CREATE OR REPLACE TEMP TABLE {temp} AS SELECT rowid + 1 AS _row, * FROM {temp}_load")
        con.execute(f"DROP TABLE {temp}_load")
    except duckdb.Error as exc:
        raise InputFileError(path.name, f"cannot be parsed as CSV ({first_line(exc)})") from exc
    rows = scalar(con, f"SELECT count(*) FROM {temp}")
    return LoadedFile(path, temp, ordinal, rows, by_upper)


def drop_sources(con: duckdb.DuckDBPyConnection, files: Iterable[LoadedFile]) -> None:
    for f in files:
        con.execute(f"DROP TABLE IF EXISTS {f.temp}")


def record_file(report: IngestReport, table: str, loaded: LoadedFile, rows_out: int) -> None:
    """One entry of the run's input-file list: the source file, its digest, rows read and rows produced."""
    source = SourceFile(table, loaded.path, "csv")
    report.files.append({
        "table": table, "file": loaded.name, "format": "csv", "bytes": source.size,
        "sha256": source.sha256(), "rows": loaded.rows, "rows_out": rows_out,
    })


def count_rows(con: duckdb.DuckDBPyConnection, table: str, file: str | None = None) -> int:
    where = f" WHERE _file = {sql_str(file)}" if file else ""
    return scalar(con, f"SELECT count(*) FROM raw_{table}{where}")


def finish_report(con: duckdb.DuckDBPyConnection, report: IngestReport, absent: Iterable[str]) -> IngestReport:
    """rows_in per table = raw rows the pipeline will check; absent tables listed as such."""
    absent = list(absent)
    for name in TABLES:
        report.rows_in[name] = 0 if name in absent else count_rows(con, name)
    report.absent_tables = absent
    return report


#: YYYYMMDD -> YYYY-MM-DD; anything else is kept as it is, so staging rejects it with the raw value
YMD_MACRO = """CREATE OR REPLACE TEMP MACRO ymd_to_iso(x) AS (
    CASE WHEN regexp_full_match(trim(x), '[0-9]{8}')
         THEN substr(trim(x), 1, 4) || '-' || substr(trim(x), 5, 2) || '-' || substr(trim(x), 7, 2)
         ELSE nullif(trim(x), '') END)"""

#: a source value as canonical text: trimmed, empty = NULL
TEXT_MACRO = "CREATE OR REPLACE TEMP MACRO src_text(x) AS nullif(trim(x), '')"


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(YMD_MACRO)
    con.execute(TEXT_MACRO)
