"""Program-reporting files of a run: quality measures, program metrics, criteria what-if, CMS MTM file.

The numbers are built in SQL (``sql/measures/``, ``sql/outputs/cms_mtm_beneficiary_file.sql``); this
module only writes them, with small-cell suppression (:mod:`pipelines.privacy`) on every aggregate file.
Which cells are bound by an equation (and so need complementary suppression) is said here, file by file.
The CMS beneficiary file is written field by field as ``cms_mtm_fields.csv`` declares (names, order, date
format); fields that no row could fill are returned so the run report names them.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:  # polars loads in ~1 s: imported where a frame is built, not at `mtm run` start
    import polars as pl

from pipelines import run_report
from pipelines.db import scalar
from pipelines.models import create_declared
from pipelines.output_contract import (
    CRITERIA_WHATIF_COLUMNS,
    PROGRAM_METRIC_COLUMNS,
    QUALITY_MEASURE_COLUMNS,
    QUALITY_MEASURE_MEMBER_COLUMNS,
)
from pipelines.privacy import display, suppress

HERE = Path(__file__).resolve().parent
FIELDS_FILE = HERE / "cms_mtm_fields.csv"

QUALITY_COLUMNS = list(QUALITY_MEASURE_COLUMNS)
MEMBER_COLUMNS = list(QUALITY_MEASURE_MEMBER_COLUMNS)
METRIC_COLUMNS = list(PROGRAM_METRIC_COLUMNS)
WHATIF_COLUMNS = list(CRITERIA_WHATIF_COLUMNS)


def _bool(v) -> str:
    return "" if v is None else ("true" if v else "false")


def _write_rows(path: Path, columns: list[str], rows: list[dict]) -> None:
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


# -- quality_measures.csv -------------------------------------------------------------------------------

def suppressed_quality_measures(frame: pl.DataFrame) -> list[dict]:
    """Rows of quality_measures.csv in display form. Equations per contract x measure:
    numerator + non-numerator = denominator; recoverable + not recoverable = non-numerator (adherence);
    the non-numerator and not-recoverable counts are implied, not shown. Rates and year-end ranges are
    hidden when a count they are computed from is hidden."""
    import polars as pl
    cells = []
    for r, row in enumerate(frame.iter_rows(named=True)):
        den, num = row["denominator"], row["numerator"]
        cells += [(r, "numerator", num, True), (r, "denominator", den, True), (r, "non_numerator", den - num, False)]
        if row["recoverable_members"] is not None:
            rec = row["recoverable_members"]
            cells += [(r, "recoverable", rec, True), (r, "not_recoverable", den - num - rec, False)]
            if row["year_end_low"] is not None:  # members the supply on hand carries to 80%: shown by the range
                rwr = round(row["year_end_low"] * den) - num
                cells += [(r, "recover_without_refill", rwr, True), (r, "recover_with_refill", rec - rwr, False)]
    long = pl.DataFrame(cells, schema=["row", "cell", "value", "published"], orient="row")
    groups = []
    for r in range(frame.height):
        idx = {c: i for i, (rr, c, _, _) in enumerate(cells) if rr == r}
        groups.append([idx["numerator"], idx["non_numerator"], idx["denominator"]])
        if "recoverable" in idx:
            groups.append([idx["recoverable"], idx["not_recoverable"], idx["non_numerator"]])
        if "recover_without_refill" in idx:
            groups.append([idx["recover_without_refill"], idx["recover_with_refill"], idx["recoverable"]])
    marked = suppress(long, groups)
    state = {(r, c): s for r, c, s in marked.select("row", "cell", "suppression").iter_rows()}
    out = []
    for r, row in enumerate(frame.iter_rows(named=True)):
        num_s, den_s = state[(r, "numerator")], state[(r, "denominator")]
        rec_s = state.get((r, "recoverable"))
        hide_rate = num_s or den_s
        hide_high = hide_rate or rec_s
        hide_low = hide_high or state.get((r, "recover_without_refill"))
        out.append({
            "contract_id": row["contract_id"],
            "measurement_year": row["measurement_year"],
            "measure_id": row["measure_id"],
            "measure_name": row["measure_name"],
            "numerator": display(row["numerator"], num_s),
            "denominator": display(row["denominator"], den_s),
            "rate": display(row["rate"], "complementary" if hide_rate and row["rate"] is not None else None, 4),
            "too_small_to_rate": _bool(row["too_small_to_rate"]),
            "year_end_low": display(row["year_end_low"],
                                    "complementary" if hide_low and row["year_end_low"] is not None else None, 4),
            "year_end_high": display(row["year_end_high"],
                                     "complementary" if hide_high and row["year_end_high"] is not None else None, 4),
            "recoverable_members": display(row["recoverable_members"], rec_s),
            "lower_is_better": _bool(row["lower_is_better"]),
        })
    return out


# -- program_metrics.csv ---------------------------------------------------------------------------------

def suppressed_program_metrics(frame: pl.DataFrame) -> pl.DataFrame:
    """program_metrics rows with ``value_display``. Equations per contract: cumulative enrolled(m) =
    cumulative(m-1) + new(m); offered within 60 days + not offered = the month's enrollees whose 60-day window
    has closed (cmr_offer_window_closed, the rate's denominator: issue 25 item 10);
    criteria reasons 01 + 02 + 03 + 04 (not shown) = Part D enrollees in the month of D. A rate is hidden
    when its numerator or denominator is (the rate and one of them give the other back)."""
    import polars as pl
    counts = frame.filter(~pl.col("is_rate"))
    offered = (counts.filter(pl.col("metric").is_in(["cmr_offered_within_60_days", "cmr_offer_window_closed"]))
               .pivot(on="metric", index=["as_of_date", "contract_id", "month"], values="value"))
    if offered.height:
        complement = offered.select(
            "as_of_date", "contract_id", "month", pl.lit("cmr_not_offered_within_60_days").alias("metric"),
            (pl.col("cmr_offer_window_closed") - pl.col("cmr_offered_within_60_days")).alias("value"),
            pl.lit(False).alias("published"), pl.lit(False).alias("is_rate"))
        counts = pl.concat([counts, complement.select(counts.columns)])
    counts = counts.sort("contract_id", "month", "metric")
    months = sorted(counts["month"].unique().to_list())
    previous = {m: months[i - 1] for i, m in enumerate(months) if i}
    counts = counts.with_columns(
        pl.when(pl.col("metric").is_in(["mtm_enrolled_cumulative", "mtm_enrolled_new"]))
          .then(pl.col("month")).alias("_chain_this"),
        pl.when(pl.col("metric") == "mtm_enrolled_cumulative")
          .then(pl.col("month").replace_strict({m: n for n, m in previous.items()}, default=None))
          .alias("_chain_next"),
    )
    groups = []
    indexed = counts.with_row_index("_row")
    for (contract, month), rows in indexed.group_by(["contract_id", "month"], maintain_order=True):
        chain = rows.filter(pl.col("_chain_this").is_not_null())["_row"].to_list()
        follows = indexed.filter((pl.col("contract_id") == contract) & (pl.col("_chain_next") == month))
        chain += follows["_row"].to_list()
        if len(chain) > 1:
            groups.append(chain)
        offered_group = rows.filter(pl.col("metric").is_in(
            ["cmr_offered_within_60_days", "cmr_not_offered_within_60_days", "cmr_offer_window_closed"])
        )["_row"].to_list()
        if len(offered_group) == 3:
            groups.append(offered_group)
        reasons = rows.filter(pl.col("metric").str.starts_with("meeting_criteria_reason_")
                              | (pl.col("metric") == "part_d_enrollees"))
        if reasons.filter(pl.col("metric") == "meeting_criteria_reason_04").height:
            groups.append(reasons["_row"].to_list())
    marked = suppress(counts.drop("_chain_this", "_chain_next"), groups)
    state = {(c, m, k): s for c, m, k, s in marked.select("contract_id", "month", "metric", "suppression").iter_rows()}
    shown: list[dict] = []
    for row in frame.filter(pl.col("published")).iter_rows(named=True):
        key = (row["contract_id"], row["month"], row["metric"])
        if row["is_rate"]:
            hidden = (state.get((key[0], key[1], "cmr_offered_within_60_days"))
                      or state.get((key[0], key[1], "cmr_offer_window_closed")))
            text = display(row["value"], "complementary" if hidden else None, 4)
        else:
            text = display(row["value"], state.get(key))
        shown.append({**row, "value_display": text})
    return pl.DataFrame(shown, schema={**frame.schema, "value_display": pl.Utf8})


# -- criteria_whatif.csv ---------------------------------------------------------------------------------

def suppressed_whatif(frame: pl.DataFrame) -> list[dict]:
    """Equations per contract: a combination's count - the current settings' count = its change (for
    members meeting and for the CMR workload); workload + CMRs done (not shown) = members meeting."""
    import polars as pl
    cells: list[tuple[int, str, int, bool]] = []
    groups: list[list[int]] = []
    current: dict[str, int] = {}
    for r, row in enumerate(frame.iter_rows(named=True)):
        base = len(cells)
        cells += [(r, "members_meeting", row["members_meeting"], True),
                  (r, "cmr_workload", row["cmr_workload"], True),
                  (r, "members_meeting_change", row["members_meeting_change"], True),
                  (r, "cmr_workload_change", row["cmr_workload_change"], True),
                  (r, "cmr_done", row["members_meeting"] - row["cmr_workload"], False)]
        groups.append([base + 1, base + 4, base])
        if row["is_current"]:
            current[row["contract_id"]] = base
    for r, row in enumerate(frame.iter_rows(named=True)):
        base, cur = 5 * r, current.get(row["contract_id"])
        if cur is not None and not row["is_current"]:
            groups.append([base, base + 2, cur])
            groups.append([base + 1, base + 3, cur + 1])
    long = pl.DataFrame(cells, schema=["row", "cell", "value", "published"], orient="row")
    state = {(r, c): s for r, c, s in suppress(long, groups).select("row", "cell", "suppression").iter_rows()}
    out = []
    for r, row in enumerate(frame.iter_rows(named=True)):
        out.append({**{k: row[k] for k in WHATIF_COLUMNS[:5]}, "is_current": _bool(row["is_current"]),
                    **{c: display(row[c], state[(r, c)]) for c in WHATIF_COLUMNS[6:]}})
    return out


# -- cms_mtm_beneficiary_file.csv ------------------------------------------------------------------------

def cms_fields() -> list[dict]:
    with FIELDS_FILE.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _cms_value(value, fmt: str) -> str:
    if value is None or value == "":
        return ""
    kind, _, pattern = fmt.partition(":")
    if kind == "date":
        return value.strftime(pattern)
    if kind == "date_list":
        return ";".join(dt.date.fromisoformat(d).strftime(pattern) for d in str(value).split(";"))
    if kind == "yn":
        return "Y" if value else "N"
    return str(value)


def write_cms_file(con: duckdb.DuckDBPyConnection, path: Path, where: str = "TRUE") -> list[str]:
    """Write the CMS file; returns the fields that no row could fill (blank in every row)."""
    fields = cms_fields()
    columns = ", ".join(f["column"] for f in fields)
    rows = con.execute(f"SELECT {columns} FROM cms_mtm_beneficiary_file WHERE {where}").fetchall()
    filled = [False] * len(fields)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([f["field_name"] for f in fields])
        for row in rows:
            out = [_cms_value(v, f["format"]) for v, f in zip(row, fields, strict=True)]
            filled = [a or b != "" for a, b in zip(filled, out, strict=True)]
            writer.writerow(out)
    return [f["field_name"] for f, ok in zip(fields, filled, strict=True) if not ok] if rows else []


# -- the run's files -------------------------------------------------------------------------------------

def write_quality_files(con: duckdb.DuckDBPyConnection, folder: Path, where: str = "TRUE") -> dict[str, int]:
    frame = con.execute(f"SELECT * FROM quality_measures WHERE {where} ORDER BY contract_id, display_order").pl()
    _write_rows(folder / "quality_measures.csv", QUALITY_COLUMNS, suppressed_quality_measures(frame))
    con.execute(f"COPY (SELECT {', '.join(MEMBER_COLUMNS)} FROM quality_measure_members WHERE {where}) "
                f"TO '{folder / 'quality_measure_members.parquet'}' (FORMAT parquet)")
    members = scalar(con, f"SELECT count(*) FROM quality_measure_members WHERE {where}")
    return {"quality_measures": frame.height, "quality_measure_members": members}


def write_quality(ctx, con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, int]:
    """quality_measures.csv (suppressed) and quality_measure_members.parquet."""
    counts = write_quality_files(con, folder)
    return {"rows": counts["quality_measures"], "member_rows": counts["quality_measure_members"]}


def write_program_metrics(ctx, con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, int]:
    """program_metrics.csv (suppressed); the warehouse history is written when the run publishes."""
    metrics = suppressed_program_metrics(con.execute("SELECT * FROM program_metrics").pl())
    _write_rows(folder / "program_metrics.csv", METRIC_COLUMNS,
                [{"contract_id": r["contract_id"], "month": r["month"], "metric": r["metric"],
                  "value": r["value_display"]} for r in metrics.iter_rows(named=True)])
    return {"rows": metrics.height}


def write_criteria_whatif(ctx, con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, int]:
    whatif = con.execute("SELECT * FROM criteria_whatif").pl()
    _write_rows(folder / "criteria_whatif.csv", WHATIF_COLUMNS, suppressed_whatif(whatif))
    return {"rows": whatif.height}


def write_cms_beneficiary_file(ctx, con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, int]:
    """The CMS file; the fields no row could fill are named in the run report (manifest and console)."""
    blank = write_cms_file(con, folder / "cms_mtm_beneficiary_file.csv")
    run_report.record(con, ctx.run_id, "export_cms_mtm_beneficiary_file", "measures",
                      {"cms_mtm_blank_fields": blank})
    return {"rows": scalar(con, "SELECT count(*) FROM cms_mtm_beneficiary_file")}


def measure_rows_out(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows of the program-reporting files, for the manifest's rows_out."""
    return dict(con.execute(
        "SELECT 'quality_measures', count(*) FROM quality_measures UNION ALL "
        "SELECT 'quality_measure_members', count(*) FROM quality_measure_members UNION ALL "
        "SELECT 'program_metrics', count(*) FROM program_metrics WHERE published UNION ALL "
        "SELECT 'criteria_whatif', count(*) FROM criteria_whatif UNION ALL "
        "SELECT 'cms_mtm_beneficiary_file', count(*) FROM cms_mtm_beneficiary_file").fetchall())


def replace_program_metrics_history(as_of: dt.date, con: duckdb.DuckDBPyConnection, folder: Path) -> int:
    """Keep this run's program metrics in the warehouse (program_metrics_history), replacing an earlier
    run of the same as-of date. Called at publish time inside the ledger's transaction
    (``pipelines.publish.commit_ledger``): the history holds published runs only, so a run that fails or is
    killed before its ledger commit leaves nothing here for a later run's earlier months to read."""
    path = folder / "program_metrics.csv"
    if not path.exists():
        return 0
    create_declared(con, "program_metrics_history")
    con.execute("DELETE FROM program_metrics_history WHERE as_of_date = ?", [as_of])
    con.execute(
        "INSERT INTO program_metrics_history "
        "SELECT p.as_of_date, m.contract_id, m.month, m.metric, m.value, d.value "
        "FROM program_metrics AS m CROSS JOIN run_parameters AS p "
        f"JOIN read_csv('{path}', header = true, all_varchar = true) AS d "
        "  ON d.contract_id = m.contract_id AND d.month = m.month AND d.metric = m.metric "
        "WHERE m.published"
    )
    return scalar(con, "SELECT count(*) FROM program_metrics_history WHERE as_of_date = ?", [as_of])
