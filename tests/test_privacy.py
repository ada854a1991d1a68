"""Small-cell suppression (pipelines/publishing/privacy.py): primary cells, complementary cells, implied cells."""

from __future__ import annotations

import polars as pl

from pipelines.publishing.exports.measures import suppressed_quality_measures
from pipelines.publishing.privacy import display, groups_by, suppress


def states(frame: pl.DataFrame, groups) -> list:
    return suppress(frame, groups)["suppression"].to_list()


def test_counts_1_to_10_are_primary_and_0_and_11_are_shown():
    frame = pl.DataFrame({"value": [0, 1, 10, 11]})
    assert states(frame, []) == [None, "primary", "primary", None]
    assert [display(v, s) for v, s in zip(frame["value"], states(frame, []), strict=True)] == ["0", "<11", "<11", "11"]


def test_a_hidden_part_of_a_shown_total_hides_a_complementary_part():
    # parts 5, 40, 60 of the shown total 105: hiding 5 alone gives it back as 105 - 40 - 60
    frame = pl.DataFrame({"group": ["a"] * 4, "cell": ["p1", "p2", "p3", "total"], "value": [5, 40, 60, 105]})
    assert states(frame, groups_by(frame, ["group"])) == ["primary", "complementary", None, None]
    assert display(40, "complementary") == "suppressed"


def test_complementary_suppression_follows_chains_of_equations():
    # cumulative(m) = cumulative(m-1) + new(m): new(Feb) = 4 is hidden; the cell hidden to protect it must
    # itself not be derivable from the next month's equation
    frame = pl.DataFrame({"cell": ["cum_jan", "new_feb", "cum_feb", "new_mar", "cum_mar"],
                          "value": [30, 4, 34, 20, 54]})
    marked = states(frame, [[0, 1, 2], [2, 3, 4]])
    assert marked[1] == "primary"
    known = {i for i, s in enumerate(marked) if s is None}
    for group in ([0, 1, 2], [2, 3, 4]):  # no equation has exactly one hidden cell
        assert len([i for i in group if i not in known]) != 1


def test_a_small_implied_cell_is_protected():
    # numerator 35 of denominator 40: the 5 non-adherent members are implied, so the numerator is hidden
    frame = pl.DataFrame({"cell": ["num", "non", "den"], "value": [35, 5, 40], "published": [True, False, True]})
    assert states(frame, [[0, 1, 2]]) == ["complementary", None, None]


def test_quality_measures_rate_is_hidden_with_its_numerator():
    frame = pl.DataFrame([{
        "contract_id": "H1", "measurement_year": 2025, "measure_id": "pdc_sta", "measure_name": "x",
        "numerator": 30, "denominator": 38, "rate": 0.7895, "too_small_to_rate": False, "year_end_low": 0.7895,
        "year_end_high": 0.8947, "recoverable_members": 4, "lower_is_better": False}])
    row = suppressed_quality_measures(frame)[0]
    # 8 below 80% (implied) -> numerator hidden; 4 recoverable -> hidden with the year-end range
    assert (row["numerator"], row["denominator"], row["rate"]) == ("suppressed", "38", "suppressed")
    assert (row["recoverable_members"], row["year_end_high"]) == ("<11", "suppressed")
