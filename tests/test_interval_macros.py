"""The interval macros of sql/_macros.sql (interval_islands, interval_sweep, shifted_supply) against a plain
day-by-day count: the six models that merge covered days (issue 28) rely on them."""

from __future__ import annotations

import datetime as dt
import random

import duckdb
import pytest

from pipelines.engine.models import catalog, install_macros

D0 = dt.date(2025, 1, 1)


@pytest.fixture
def con():
    con = duckdb.connect()
    install_macros(con)
    yield con
    con.close()


def _intervals(rng: random.Random, n: int) -> list[tuple[str, int, int]]:
    rows = []
    for _ in range(n):
        start = rng.randint(0, 60)
        rows.append((rng.choice("ab"), start, start + rng.randint(-2, 12)))  # some empty (e < s)
    return rows


def _days(rows, key):
    return {d for k, s, e in rows if k == key for d in range(s, e + 1)}


def _runs(days: set[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for d in sorted(days):
        if runs and d == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], d)
        else:
            runs.append((d, d))
    return runs


@pytest.mark.parametrize("seed", range(25))
def test_islands_are_the_union_of_the_days_split_where_a_day_is_missing(con, seed):
    rows = _intervals(random.Random(seed), 12)
    con.execute("CREATE TABLE given (k VARCHAR, s INTEGER, e INTEGER)")
    con.executemany("INSERT INTO given VALUES (?, ?, ?)", rows)
    got = con.execute("SELECT k, island_start, island_end FROM interval_islands('given') ORDER BY ALL").fetchall()
    expected = sorted((k, s, e) for k in "ab" for s, e in _runs(_days(rows, k)))
    assert got == expected


def test_islands_merge_touching_date_spans_and_keep_a_gap_of_one_day(con):
    got = con.execute("""
        WITH span AS (SELECT * FROM (VALUES
            ({'m': 'M1'}, DATE '2025-01-01', DATE '2025-01-31'),
            ({'m': 'M1'}, DATE '2025-02-01', DATE '2025-02-10'),   -- touches: one island
            ({'m': 'M1'}, DATE '2025-02-12', DATE '2025-02-20'),   -- 11 February uncovered: a new island
            ({'m': 'M1'}, DATE '2025-02-14', DATE '2025-02-15'))   -- inside the last one
            AS t(k, s, e))
        SELECT k.m, island_start, island_end FROM interval_islands('span') ORDER BY island_start""").fetchall()
    assert got == [("M1", dt.date(2025, 1, 1), dt.date(2025, 2, 10)),
                   ("M1", dt.date(2025, 2, 12), dt.date(2025, 2, 20))]


@pytest.mark.parametrize("seed", range(25))
def test_sweep_counts_the_kinds_covering_each_day(con, seed):
    rng = random.Random(seed)
    kinds = {kind: _runs({d for _, s, e in _intervals(rng, 3) for d in range(s, e + 1)}) for kind in "xyz"}
    con.execute("CREATE TABLE islands (k VARCHAR, s INTEGER, e INTEGER)")
    con.executemany("INSERT INTO islands VALUES ('M', ?, ?)", [r for runs in kinds.values() for r in runs])
    got = {d: n for _, s, e, n in con.execute("SELECT * FROM interval_sweep('islands')").fetchall()
           for d in range(s, e + 1)}
    for day in range(-5, 90):
        expected = sum(any(s <= day <= e for s, e in runs) for runs in kinds.values())
        assert got.get(day, 0) == expected, day


def test_shifted_supply_starts_a_refill_the_day_after_the_supply_on_hand_ends(con):
    # day 0: 30 days; day 20: 30 more (shifted to 30..59); day 100: after a gap, not shifted
    rows = con.execute("""
        WITH fill AS (SELECT * FROM (VALUES
            ('M1', DATE '2025-01-01', 'c1', 0, 30),
            ('M1', DATE '2025-01-21', 'c2', 20, 30),
            ('M1', DATE '2025-04-11', 'c3', 100, 10))
            AS t(k, fill_date, claim_id, start_day, days_supply))
        SELECT claim_id, cover_start, cover_end FROM shifted_supply('fill') ORDER BY claim_id""").fetchall()
    assert rows == [("c1", 0, 30), ("c2", 30, 60), ("c3", 100, 110)]


def test_the_interval_models_use_the_macros_and_read_no_helper_table():
    models = catalog()
    for name in ("core_member_coverage", "tgt_member_pdc", "qm_pdc_member", "qm_safety_overlap", "tgt_risk_signal",
                 "tgt_drug_interaction", "qm_excluded_interval"):
        assert "interval_islands(" in models[name].sql, name
        assert not {"span", "supply", "kind_span", "kind_island", "drug_span", "removed"} & models[name].reads, name
    for name in ("tgt_member_pdc", "qm_pdc_member"):
        assert "shifted_supply(" in models[name].sql
    for name in ("qm_safety_overlap", "tgt_risk_signal"):
        assert "interval_sweep(" in models[name].sql
