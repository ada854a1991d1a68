"""What a run records about itself, for its ``run_manifest.json``: the ``run_report`` table.

Each step of the asset graph adds facts (input files with SHA-256, rows read, absent tables, warnings,
Great Expectations results, its own build time) under the run's id; publishing and failure reporting
read them back.  Facts travel through the warehouse, not a side file, so any step may run in any process.
Only counts and file facts go here: never a member id, never PHI.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import duckdb

from pipelines.engine.models import create_declared

#: the facts a connection holds back while ``batched`` (by ``id`` of the connection): rows of (run, step, key,
#: value as JSON)
_held: dict[int, list[tuple[str, str, str, str]]] = {}


@contextmanager
def batched(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Hold the facts recorded on ``con`` and write them in one INSERT when the block ends (or when they are
    read, ``facts``/``timings``). Each INSERT on its own is a commit of the warehouse file (~1 ms): a whole run's
    ~160 of them were a seventh of a small run. The engine runs a graph inside this block on its one
    connection; a run that fails still writes what it held (the failure report reads it), unless the warehouse
    itself is failing, when the original error is the one worth reporting."""
    key = id(con)
    _held[key] = []
    try:
        yield
    except BaseException:
        with suppress(duckdb.Error):
            flush(con)
        raise
    else:
        flush(con)
    finally:
        _held.pop(key, None)


def flush(con: duckdb.DuckDBPyConnection) -> None:
    """Write the facts ``con`` holds back (nothing when it holds none)."""
    rows = _held.get(id(con))
    if rows:
        _write(con, rows)
        rows.clear()


def record(con: duckdb.DuckDBPyConnection, run_id: str, step: str, key: str, value: Any) -> None:
    """One fact. A step run again in the same run records it again: the readers take the latest row of a step
    and key (``recorded_at``, then insertion order), so nothing is deleted (a DELETE before each INSERT was a
    third of what the facts cost a small run, whose ~160 steps each record their time).

    The table is declared only when it is missing: declaring it at every call (a DDL statement and a DESCRIBE)
    cost a tiny run ~0.15 s of its ~150 calls. ``facts``/``timings`` still declare it, and add the columns a
    newer version of the table has, before anything is read."""
    row = (run_id, step, key, json.dumps(value, default=str))
    held = _held.get(id(con))
    if held is not None:
        held.append(row)
    else:
        _write(con, [row])
    if key == "seconds" and os.environ.get("MTM_PROGRESS"):  # `make bench` follows the run step by step
        print(f"mtm-progress {step} {value}", file=sys.stdout, flush=True)


def _write(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str, str, str]]) -> None:
    """One INSERT of ``rows``; the table is declared only when it is missing (see ``record``)."""
    sql = "INSERT INTO run_report (run_id, step, key, value) VALUES " + ", ".join(["(?, ?, ?, ?)"] * len(rows))
    params = [value for row in rows for value in row]
    try:
        con.execute(sql, params)
    except duckdb.CatalogException:
        create_declared(con, "run_report")
        con.execute(sql, params)


def facts(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any]:
    """key -> value of every fact the run recorded (a key recorded by two steps: the later one)."""
    flush(con)
    create_declared(con, "run_report")
    rows = con.execute("SELECT key, value FROM run_report WHERE run_id = ? AND key <> 'seconds' "
                       "ORDER BY recorded_at, rowid", [run_id]).fetchall()
    return {key: json.loads(value) for key, value in rows}


def timings(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, float]:
    """Seconds per asset, in the order they first ran (a step run again: its last time)."""
    flush(con)
    create_declared(con, "run_report")
    rows = con.execute("SELECT step, value FROM run_report WHERE run_id = ? AND key = 'seconds' "
                       "ORDER BY recorded_at, rowid", [run_id]).fetchall()
    return {step: json.loads(value) for step, value in rows}
