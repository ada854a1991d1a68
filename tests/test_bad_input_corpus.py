"""The bad-input corpus (tests/bad_input_cases.py) through ingest + staging, and through `mtm run`.

Every case: a stopped run names the file and the problem (and `mtm run` says it in one line, exit 1, no
traceback), or the exact reject rows and staged row counts.  Every case is a Dagster
materialisation of the real asset graph (seconds each), so by default a sample runs: 20 cases through
ingest + staging and 7 through the command line; every case, both ways, the full runs and the 50 MB line
carry the ``long`` marker (make test-long).
"""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from dagster_project.run import materialize
from pipelines.engine.models import install_macros
from pipelines.ingest import readers
from pipelines.run_state import run_facts as run_report
from pipelines.run_state.errors import InputFileError, SettingsError
from pipelines.run_state.run_context import RunContext
from tests.bad_input_cases import CASES, Case, Rows, Stop
from tests.extract_builder import fill, member, write_extract
from tests.reliability_harness import cli, run
from tests.scenario_run import scenario_folder
from tests.staging_harness import STAGING_TARGETS, build
from tests.template_home import seeded_home

LENIENT = "[validation]\nmax_reject_rate = 1.0\ngx_sample_rows = 0\n"


#: stop cases also run through `mtm run` by default (each costs a Dagster start, ~2 s); the rest are ``long``
CLI_BY_DEFAULT = {"truncated_gzip", "semicolon_delimiter", "latin1_bytes_in_names", "symlink_loop_in_the_extract",
                  "settings_key_typo", "settings_section_typo", "malformed_extract_toml"}


#: cases run through ingest + staging by default (each a Dagster materialisation); all of them are ``long``
STAGE_BY_DEFAULT = CLI_BY_DEFAULT | {"ragged_row", "ten_thousand_column_row", "repeated_column_in_header",
                                     "utf8_bom", "crlf_line_endings", "quoted_newline_in_a_value",
                                     "mixed_date_formats", "ndc_in_scientific_notation", "parquet_with_wrong_types",
                                     "same_part_delivered_twice_under_two_names", "conflicting_versions_of_one_claim",
                                     "two_files_concatenated_with_their_headers", "forty_mb_last_line_in_gzip"}


def _params(kind, long_cli: bool = False, cli_sample: bool = False):
    params = []
    for c in CASES:
        if not isinstance(c.expect, kind):
            continue
        sampled_out = c.name not in (CLI_BY_DEFAULT if cli_sample else STAGE_BY_DEFAULT)
        marks = [pytest.mark.long] if (c.slow or long_cli or sampled_out) else []
        params.append(pytest.param(c, id=c.name, marks=marks))
    return params


def _settings(tmp_path, c: Case):
    path = tmp_path / "settings.toml"
    path.write_text(c.settings or LENIENT)
    return path


def _stage(tmp_path, c: Case):
    extract = c.build(tmp_path / "ex")
    ctx = RunContext.create(home=seeded_home(tmp_path / "home"), extract_dirs=[extract], as_of=c.as_of or None,
                            settings_file=_settings(tmp_path, c))
    con = ctx.connect()
    install_macros(con)
    done: set[str] = set()
    for table in STAGING_TARGETS:  # the staging tables, without a Dagster run around them (staging_harness)
        build(con, ctx, table, done)
    return ctx, con


@pytest.mark.parametrize("c", _params(Stop))
def test_stop_cases_name_the_file_and_the_problem(tmp_path, c):
    with pytest.raises((InputFileError, SettingsError)) as err:
        _stage(tmp_path, c)
    message = str(err.value)
    assert c.expect.file in message and c.expect.says in message, message
    assert "\n" not in message


@pytest.mark.parametrize("c", _params(Rows))
def test_row_cases_give_the_exact_rejects(tmp_path, c):
    ctx, con = _stage(tmp_path, c)
    got = con.execute("SELECT table_name, file, row_number, column_name, reason FROM rejects ORDER BY ALL").fetchall()
    assert got == sorted(c.expect.rejects)
    for table, n in c.expect.staged.items():
        assert con.execute(f"SELECT count(*) FROM stg_{table}").fetchone()[0] == n, table
    if c.expect.warning:
        assert any(c.expect.warning in w for w in run_report.facts(con, ctx.run_id)["warnings"])
    assert all(len(v) <= 60 for (v,) in con.execute("SELECT value FROM rejects WHERE value IS NOT NULL").fetchall())


def _cli_run(tmp_path, c: Case):
    extract = c.build(tmp_path / "ex")
    args = ["run", "--extract", str(extract), "--home", str(tmp_path / "home"),
            "--settings", str(_settings(tmp_path, c))]
    return cli(*args, *(["--as-of", c.as_of] if c.as_of else []))


@pytest.mark.parametrize("c", _params(Stop, cli_sample=True))
def test_stop_cases_through_mtm_run(tmp_path, c):
    code, out, err = _cli_run(tmp_path, c)
    assert code == 1
    assert c.expect.file in err and c.expect.says in err, out + err
    assert not (tmp_path / "home" / "runs" / "latest").exists()


@pytest.mark.parametrize("c", _params(Rows, long_cli=True))
def test_row_cases_through_mtm_run(tmp_path, c):
    code, out, err = _cli_run(tmp_path, c)
    assert code == 0, out + err
    with (tmp_path / "home" / "runs" / "latest" / "rejects.csv").open(newline="") as fh:
        got = sorted((r["table_name"], r["file"], int(r["row_number"]), r["column_name"], r["reason"])
                     for r in csv.DictReader(fh))
    assert got == sorted(c.expect.rejects)
    if c.expect.warning:
        assert c.expect.warning in out


# -- a delivery still being written ---------------------------------------------------------------------

def _growing(monkeypatch):
    """The sender appends to pharmacy_claim.csv while the run reads it (after the files were listed)."""
    real = readers.load_file

    def load_while_growing(con, source, *args):
        if source.path.name == "pharmacy_claim.csv":
            with source.path.open("a") as fh:
                fh.write("C99,M1,2025-09-02,00071015523,30,10\r\n")
        return real(con, source, *args)

    monkeypatch.setattr(readers, "load_file", load_while_growing)


def test_a_file_still_being_written_stops_the_run(tmp_path, monkeypatch):
    extract = write_extract(tmp_path / "ex", eligibility=[member("M1")], pharmacy_claim=[fill("M1", "2025-09-01")])
    _growing(monkeypatch)
    ctx = RunContext.create(home=seeded_home(tmp_path / "home"), extract_dirs=[extract], as_of=dt.date(2025, 9, 30))
    with pytest.raises(InputFileError, match="pharmacy_claim.csv: file changed while it was being read"):
        materialize(ctx, targets=STAGING_TARGETS)
    code, _, err = cli("run", "--extract", str(extract), "--home", str(tmp_path / "h2"), "--as-of", "2025-09-30")
    assert code == 1 and "pharmacy_claim.csv: file changed while it was being read (still being written?)" in err


def test_the_corpus_has_at_least_forty_kinds():
    assert len(CASES) + 1 >= 40  # + the file still being written


# -- cases whose outcome shows only after targeting ---------------------------------------------------------

def _published(tmp_path, extract, as_of):
    import duckdb

    folder = run(tmp_path / "home", extract, as_of=as_of)
    con = duckdb.connect()
    summary = con.execute(f"SELECT * FROM read_csv('{folder / 'member_summary.csv'}', all_varchar=true)").fetchall()
    drugs = con.execute(f"SELECT member_id, last_fill_date::VARCHAR FROM '{folder / 'member_drugs.parquet'}'"
                        ).fetchall()
    return folder, summary, drugs


@pytest.mark.long
def test_as_of_before_all_data_publishes_an_empty_universe(tmp_path):
    extract = write_extract(tmp_path / "ex", eligibility=[member("M1")], pharmacy_claim=[fill("M1", "2025-09-01")])
    folder, summary, drugs = _published(tmp_path, extract, "2022-06-30")
    assert summary == [] and drugs == []
    assert (folder / "rejects.csv").read_text().count("\n") == 1  # nothing is wrong with the rows


#: this file's member in the session's shared run (tests/scenario_run.py; issue 24): FUTURE has a fill in the
#: run's month and two after the as-of date (2030, and 9999-12-31), none of them pending or rejected
SHARED_SCENARIO = {
    "eligibility": [member("FUTURE")],
    "pharmacy_claim": [fill("FUTURE", "2025-09-01", claim_id="NOW"),
                       fill("FUTURE", "2030-01-01", "00006001954", claim_id="LATER"),
                       fill("FUTURE", "9999-12-31", "00087606005", claim_id="NEVER")],
}


def test_future_fills_are_not_counted():
    """The shared run (as of 2025-09-30, default settings; it was a run of FUTURE alone): FUTURE's summary row
    and drugs, read from the published files (its own member: the run holds other files' members too)."""
    import duckdb

    folder = scenario_folder()
    with duckdb.connect() as con:
        summary = con.execute(f"SELECT * FROM read_csv('{folder / 'member_summary.csv'}', all_varchar=true) "
                              "WHERE member_id = 'FUTURE'").fetchall()
        drugs = con.execute(f"SELECT member_id, last_fill_date::VARCHAR FROM '{folder / 'member_drugs.parquet'}' "
                            "WHERE member_id = 'FUTURE'").fetchall()
    assert drugs == [("FUTURE", "2025-09-01")]
    assert len(summary) == 1


# -- a seed roster that contradicts the ledger (`mtm ledger import`) -----------------------------------------

def test_a_seed_roster_contradicting_the_ledger_is_refused_and_imports_nothing(tmp_path):
    """The ledger a real run wrote (M1 enrolled on the as-of date) against a roster dating M1 earlier and adding
    M9: refused as a whole (the ledger is immutable; input-contract.md mtm_enrollment_seed), exit 1, one
    message naming the member and the field, no traceback; the ledger is unchanged."""
    from tests.targeting_harness import EIGHT_DRUGS, NDC, ledger

    fills = [fill("M1", f"2025-{m:02d}-05", NDC[d], 30, 150.0, claim_id=f"M1-{m}-{d}")
             for m in range(1, 6) for d in EIGHT_DRUGS]
    home = tmp_path / "home"
    run(home, write_extract(tmp_path / "ex", eligibility=[member("M1")], pharmacy_claim=fills), as_of="2025-06-30")
    before = ledger(home)
    roster = tmp_path / "roster.csv"
    roster.write_text("member_id,contract_id,contract_year,mtm_enrollment_date,date_met_criteria\n"
                      "M1,H1234,2025,2025-05-01,2025-06-30\n"
                      "M9,H1234,2025,2025-04-01,\n")
    code, out, err = cli("ledger", "import", str(roster), "--home", str(home))
    assert code == 1, out
    assert err == (f"Error: {roster}: 1 row(s) contradict the ledger, which is immutable; nothing imported (use "
                   "--replace to overwrite them):\n  member M1 (contract H1234, year 2025): mtm_enrollment_date is "
                   "2025-06-30 in the ledger (run), 2025-05-01 in the roster\n")
    assert ledger(home) == before
