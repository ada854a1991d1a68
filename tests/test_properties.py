"""Property-based tests (hypothesis): readers, normalisers and the version rule on any input.

Any input gives a clean result or a clear error; rows are conserved (every row read is staged, rejected,
superseded by a later version of its claim, or removed by a winning reversal — never lost).  The default
run tries a few dozen examples per property; ``make test-long`` runs the same properties with many more.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import string

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.engine.models import build_model, catalog, install_macros
from pipelines.ingest.readers import ingest_extract
from pipelines.ingest.row_checks import build_row_rejects
from pipelines.reference import normalise_generic_name, normalise_ndc
from pipelines.run_state.errors import InputFileError
from tests.extract_builder import member, write_table

LONG = os.environ.get("MTM_LONG_PROPERTIES") == "1"
settings.register_profile("default", max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("long", max_examples=400, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile("long" if LONG else "default")

DIGITS = st.text(alphabet=string.digits, min_size=1, max_size=12)
NDC_LIKE = st.one_of(
    st.text(max_size=16),
    DIGITS,
    st.builds(lambda a, b, c: f"{a}-{b}-{c}", DIGITS, DIGITS, DIGITS),
    st.builds(lambda s, pad: pad + s + pad, st.text(alphabet=string.digits, min_size=11, max_size=11),
              st.sampled_from(["", " ", "\t", "\n", " \r\n"])),
)


# -- normalisers ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sql():
    con = duckdb.connect()
    install_macros(con)
    yield con
    con.close()


@given(NDC_LIKE)
def test_ndc_python_and_sql_agree_and_give_eleven_digits_or_nothing(sql, text):
    got = normalise_ndc(text)
    assert got is None or (len(got) == 11 and got.isascii() and got.isdigit())
    assert sql.execute("SELECT normalise_ndc(?)", [text]).fetchone()[0] == got
    if got is not None:
        assert normalise_ndc(got) == got


@given(st.text(alphabet=string.digits, min_size=11, max_size=11))
def test_every_hyphenated_shape_of_an_ndc_comes_back_to_it(ndc):
    shapes = {(4, 4, 2): ndc[0] == "0", (5, 3, 2): ndc[5] == "0", (5, 4, 1): ndc[9] == "0"}
    for (a, b, c), possible in shapes.items():
        if not possible:
            continue
        digits = ndc[1:] if (a, b, c) == (4, 4, 2) else (ndc[:5] + ndc[6:] if b == 3 else ndc[:9] + ndc[10:])
        assert normalise_ndc(f"{digits[:a]}-{digits[a:a + b]}-{digits[a + b:]}") == ndc
    assert normalise_ndc(f"{ndc[:5]}-{ndc[5:9]}-{ndc[9:]}") == ndc


NAMES = st.one_of(st.text(max_size=40), st.lists(st.sampled_from(
    ["atorvastatin", "calcium", "lisinopril", "hydrochloride", "metformin", "HCl", "sodium", " ", ",", "/"]),
    max_size=8).map(" ".join))


@given(NAMES)
def test_generic_names_normalise_cleanly(name):
    key = normalise_generic_name(name)
    assert key is None or (key == key.strip() and key == key.lower() and key)


@given(st.lists(st.sampled_from(["atorvastatin calcium", "amlodipine besylate", "valsartan", "sacubitril",
                                 "metformin hydrochloride"]), min_size=1, max_size=4, unique=True), st.randoms())
def test_combination_names_do_not_depend_on_the_order_of_ingredients(parts, rnd):
    shuffled = parts[:]
    rnd.shuffle(shuffled)
    assert normalise_generic_name(" / ".join(parts)) == normalise_generic_name(" / ".join(shuffled))


@given(st.text(max_size=12))
def test_icd_codes_normalise_to_upper_case_without_dots(sql, code):
    got = sql.execute("SELECT normalise_icd(?)", [code]).fetchone()[0]
    assert got is None or ("." not in got and not any("a" <= ch <= "z" for ch in got)
                           and got == got.strip(" \t\r\n"))
    assert sql.execute("SELECT normalise_icd(normalise_icd(?))", [code]).fetchone()[0] == got


# -- the version rule, against a model ------------------------------------------------------------------

STAMPS = st.one_of(st.none(), st.sampled_from(["2025-09-01 08:00:00", "2025-09-01 09:00:00", "2025-09-02",
                                               "2025-09-03 00:00:00"]))
VERSION = st.tuples(st.sampled_from(["C1", "C2", "C3"]), STAMPS, st.sampled_from(["paid", "reversed", None]),
                    st.integers(1, 999))


def _winner(rows, cutoff=None):
    """The version rule of input-contract.md as plain Python: latest processed_at (none first), ties by row order."""
    best = {}
    for seq, (claim, stamp, status, cost) in enumerate(rows, start=1):
        if stamp and cutoff and dt.datetime.fromisoformat(stamp) > cutoff:
            continue
        key = (dt.datetime.fromisoformat(stamp) if stamp else dt.datetime.min, seq)
        if claim not in best or key > best[claim][0]:
            best[claim] = (key, status, cost)
    return {c: cost for c, (_, status, cost) in best.items() if status != "reversed"}


@given(st.lists(VERSION, max_size=12), st.one_of(st.none(), st.sampled_from(
    [dt.datetime(2025, 9, 1, 8, 30), dt.datetime(2025, 9, 2, 12, 0)])))
def test_the_version_rule_matches_its_model(sql, rows, cutoff):
    sql.execute("CREATE OR REPLACE TABLE row_rejects (table_name VARCHAR, _seq BIGINT)")
    sql.execute("CREATE OR REPLACE TABLE run_parameters AS SELECT CAST(? AS TIMESTAMP) AS as_known_at", [cutoff])
    sql.execute("CREATE OR REPLACE TABLE raw_t (_seq BIGINT, claim_id VARCHAR, processed_at VARCHAR, "
                "claim_status VARCHAR, cost INTEGER)")
    if rows:
        sql.executemany("INSERT INTO raw_t VALUES (?, ?, ?, ?, ?)", [(i, *r) for i, r in enumerate(rows, start=1)])
    got = dict(sql.execute("SELECT claim_id, cost FROM current_versions('raw_t', 't') "
                           "WHERE coalesce(claim_status, 'paid') <> 'reversed'").fetchall())
    assert got == _winner(rows, cutoff)


# -- readers + row checks: any pharmacy file, rows conserved --------------------------------------------

CELL = st.one_of(st.none(), st.text(max_size=8), st.sampled_from(
    ["M1", "M2", "2025-09-01", "2025-02-30", "00071015523", "0071-0155-23", "30", "0", "-5", "12.50", "1e3",
     "paid", "reversed", "PAID", "2025-09-01 10:00:00", "x,y", 'a"b', "line\nbreak", " M1 ", "é"]))
RX_COLUMNS = ["claim_id", "member_id", "fill_date", "ndc", "days_supply", "gross_drug_cost", "claim_status",
              "processed_at"]


@settings(max_examples=300 if LONG else 20)
@given(st.lists(st.fixed_dictionaries({c: CELL for c in RX_COLUMNS}), min_size=1, max_size=15))
def test_any_pharmacy_file_is_read_cleanly_and_every_row_is_accounted_for(tmp_path_factory, rows):
    """The real reader, row checks and staging model on an in-memory warehouse (reference data not needed)."""
    ex = tmp_path_factory.mktemp("prop")
    write_table(ex, "eligibility", [member("M1"), member("M2")])
    with (ex / "pharmacy_claim.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(RX_COLUMNS)
        writer.writerows([["" if r[c] is None else r[c] for c in RX_COLUMNS] for r in rows])
    con = duckdb.connect()
    try:
        ingest_extract(con, [ex])
    except InputFileError as exc:  # a clear, one-line error naming the file is the only other outcome
        assert str(exc).startswith("pharmacy_claim.csv: ") and "\n" not in str(exc)
        return
    con.execute("CREATE TABLE run_parameters AS SELECT CAST(NULL AS TIMESTAMP) AS as_known_at")
    install_macros(con)
    build_model(con, catalog()["stg_known_member"])
    build_row_rejects(con)
    build_model(con, catalog()["stg_pharmacy_claim"])

    read = con.execute("SELECT count(*) FROM raw_pharmacy_claim").fetchone()[0]
    assert read == len(rows)  # no row lost or invented by the reader (quoted commas, quotes, newlines)
    rejected = con.execute("SELECT count(DISTINCT _seq) FROM row_rejects WHERE table_name = 'pharmacy_claim'"
                           ).fetchone()[0]
    valid_claims, removed = con.execute(
        "SELECT count(DISTINCT claim_id), count(DISTINCT claim_id) FILTER (WHERE lower(claim_status) = 'reversed' "
        "AND _seq IN (SELECT _seq FROM current_versions('raw_pharmacy_claim', 'pharmacy_claim'))) "
        "FROM raw_pharmacy_claim WHERE _seq NOT IN (SELECT _seq FROM row_rejects)").fetchone()
    staged, distinct_staged = con.execute("SELECT count(*), count(DISTINCT claim_id) FROM stg_pharmacy_claim"
                                          ).fetchone()
    # every row read is rejected, or valid; valid rows collapse to one version per claim, and a claim whose
    # winning version is a reversal is removed: staged = valid claims - removed, nothing else disappears
    assert staged == distinct_staged == valid_claims - removed
    assert rejected + staged <= read
    con.close()
