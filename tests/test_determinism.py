"""Determinism: the same extract and date give the same files; a delivery in two parts equals one; shuffled
row order gives the same outputs.  Run ids and timestamps in the manifest are the only differences.

The extract is the first 150 members of the bundled sample (every table, versions, reversals, exact
duplicate rows; its version ties are all exact duplicates, so row order cannot pick a different winner).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.contract import TABLES
from pipelines.run_state.run_context import SAMPLE_EXTRACT
from tests.reliability_harness import published_files, run, stable_manifest

AS_OF = "2025-09-30"
MEMBERS = "M000000150"


def _subset(out: Path, order: str = "_r", part: tuple[int, int] | None = None) -> Path:
    """Rows of the sample's first members, in the given order; part (k, n): the k-th of n consecutive slices."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    for name in TABLES:
        src = SAMPLE_EXTRACT / f"{name}.csv.gz"
        if not src.exists():
            continue
        con.execute(f"CREATE OR REPLACE TABLE t AS SELECT * FROM read_csv('{src}', all_varchar = true)")
        rows = f"(SELECT *, rowid AS _r FROM t WHERE member_id <= '{MEMBERS}')"
        where = ""
        if part is not None:
            k, n = part
            total = con.execute(f"SELECT count(*) FROM {rows}").fetchone()[0]
            size = -(-total // n)
            where = f"WHERE _r IN (SELECT _r FROM {rows} ORDER BY _r LIMIT {size} OFFSET {k * size})"
        con.execute(f"COPY (SELECT * EXCLUDE (_r) FROM {rows} {where} ORDER BY {order}) "
                    f"TO '{out / (name + '.csv')}' (HEADER)")
    con.close()
    return out


def _run(home: Path, *extracts: Path) -> Path:
    return run(home, *extracts, as_of=AS_OF)


def _rejects_without_place(files: dict[str, bytes]) -> list[tuple]:
    """rejects.csv without file name and row number (those name where a row sits, which a split moves)."""
    rows = csv.DictReader(io.StringIO(files["rejects.csv"].decode()))
    return sorted((r["table_name"], r["column_name"], r["reason"], r["value"]) for r in rows)


def _events_without_place(folder: Path) -> list[tuple]:
    """member_events.parquet without source_file and source_row (the portal's pointer to where an event sits,
    which a split or a reorder moves)."""
    rows = duckdb.sql(f"SELECT * EXCLUDE (source_file, source_row) FROM '{folder / 'member_events.parquet'}'")
    return sorted(rows.fetchall(), key=repr)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    root = tmp_path_factory.mktemp("determinism")
    extract = _subset(root / "one")
    folder = _run(root / "home", extract)
    return root, extract, folder


def test_same_extract_and_date_twice_give_identical_files(baseline):
    root, extract, first = baseline
    second = _run(root / "home2", extract)
    assert published_files(second) == published_files(first)
    assert stable_manifest(second) == stable_manifest(first)
    files = published_files(first)
    assert len(files["member_summary.csv"].splitlines()) > 50  # a real universe, not an empty one


@pytest.mark.long
def test_a_delivery_in_two_parts_equals_one(baseline):
    root, _, whole = baseline
    parts = [_subset(root / f"part{k}", part=(k, 2)) for k in range(2)]
    split = _run(root / "home_split", *parts)
    got, want = published_files(split), published_files(whole)
    assert _rejects_without_place(got) == _rejects_without_place(want)
    assert _events_without_place(split) == _events_without_place(whole)
    for name in ("rejects.csv", "member_events.parquet"):
        got.pop(name), want.pop(name)
    assert got == want
    assert stable_manifest(split)["rows_in"] == stable_manifest(whole)["rows_in"]


@pytest.mark.long
def test_shuffled_row_order_gives_identical_outputs(baseline):
    root, _, ordered = baseline
    shuffled = _run(root / "home_shuffled", _subset(root / "shuffled", order="hash(_r * 7919 + 13)"))
    got, want = published_files(shuffled), published_files(ordered)
    assert _rejects_without_place(got) == _rejects_without_place(want)
    assert _events_without_place(shuffled) == _events_without_place(ordered)
    for name in ("rejects.csv", "member_events.parquet"):
        got.pop(name), want.pop(name)
    assert got == want
