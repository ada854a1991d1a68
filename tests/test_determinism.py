"""Determinism: the same extract and date give the same files; a delivery in two parts equals one; shuffled
row order gives the same outputs.  Run ids and timestamps in the manifest are the only differences.

The extract is the first 150 members of the bundled sample (every table, versions, reversals, exact
duplicate rows; its version ties are all exact duplicates, so row order cannot pick a different winner):
``tests.shared_runs.sample_members``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pytest

from tests.reliability_harness import published_files, run, stable_manifest
from tests.shared_runs import DETERMINISM_AS_OF as AS_OF
from tests.shared_runs import engine_and_dagster, sample_members


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
    """(a folder of the module's own, the extract, the engine's published run of it): the session's shared runs
    (``engine_and_dagster``, tests/shared_runs.py), never changed; the long variants run into the folder."""
    runs = engine_and_dagster()
    return (tmp_path_factory.mktemp("determinism"), Path(runs["extract"]),
            Path(runs["engine_home"]) / "runs" / AS_OF)


def test_same_extract_and_date_twice_give_identical_files(baseline):
    """The same extract and date run twice, on two fresh homes: by the core engine (``baseline``) and by
    ``dg.materialize`` of the Dagster definitions (issue 24: the session's two runs of this extract, which
    tests/test_engine.py reads too, instead of two engine runs of its own). Every published byte equal (the
    manifest without run ids, timestamps, timings and paths) proves both that nothing in a run depends on
    chance and that the two paths publish the same files."""
    _root, _extract, first = baseline
    second = Path(engine_and_dagster()["dagster_home"]) / "runs" / AS_OF
    assert published_files(second) == published_files(first)
    assert stable_manifest(second) == stable_manifest(first)
    files = published_files(first)
    assert len(files["member_summary.csv"].splitlines()) > 50  # a real universe, not an empty one


@pytest.mark.long
def test_a_delivery_in_two_parts_equals_one(baseline):
    root, _, whole = baseline
    parts = [sample_members(root / f"part{k}", part=(k, 2)) for k in range(2)]
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
    shuffled = _run(root / "home_shuffled", sample_members(root / "shuffled", order="hash(_r * 7919 + 13)"))
    got, want = published_files(shuffled), published_files(ordered)
    assert _rejects_without_place(got) == _rejects_without_place(want)
    assert _events_without_place(shuffled) == _events_without_place(ordered)
    for name in ("rejects.csv", "member_events.parquet"):
        got.pop(name), want.pop(name)
    assert got == want
