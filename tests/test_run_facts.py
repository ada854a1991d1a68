"""The run report's facts (``pipelines.run_state.run_facts``) on a real warehouse file: recorded one by one, or held
back while a graph runs and written together, read back the same way, and a failing run keeps what it held."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.run_state import run_facts


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        yield connection


def _stored(con) -> int:
    return con.execute("SELECT count(*) FROM run_report").fetchone()[0]


def test_a_fact_outside_a_batch_is_written_at_once_and_a_step_run_again_reads_its_latest_time(con):
    run_facts.record(con, "r1", "ingest", "seconds", 1.5)
    assert _stored(con) == 1
    run_facts.record(con, "r1", "ingest", "seconds", 0.5)
    run_facts.record(con, "r1", "ingest", "rows", {"eligibility": 3})
    run_facts.record(con, "r2", "ingest", "rows", {"eligibility": 9})
    assert run_facts.timings(con, "r1") == {"ingest": 0.5}
    assert run_facts.facts(con, "r1") == {"rows": {"eligibility": 3}}


def test_a_batch_holds_its_facts_until_they_are_read_or_it_ends(con):
    run_facts.record(con, "r1", "seed", "seconds", 0.1)  # declares the table
    with run_facts.batched(con):
        run_facts.record(con, "r1", "ingest", "seconds", 2.0)
        run_facts.record(con, "r1", "ingest", "warnings", ["w"])
        assert _stored(con) == 1  # held back
        assert run_facts.facts(con, "r1") == {"warnings": ["w"]}  # a read writes what is held first
        assert _stored(con) == 3
        run_facts.record(con, "r1", "model_a", "seconds", 0.25)
        run_facts.record(con, "r1", "ingest", "seconds", 3.0)  # the step again: its later time wins
        assert _stored(con) == 3
    assert _stored(con) == 5
    assert run_facts.timings(con, "r1") == {"seed": 0.1, "ingest": 3.0, "model_a": 0.25}


def test_a_batch_on_a_fresh_warehouse_declares_the_table(con):
    with run_facts.batched(con):
        run_facts.record(con, "r1", "ingest", "seconds", 1.0)
    assert run_facts.timings(con, "r1") == {"ingest": 1.0}


def test_a_run_that_fails_inside_a_batch_still_writes_what_it_held(con):
    with pytest.raises(RuntimeError, match="a blocking check failed"), run_facts.batched(con):
        run_facts.record(con, "r1", "ingest", "warnings", ["late file"])
        raise RuntimeError("a blocking check failed")
    assert run_facts.facts(con, "r1") == {"warnings": ["late file"]}
    run_facts.record(con, "r1", "after", "seconds", 1.0)  # no longer held: written at once
    assert _stored(con) == 2


def test_when_the_warehouse_itself_fails_the_original_error_is_the_one_raised(con):
    with pytest.raises(duckdb.ParserException), run_facts.batched(con):
        run_facts.record(con, "r1", "ingest", "seconds", 1.0)
        con.execute("BEGIN TRANSACTION")
        with pytest.raises(duckdb.CatalogException):
            con.execute("SELECT * FROM no_such_table")  # the transaction is aborted: the held fact cannot be written
        con.execute("SELEC 1")
    con.execute("ROLLBACK")
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'run_report'").fetchone() == (0,)
