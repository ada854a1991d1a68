"""Readers: canonical extract files -> typed rows of the home's staging store, seen as ``raw_<table>``.

Each file is read once: values are parsed by the input contract and the row checks run in the same pass
(pipelines.ingest.typed_rows), so a bad value in one row becomes a reject with its file, row number and column
instead of a failed cast for the whole file.  Each row keeps ``_file`` (the file name),
``_row`` (1-based data-row number within that file; the header is not counted) and ``_seq`` (a global
order across deliveries and files, the tie-breaker of the claim-version rule).
"""

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.engine.db import drop_relation, scalar
from pipelines.engine.models import install_macros
from pipelines.ingest import staging_store
from pipelines.ingest.contract import DATE, INT, TABLES, TIMESTAMP, Table
from pipelines.ingest.extract_files import (
    MAX_LINE_BYTES,
    SourceFile,
    find_table_files,
    long_last_line,
    unrecognised_files,
)
from pipelines.ingest.typed_rows import is_typed, typed_select
from pipelines.run_state.errors import InputFileError

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


def _check_last_line(source: SourceFile) -> None:
    """DuckDB drops a final line longer than its buffer without an error (a 50 MB line without a newline
    vanished): the tail of a plain CSV is measured here (a .csv.gz in its decompression pass,
    ``SourceFile.verify_gzip``). The line is numbered only when it is too long: that reads the file once more."""
    if source.path.name.lower().endswith(".gz"):
        return
    with source.path.open("rb") as fh:
        end = fh.seek(0, 2)
        scanned = 0
        while scanned <= MAX_LINE_BYTES and scanned < end:
            size = min(1 << 20, end - scanned)
            fh.seek(end - scanned - size)
            block = fh.read(size)
            cut = block.rfind(b"\n", 0, len(block) - 1 if scanned == 0 else len(block))
            if cut >= 0:
                scanned += len(block) - cut - 1
                break
            scanned += size
    if scanned > MAX_LINE_BYTES:
        breaks, tail = 0, b""
        with source.path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 22), b""):
                breaks, tail = breaks + block.count(b"\n"), block[-1:]
        raise long_last_line(source.path.name, breaks if tail == b"\n" else breaks + 1)


def csv_header(con: duckdb.DuckDBPyConnection, source: SourceFile) -> list[str]:
    """The header names of a CSV file (plain or gzip), as written; blank names become column<N>.

    Read with Python's csv module rather than DuckDB's sniffer: the sniffer guesses the layout from a
    sample and, on a broken file (a ragged or 10,000-field row), reports a guess instead of the line
    that is wrong; the strict DuckDB read that follows then names that line.
    """
    if source.size == 0:
        raise InputFileError(source.path.name, "file is empty (no header row)", expected="a CSV header row")
    with source.path.open("rb") as fh:
        magic = fh.read(4)
    if not source.path.name.lower().endswith(".gz") and magic[:2] == b"\x1f\x8b":
        raise InputFileError(source.path.name, "is gzip-compressed but not named .csv.gz", expected="name it .csv.gz")
    if magic == b"PAR1":
        raise InputFileError(source.path.name, "is a Parquet file but named as CSV", expected="name it .parquet")
    names = _raw_header(source)
    if any("\ufffd" in n for n in names):
        raise InputFileError(source.path.name, "line 1 (the header): text is not UTF-8 (re-export the file as UTF-8)")
    if not names:
        raise InputFileError(source.path.name, "file is empty (no header row)", expected="a CSV header row")
    seen: dict[str, int] = {}
    unique = []
    for i, name in enumerate(names, start=1):
        name = name if name.strip() else f"column{i}"
        key = name.lower()
        seen[key] = seen.get(key, 0) + 1
        unique.append(name if seen[key] == 1 else f"{name}_{seen[key] - 1}")
    return unique


#: what DuckDB's CSV errors mean, said for a data analyst (the first matching pattern wins)
CSV_PROBLEMS = (
    (r"Expected Number of Columns: (\d+) Found: (\d+)",
     lambda m: (f"a row has {m.group(2)} fields but the header has {m.group(1)}"
                if int(m.group(2)) < int(m.group(1)) else
                f"a row has more fields than the header's {m.group(1)}") + " (wrong delimiter, stray comma or quote?)"),
    (r"state machine reached an invalid state",
     lambda m: "inconsistent line endings or quoting (CRLF and LF mixed, or a stray quote)"),
    (r"not utf-8 encoded|Invalid unicode", lambda m: "text is not UTF-8 (re-export the file as UTF-8)"),
    (r"[Mm]aximum line size", lambda m: "a line is longer than the 2 MB limit (a missing newline or an "
                                        "unterminated quote?)"),
    (r"unterminated quote", lambda m: "a quoted value is never closed (unterminated quote)"),
    (r"does not support a full read on this file",  # a line longer than DuckDB's buffer (about 32 MB), not the last
     lambda m: "a line is longer than the 2 MB limit (a missing newline or an unterminated quote?)"),
)


def first_line(exc: Exception) -> str:
    """DuckDB's message cut to what helps: the CSV line it failed on and the problem in words."""
    text = str(exc).strip()
    line = re.search(r"CSV Error on Line: (\d+)", text)
    for pattern, explain in CSV_PROBLEMS:
        match = re.search(pattern, text)
        if match:
            where = f"line {line.group(1)} (the header is line 1): " if line else ""
            return where + explain(match)
    return text.splitlines()[0][:300]


def _raw_header(source: SourceFile) -> list[str]:
    """The header as written (DuckDB renames a repeated name to name_1, which would hide it)."""
    opener = gzip.open if source.path.name.lower().endswith(".gz") else open
    try:
        with opener(source.path, "rt", encoding="utf-8-sig", errors="replace", newline="") as fh:
            return next(csv.reader(fh), [])
    except (OSError, EOFError, csv.Error):
        return []


def _header_problem(source: SourceFile, names: Sequence[str]) -> str | None:
    raw = [n.strip().lower() for n in _raw_header(source)]
    repeated = sorted({n for n in raw if raw.count(n) > 1 and n in {c for t in TABLES.values() for c in
                                                                      (col.name for col in t.columns)}})
    if repeated:
        return f"column '{repeated[0]}' appears more than once in the header"
    if len(names) == 1:
        for label, delim in (("semicolons", ";"), ("tabs", "\t"), ("pipes", "|")):
            if delim in names[0]:
                return f"the header is one column separated by {label}; the file must be comma-separated"
    return None


def _column_map(source: SourceFile, names: Sequence[str], table: Table) -> dict[str, str]:
    """Map contract column -> column name in the file (case and surrounding spaces ignored)."""
    by_key: dict[str, str] = {}
    for name in names:
        by_key.setdefault(name.strip().lower().lstrip("\ufeff"), name)
    missing = [c for c in table.required_columns if c not in by_key]
    if missing:
        raise InputFileError(
            source.path.name,
            "missing required column",
            column=missing[0],
            expected=f"columns {', '.join(table.required_columns)} (see input-contract.md, {table.name})",
        )
    return {c.name: by_key[c.name] for c in table.columns if c.name in by_key}


def _select_list(table: Table, colmap: dict[str, str], parquet_types: dict[str, str]) -> tuple[str, dict[str, str]]:
    """Each contract column as ``<column>__raw``: a typed Parquet value the pipeline uses as it is, else the
    delivered value as trimmed text (empty = missing); returns the select list and the typed columns' types."""
    parts, typed = [], {}
    for column in table.columns:
        src = colmap.get(column.name)
        raw = f"{column.name}__raw"
        if src is None:
            parts.append(f"CAST(NULL AS VARCHAR) AS {raw}")
            continue
        ref = '"' + src.replace('"', '""') + '"'
        ptype = parquet_types.get(src, "VARCHAR").upper()
        if is_typed(column, ptype):
            parts.append(f"{ref} AS {raw}")
            typed[column.name] = ptype
            continue
        if column.kind == DATE and ptype.startswith("TIMESTAMP"):
            expr = f"CAST(CAST({ref} AS DATE) AS VARCHAR)"
        elif column.kind == TIMESTAMP and ptype.startswith("TIMESTAMP"):
            expr = f"strftime({ref}, '%Y-%m-%d %H:%M:%S.%f')"
        elif column.kind == INT and ptype.startswith(("DOUBLE", "FLOAT", "DECIMAL")):
            # a whole-number float (30.0, Excel/pandas style) is the whole number; 30.5 stays and is rejected
            expr = f"CASE WHEN {ref} = trunc({ref}) THEN CAST(CAST({ref} AS BIGINT) AS VARCHAR) " \
                   f"ELSE CAST({ref} AS VARCHAR) END"
        elif ptype.startswith(("DATE", "INT", "BIGINT", "SMALLINT", "TINYINT", "DECIMAL", "DOUBLE", "FLOAT",
                               "BOOLEAN", "HUGEINT", "UBIGINT", "UINTEGER")):
            expr = f"CAST({ref} AS VARCHAR)"  # typed Parquet values need no trimming
        else:
            expr = f"NULLIF(TRIM(CAST({ref} AS VARCHAR), ' \t\r\n'), '')"  # tabs and stray CRs too
        parts.append(f"{expr} AS {raw}")
    return ", ".join(parts), typed


def create_raw_table(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """An empty text raw_<table> that a source adapter inserts into (typed afterwards: type_text_tables)."""
    drop_relation(con, f"raw_{table.name}")
    cols = ", ".join(f"{c.name} VARCHAR" for c in table.columns)
    con.execute(f"CREATE TABLE raw_{table.name} (_file VARCHAR, _row BIGINT, _seq BIGINT, {cols})")


def create_known_member_table(con: duckdb.DuckDBPyConnection) -> None:
    """Members a source knows beyond its eligibility rows (adapters fill it; canonical extracts don't)."""
    con.execute(
        "CREATE OR REPLACE TABLE raw_known_member (_file VARCHAR, _row BIGINT, _seq BIGINT, member_id VARCHAR)"
    )


def _insert_typed(con: duckdb.DuckDBPyConnection, table: Table, delivery: int, source_sql: str,
                  typed: dict[str, str]) -> int:
    """Parse and check the rows of ``source_sql`` in one pass into the home's staged_<table>."""
    select = typed_select(table, source_sql, typed, extra=f"{int(delivery)} AS _delivery")
    return int(scalar(con, f"INSERT INTO staged_{table.name} BY NAME {select}"))


def _keeps_file_order(con: duckdb.DuckDBPyConnection, create: str) -> bool:
    """Whether DuckDB will write the rows of ``create`` (a CREATE TABLE AS) in the order it reads them."""
    plan = "\n".join(str(row[1]) for row in con.execute(f"EXPLAIN {create}").fetchall())
    return "BATCH_CREATE_TABLE_AS" in plan


def _insert_typed_numbered(con: duckdb.DuckDBPyConnection, table: Table, delivery: int, name: str, seq: str,
                           select: str, relation: str) -> int:
    """Like ``_insert_typed`` for a CSV, whose reader gives no record number.

    The rows are parsed and checked in parallel into a temporary table whose row ids are then the record
    numbers, and copied to staged_<table> numbered: numbering the scan with ``row_number() OVER ()`` made the
    whole parse, check and write one thread (100k members, pharmacy_claim.csv.gz: 69 s -> 39 s).  Row ids
    follow the file only when DuckDB keeps insertion order, which it does for a plan of projections
    (``BATCH_CREATE_TABLE_AS``) but not through a join (an ``IN`` list of five values becomes one): the plan
    is checked first, and any other plan numbers the scan with the window instead."""
    unnumbered = f"SELECT {name} AS _file, NULL::BIGINT AS _row, NULL::BIGINT AS _seq, {select} FROM {relation}"
    create = (f"CREATE OR REPLACE TEMP TABLE _csv_typed_rows AS "
              f"{typed_select(table, unnumbered, {}, extra=f'{int(delivery)} AS _delivery')}")
    if not _keeps_file_order(con, create):
        numbered = (f"SELECT {name} AS _file, _row, {seq} + _row AS _seq, * EXCLUDE (_row) FROM ("
                    f"SELECT row_number() OVER () AS _row, {select} FROM {relation})")
        return _insert_typed(con, table, delivery, numbered, {})
    con.execute(create)
    try:
        return int(scalar(con, f"INSERT INTO staged_{table.name} BY NAME SELECT * REPLACE "
                               f"(rowid + 1 AS _row, {seq} + rowid + 1 AS _seq) FROM _csv_typed_rows"))
    finally:
        con.execute("DROP TABLE IF EXISTS _csv_typed_rows")


def load_file(con: duckdb.DuckDBPyConnection, source: SourceFile, table: Table, ordinal: int,
              delivery: int = 0) -> tuple[str, int]:
    """Read one file, typed, into ``staged_<table>`` (tagged with its delivery); returns (file, rows).

    Every value is parsed once and the row checks run on the parsed values in the same pass
    (pipelines.ingest.typed_rows).  Rows keep ``_row``, the data-row number in the file: Parquet's
    ``file_row_number``, and for CSV the record number (the row id of the parsed rows in a temporary table,
    which DuckDB fills in file order: insertion order is preserved; ``_insert_typed_numbered``).
    """
    name = sql_str(source.path.name)
    seq = f"{ordinal}::BIGINT * {FILE_STRIDE}"
    try:
        if source.fmt == "parquet":
            try:
                described = con.sql(f"DESCRIBE SELECT * FROM read_parquet({sql_str(str(source.path))})").fetchall()
            except duckdb.Error as exc:
                raise InputFileError(source.path.name, f"cannot be read as Parquet ({first_line(exc)})") from exc
            types = {row[0]: row[1] for row in described}
            select, typed = _select_list(table, _column_map(source, list(types), table), types)
            source_sql = (f"SELECT {name} AS _file, file_row_number + 1 AS _row, {seq} + file_row_number + 1 AS _seq, "
                          f"{select} FROM {_relation_sql(source)}")
        else:
            names = csv_header(con, source)
            _check_last_line(source)
            problem = _header_problem(source, names)
            if problem:
                raise InputFileError(source.path.name, problem,
                                     expected=f"comma-separated columns {', '.join(table.required_columns)}")
            select, _ = _select_list(table, _column_map(source, names, table), {})
            struct = "{" + ", ".join(f"{sql_str(n)}: 'VARCHAR'" for n in names) + "}"
            relation = _relation_sql(source, struct)
            return source.path.name, _insert_typed_numbered(con, table, delivery, name, seq, select, relation)
        rows = _insert_typed(con, table, delivery, source_sql, typed)
    except duckdb.Error as exc:
        raise InputFileError(source.path.name, f"cannot be parsed ({first_line(exc)})") from exc
    return source.path.name, rows


def ingest_extract(
    con: duckdb.DuckDBPyConnection, extract_dirs: Sequence[Path], tables: Sequence[str] | None = None,
    extra_sources: Sequence[SourceFile] = (), run_id: str = "adhoc", delivery_run: bool = False,
) -> IngestReport:
    """Read every canonical table of the given deliveries (in order), typed, into the home's staging store.

    ``extra_sources`` are read after the deliveries' files of their table, like one more delivery: the
    contacts recorded in the portal (``<home>/events/``, extract_files.recorded_event_files); they are
    re-read by every run and never stored.  ``delivery_run``: the folders are new deliveries added to the
    stored rows (numbered after them); otherwise they are the whole extract.  ``raw_<table>`` is then the
    run's view of the stored rows (pipelines.ingest.staging_store).
    """
    report = IngestReport()
    install_macros(con)  # the contract's parsers
    create_known_member_table(con)
    staging_store.begin(con)
    ordinal = staging_store.last_ordinal(con) if delivery_run else 0
    deliveries = {str(d): staging_store.new_delivery(con, run_id, "extract", str(d), full_read=not delivery_run)
                  for d in extract_dirs}
    first = 0 if delivery_run else min(deliveries.values(), default=0)
    portal = staging_store.new_delivery(con, run_id, "portal", None, full_read=False) if extra_sources else 0
    if not first and not delivery_run:  # a delivery run shows every stored delivery (first = 0), portal or not
        first = portal
    for name in tables or TABLES:
        table = TABLES[name]
        sources = [(deliveries[str(d)], f) for d in extract_dirs for f in find_table_files(Path(d), name)]
        sources += [(portal, f) for f in extra_sources if f.table == name]
        if not sources and not table.optional_file and not delivery_run:
            where = ", ".join(str(d) for d in extract_dirs)
            strays = [f for d in extract_dirs for f in unrecognised_files(Path(d), TABLES)]
            hint = f"; files not recognised as any table: {', '.join(strays)}" if strays else ""
            raise InputFileError(
                f"{name}.csv",
                f"required file missing from the extract ({where}){hint}",
                expected=f"{name}.csv, {name}.csv.gz or {name}.parquet (optionally with a _NNN suffix)",
            )
        for delivery, source in sources:
            ordinal += 1
            source.verify_gzip()
            _, rows = load_file(con, source, table, ordinal, delivery)
            if rows == 0 and not table.optional_file:
                raise InputFileError(source.path.name, "file has a header but no data rows",
                                     expected="at least one row")
            entry = {"table": name, "file": source.path.name, "format": source.fmt, "bytes": source.size,
                     "sha256": source.sha256(), "rows": rows}
            staging_store.record_file(con, delivery, ordinal, entry)
            source.assert_unchanged()  # after the rows and the checksum were taken: one consistent file
    staging_store.create_run_views(con, first)
    report.files = staging_store.stored_files(con, first)
    for name in tables or TABLES:
        files = [f for f in report.files if f["table"] == name]
        report.rows_in[name] = sum(f["rows"] for f in files)
        if not files:
            report.absent_tables.append(name)
        report.notes.extend(_identical_files_notes(report.files, name))
    return report


def type_text_tables(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """A source adapter's text raw_<table> tables -> typed rows of the store (one delivery of this run,
    never added to by a delivery run) and the run's raw_<table> views."""
    install_macros(con)
    staging_store.begin(con)
    delivery = staging_store.new_delivery(con, run_id, "adapter", None, full_read=True)
    for name, table in TABLES.items():
        con.execute(f"ALTER TABLE raw_{name} RENAME TO raw_{name}__text")
        raws = ", ".join(f"{c.name} AS {c.name}__raw" for c in table.columns)  # as the adapter wrote them
        _insert_typed(con, table, delivery, f"SELECT _file, _row, _seq, {raws} FROM raw_{name}__text", {})
        con.execute(f"DROP TABLE raw_{name}__text")
    staging_store.create_run_views(con, delivery)


def _identical_files_notes(files: list[dict], table: str) -> list[str]:
    """A part delivered twice under two names is read twice; say so (its rows collapse by the version rule)."""
    seen: dict[str, str] = {}
    notes: list[str] = []
    for f in (f for f in files if f["table"] == table):
        if f["sha256"] in seen:
            notes.append(f"{f['file']} is byte-identical to {seen[f['sha256']]}: a part delivered twice? Its rows "
                         "were read twice; repeated claim versions and exact duplicate rows count once")
        seen.setdefault(f["sha256"], f["file"])
    return notes
