"""The home's typed staging, kept across runs: what makes a daily delivery cost one day of reading.

Every run reads its files into the persistent ``staged_<table>`` tables (``sql/declared/``): typed rows
with their file, row number, global order ``_seq`` and the row's problems, tagged with the delivery
they came from (``staged_delivery``; the files of each delivery with their SHA-256 in ``staged_file``).
The run's ``raw_<table>`` views show the rows the run is about, and everything downstream (row rejects,
the version rule, core, targeting) is computed from them as in any run:

* a **full read** (``mtm run --extract ...``) reads every file; its rows replace the stored ones when the
  run publishes;
* a **delivery run** (``mtm run --delivery DIR``) reads only DIR's files, numbered after every stored
  file, so the version rule (latest ``processed_at``, ties by ``_seq``) chooses among old and new rows
  exactly as a full read of the accumulated extract followed by DIR would.

Rows of a run become part of the store only when the run publishes (``commit``); rows of a run that
failed (a bad file in the delivery, a blocking check) are removed when the next run starts, so a bad
delivery never harms what is stored.  The portal's recorded contacts are re-read by every run and never
stored.  Stored rows depend on the input contract only (not on settings, the as-of date or the audit
cut-off, which apply downstream); ``LAYOUT`` names that contract, and a store written under another
layout (or by a source adapter) is not added to: the run reads the whole accumulated extract instead.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from pipelines.engine.db import drop_relation, scalar
from pipelines.engine.models import create_declared
from pipelines.ingest.contract import TABLES
from pipelines.ingest.typed_rows import typed_columns_ddl

DELIVERY_TABLES = ("staged_delivery", "staged_file")
STAGED = {name: f"staged_{name}" for name in TABLES}


def layout() -> str:
    """The typed layout of the stored rows (changes when the contract or the parsing rules change)."""
    from pipelines.ingest import typed_rows

    text = "|".join(typed_columns_ddl(t) for t in TABLES.values()) + Path(typed_rows.__file__).read_text()
    text += Path(__file__).with_name("row_checks.py").read_text()
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def begin(con: duckdb.DuckDBPyConnection) -> None:
    """The store's tables exist; rows of runs that never published (failed, or transient) are gone."""
    for name in (*DELIVERY_TABLES, *STAGED.values()):
        create_declared(con, name)
    pending = "(SELECT delivery_id FROM staged_delivery WHERE NOT committed)"
    if scalar(con, f"SELECT count(*) FROM {pending}"):
        for table in (*STAGED.values(), "staged_file"):
            column = "_delivery" if table.startswith("staged_") and table != "staged_file" else "delivery_id"
            con.execute(f"DELETE FROM {table} WHERE {column} IN {pending}")
        con.execute("DELETE FROM staged_delivery WHERE NOT committed")


def new_delivery(con: duckdb.DuckDBPyConnection, run_id: str, kind: str, extract_dir: str | None,
                 full_read: bool) -> int:
    """Register a delivery of this run (not committed yet); returns its id."""
    delivery = scalar(con, "SELECT coalesce(max(delivery_id), 0) + 1 FROM staged_delivery")
    con.execute("INSERT INTO staged_delivery VALUES (?, ?, ?, ?, ?, ?, false, current_timestamp)",
                [delivery, run_id, kind, extract_dir, layout(), full_read])
    return int(delivery)


def last_ordinal(con: duckdb.DuckDBPyConnection) -> int:
    """The highest file ordinal stored (committed): a delivery's files are numbered after it."""
    return int(scalar(con, "SELECT coalesce(max(ordinal), 0) FROM staged_file f JOIN staged_delivery d "
                           "USING (delivery_id) WHERE d.committed"))


def record_file(con: duckdb.DuckDBPyConnection, delivery: int, ordinal: int, entry: dict) -> None:
    con.execute("INSERT INTO staged_file VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [delivery, ordinal, entry["table"], entry["file"], entry["format"], entry["bytes"], entry["sha256"],
                 entry["rows"]])


def stored_files(con: duckdb.DuckDBPyConnection, first_delivery: int) -> list[dict]:
    """The input files behind the run's rows, in the order a full read lists them (table, then read order)."""
    order = {name: i for i, name in enumerate(TABLES)}
    rows = con.execute('SELECT table_name, file, format, bytes, sha256, "rows", ordinal FROM staged_file '
                       "WHERE delivery_id >= ?", [first_delivery]).fetchall()
    rows.sort(key=lambda r: (order[r[0]], r[6]))
    keys = ("table", "file", "format", "bytes", "sha256", "rows")
    return [dict(zip(keys, r[:6], strict=True)) for r in rows]


def create_run_views(con: duckdb.DuckDBPyConnection, first_delivery: int) -> None:
    """``raw_<table>``: the stored rows of deliveries ``first_delivery`` and later (this run's, and for a
    delivery run every committed one)."""
    for name, staged in STAGED.items():
        drop_relation(con, f"raw_{name}")
        con.execute(f"CREATE VIEW raw_{name} AS SELECT * EXCLUDE (_delivery) FROM {staged} "
                    f"WHERE _delivery >= {int(first_delivery)}")


def committed_extract(con: duckdb.DuckDBPyConnection) -> tuple[list[str], str | None]:
    """The extract folders stored (in read order) and why a delivery cannot be added to them, if it cannot."""
    exists = scalar(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'staged_delivery' "
                         "AND table_schema = current_schema()")
    if not exists:
        return [], "this home has no stored staging yet (no published run read an extract)"
    rows = con.execute("SELECT extract_dir, layout, kind FROM staged_delivery WHERE committed "
                       "ORDER BY delivery_id").fetchall()
    dirs = [r[0] for r in rows if r[2] == "extract"]
    if not rows:
        return [], "this home has no stored staging yet (no published run read an extract)"
    if any(r[2] != "extract" for r in rows):
        return [], ("the stored staging was read through a source adapter (DE-SynPUF / Synthea), "
                    "not the canonical layout")
    if any(r[1] != layout() for r in rows):
        return dirs, "the stored staging was written under another input layout (code version)"
    return dirs, None


def commit(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Make the run's deliveries part of the store; a full read replaces every earlier delivery."""
    con.execute("BEGIN TRANSACTION")
    try:
        full = scalar(con, "SELECT bool_or(full_read) FROM staged_delivery WHERE run_id = ? AND kind = 'extract'",
                      [run_id])
        if full:
            older = "(SELECT delivery_id FROM staged_delivery WHERE run_id <> ?)"
            for staged in STAGED.values():
                con.execute(f"DELETE FROM {staged} WHERE _delivery IN {older}", [run_id])
            con.execute(f"DELETE FROM staged_file WHERE delivery_id IN {older}", [run_id])
            con.execute("DELETE FROM staged_delivery WHERE run_id <> ?", [run_id])
        con.execute("UPDATE staged_delivery SET committed = true WHERE run_id = ? AND kind = 'extract'", [run_id])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
