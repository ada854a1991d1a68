"""Program-reporting files of a run: quality measures, program metrics, criteria what-if, CMS MTM file.

The numbers are built in SQL (``sql/measures/``, ``sql/outputs/cms_mtm_beneficiary_file.sql``); this
module only writes them. The run folder's files are for the plan's own quality team and carry exact counts
(targeting-rules.md section 10); small-cell suppression (:mod:`pipelines.publishing.privacy`) applies to what is made
to be shared outside the plan (``mtm report --shareable``, ``dashboard_shareable.html``). Which cells are
bound by an equation (and so need complementary suppression there) is said here, file by file.
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

from pipelines.engine.db import scalar
from pipelines.publishing.output_contract import (
    CRITERIA_WHATIF_COLUMNS,
    PROGRAM_METRIC_COLUMNS,
    QUALITY_MEASURE_COLUMNS,
    QUALITY_MEASURE_MEMBER_COLUMNS,
)
from pipelines.publishing.privacy import display, suppress
from pipelines.run_state import run_facts as run_report

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


def exact_quality_measures(frame: pl.DataFrame) -> list[dict]:
    """Rows of quality_measures.csv with exact counts (the plan's own quality team)."""
    return [{
        **{c: row[c] for c in ("contract_id", "measurement_year", "measure_id", "measure_name")},
        "numerator": display(row["numerator"], None), "denominator": display(row["denominator"], None),
        "rate": display(row["rate"], None, 4), "too_small_to_rate": _bool(row["too_small_to_rate"]),
        "year_end_low": display(row["year_end_low"], None, 4), "year_end_high": display(row["year_end_high"], None, 4),
        "recoverable_members": display(row["recoverable_members"], None),
        "lower_is_better": _bool(row["lower_is_better"]),
    } for row in frame.iter_rows(named=True)]


# -- program_metrics.csv ---------------------------------------------------------------------------------

#: each rate of program_metrics: (numerator, denominator, the complement that is not shown); the rate is hidden
#: when its numerator or denominator is, and numerator + complement = denominator is an equation of the
#: suppression (issue 25 item 10; issue 29 adds the prescriber acceptance rate and summaries within 14 days)
RATE_PARTS: dict[str, tuple[str, str, str]] = {
    "cmr_offered_within_60_days_rate": ("cmr_offered_within_60_days", "cmr_offer_window_closed",
                                        "cmr_not_offered_within_60_days"),
    "prescriber_acceptance_rate": ("prescriber_responses_accepted", "prescriber_responses_answered",
                                   "prescriber_responses_declined"),
    "cmr_summary_within_14_days_rate": ("cmr_summary_within_14_days", "cmr_summary_window_closed",
                                        "cmr_summary_after_14_days_or_none"),
}

#: a median of a count (not a count itself): hidden when the count it is taken over is
MEDIAN_PARTS: dict[str, tuple[str, ...]] = {"dtp_resolution_median_days": ("dtp_resolutions",)}


def suppressed_program_metrics(frame: pl.DataFrame) -> pl.DataFrame:
    """program_metrics rows with ``value_display``. Equations per contract: cumulative enrolled(m) =
    cumulative(m-1) + new(m); offered within 60 days + not offered = the month's enrollees whose 60-day window
    has closed (cmr_offer_window_closed, the rate's denominator: issue 25 item 10);
    criteria reasons 01 + 02 + 03 + 04 (not shown) = Part D enrollees in the month of D. A rate is hidden
    when its numerator or denominator is (the rate and one of them give the other back)."""
    import polars as pl
    counts = frame.filter(~pl.col("is_rate"))
    for part, whole, rest in RATE_PARTS.values():  # part + rest (not shown) = whole, per contract and month
        pair = (counts.filter(pl.col("metric").is_in([part, whole]))
                .pivot(on="metric", index=["as_of_date", "contract_id", "month"], values="value"))
        for needed in (part, whole):  # a month may lack either one
            if needed not in pair.columns:
                pair = pair.with_columns(pl.lit(None, dtype=pl.Int64).alias(needed))
        if pair.height:
            complement = pair.select(
                "as_of_date", "contract_id", "month", pl.lit(rest).alias("metric"),
                (pl.col(whole) - pl.col(part)).alias("value"),
                pl.lit(False).alias("published"), pl.lit(False).alias("is_rate")).drop_nulls("value")
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
        for parts in RATE_PARTS.values():
            rate_group = rows.filter(pl.col("metric").is_in(list(parts)))["_row"].to_list()
            if len(rate_group) == 3:
                groups.append(rate_group)
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
            components: tuple[str, ...] = (RATE_PARTS[key[2]][:2] if key[2] in RATE_PARTS
                                           else MEDIAN_PARTS.get(key[2], ()))
            hidden = any(state.get((key[0], key[1], c)) for c in components)
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

#: the CMS edits the validation applies (outputs.md, "CMS beneficiary-level MTM record"; issue 25 item 4e)
EDITS = {
    "missing_required_field": "error",
    "date_before_enrollment": "error",
    "cmr_without_offer": "error",
    "opt_out_before_enrollment": "error",
    "cmr_awaiting_summary": "warning",
}
VALIDATION_COLUMNS = ["contract_id", "member_id", "severity", "edit", "field", "value", "reason"]
PROBLEM_COLUMNS = ["contract_id", "member_id", "problem", "reason"]
#: fields whose value never goes into the validation report (PHI: it lists member ids only)
_PHI_FIELDS = ("mbi", "first_name", "last_name", "birth_date")


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


def _cms_rows(con: duckdb.DuckDBPyConnection, where: str, extra: tuple[str, ...] = ()) -> list[dict]:
    fields = cms_fields()
    columns = [f["column"] for f in fields] + [c for c in ("member_id", *extra) if c not in
                                               {f["column"] for f in fields}]
    result = con.execute(f"SELECT {', '.join(columns)} FROM cms_mtm_beneficiary_file WHERE {where} "
                         "ORDER BY contract_id, member_id")
    return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]


def write_cms_file(con: duckdb.DuckDBPyConnection, path: Path, where: str = "TRUE", cms_layout: bool = False
                   ) -> list[str]:
    """Write the CMS file; returns the fields that no row could fill (blank in every row).

    ``cms_layout``: the submission file of one contract, with the layout's header names and formats
    (``cms_header``, ``cms_format``); otherwise the plan's review copy (``field_name``, ``format``: ISO dates)."""
    fields = cms_fields()
    name, fmt = ("cms_header", "cms_format") if cms_layout else ("field_name", "format")
    rows = _cms_rows(con, where)
    filled = [False] * len(fields)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([f[name] for f in fields])
        for row in rows:
            out = [_cms_value(row[f["column"]], f[fmt]) for f in fields]
            filled = [a or b != "" for a, b in zip(filled, out, strict=True)]
            writer.writerow(out)
    return [f["field_name"] for f, ok in zip(fields, filled, strict=True) if not ok] if rows else []


def _given(value) -> bool:
    return value is not None and value != "" and value is not False


def _first_date(value) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return dt.date.fromisoformat(value.split(";")[0])
    return value


def _why_missing(field: str, row: dict) -> str:
    """The reason a required field is empty, in the words an analyst acts on."""
    if field == "targeting_reason":
        source = row.get("enrollment_source")
        return ("the seeded roster gave no targeting reason (mtm ledger import)" if source == "seed" else
                "enrolled before the ledger recorded targeting reasons, and the member has not met the criteria at "
                "a run since (docs/rules/measures.md, issue 25 item 4a)")
    if field == "cognitively_impaired":
        return "no mtm_event of the contract in the year records cognitively_impaired"
    if field in ("cmr_delivery_method", "cmr_provider", "cmr_recipient"):
        source = {"cmr_delivery_method": "delivery_method", "cmr_provider": "provider_type",
                  "cmr_recipient": "recipient"}[field]
        return f"the first received CMR's mtm_event has no {source} (or one cms_mtm_codes.csv does not code)"
    if field == "opt_out_reason_code":
        return "the opt-out has no reason that cms_mtm_codes.csv codes"
    if field == "pbp_id":
        return "the eligibility spans of the contract give no pbp_id"
    return "no source value"


def cms_validation(con: duckdb.DuckDBPyConnection, where: str = "TRUE") -> list[dict]:
    """Every row of the CMS file that would fail a CMS edit, one line per failure (issue 25 item 4e): a
    required field empty (``required`` of cms_mtm_fields.csv: ``yes``, or ``when:<field>`` when that field
    is Y / given), a date before the MTM enrollment date (``not_before``), a CMR without an offer (or offered
    after it), an opt-out dated before the enrollment. CMRs still waiting for their written summary are
    listed as warnings (the file does not count them as received). Member ids only, never PHI values."""
    fields = cms_fields()
    rows = _cms_rows(con, where, extra=("enrollment_source",))
    out: list[dict] = []

    def add(row: dict, edit: str, field: str, value, reason: str) -> None:
        shown = ("" if field in _PHI_FIELDS or value is None else ("Y" if value else "N")
                 if isinstance(value, bool) else value.isoformat() if isinstance(value, dt.date) else str(value))
        out.append({"contract_id": row["contract_id"], "member_id": row["member_id"], "severity": EDITS[edit],
                    "edit": edit, "field": field, "value": shown, "reason": reason})

    for row in rows:
        for f in fields:
            rule, column = f["required"], f["column"]
            needed = rule == "yes" or (rule.startswith("when:") and _given(row.get(rule.removeprefix("when:"))))
            if needed and (row[column] is None or row[column] == ""):
                add(row, "missing_required_field", column, None, _why_missing(column, row))
        enrolled = row["mtm_enrollment_date"]
        for f in fields:
            column = f["column"]
            if f["not_before"] and column != "opt_out_date":
                first = _first_date(row[column])
                if first is not None and enrolled is not None and first < enrolled:
                    add(row, "date_before_enrollment", column, first,
                        f"{column} {first} is before the MTM enrollment date {enrolled}")
        if row["opt_out_date"] is not None and enrolled is not None and row["opt_out_date"] < enrolled:
            inferred = row.get("enrollment_source") == "inferred_from_events"
            add(row, "opt_out_before_enrollment", "opt_out_date", row["opt_out_date"],
                f"opt-out {row['opt_out_date']} is before the MTM enrollment date {enrolled}"
                + ("; the enrollment date is inferred from the first service event (targeting-rules.md section 6) "
                   "and the recorded opted_out event precedes it: the service history contradicts itself"
                   if inferred else ""))
        first_cmr = _first_date(row["cmr_dates"])
        if row["cmr_received"] and (not row["cmr_offered"] or row["cmr_offer_date"] is None
                                    or (first_cmr is not None and row["cmr_offer_date"] > first_cmr)):
            add(row, "cmr_without_offer", "cmr_offered", row["cmr_offered"],
                "a CMR was received but no offer is dated on or before it")
    waiting = con.execute(
        "SELECT f.contract_id, f.member_id, min(e.event_date) FROM cms_mtm_beneficiary_file AS f "
        "JOIN tgt_mtm_event AS e ON e.member_id = f.member_id AND e.contract_id = f.contract_id "
        "AND e.event_type = 'cmr_completed' "
        "WHERE NOT EXISTS (SELECT 1 FROM tgt_mtm_event AS s WHERE s.member_id = e.member_id "
        "  AND s.contract_id = e.contract_id AND s.event_type = 'summary_sent' AND s.event_date >= e.event_date) "
        f"AND ({where.replace('contract_id', 'f.contract_id')}) GROUP BY ALL ORDER BY 1, 2").fetchall()
    for contract, member, cmr_date in waiting:
        out.append({"contract_id": contract, "member_id": member, "severity": "warning",
                    "edit": "cmr_awaiting_summary", "field": "cmr_received", "value": cmr_date.isoformat(),
                    "reason": f"the CMR of {cmr_date} has no written summary (summary_sent) yet: not counted as "
                              "received"})
    return sorted(out, key=lambda r: (r["contract_id"], r["member_id"], r["severity"], r["edit"], r["field"]))


def cms_validation_counts(findings: list[dict]) -> dict[str, dict[str, int]]:
    """Failures by severity and edit (every edit listed, zeros included)."""
    counts: dict[str, dict[str, int]] = {"error": {}, "warning": {}}
    for edit, severity in EDITS.items():
        counts[severity][edit] = 0
    for f in findings:
        counts[f["severity"]][f["edit"]] += 1
    return counts


def contract_file_name(contract_id: str) -> str:
    return f"cms_mtm_submission_{contract_id}.csv"


def write_cms_submission(con: duckdb.DuckDBPyConnection, folder: Path, where: str = "TRUE") -> dict:
    """The CMS file set: the plan's review copy (all contracts, ISO dates), one submission file per
    contract in the layout's convention, cms_mtm_problems.csv (members left out) and cms_mtm_validation.csv
    (rows that would fail a CMS edit). Returns the counts the run summary and report.json carry."""
    blank = write_cms_file(con, folder / "cms_mtm_beneficiary_file.csv", where)
    contracts = [r[0] for r in con.execute(
        f"SELECT DISTINCT contract_id FROM cms_mtm_beneficiary_file WHERE {where} ORDER BY 1").fetchall()]
    files = {}
    for contract in contracts:
        cut = f"({where}) AND contract_id = '{contract.replace(chr(39), '')}'"
        write_cms_file(con, folder / contract_file_name(contract), cut, cms_layout=True)
        files[contract] = scalar(con, f"SELECT count(*) FROM cms_mtm_beneficiary_file WHERE {cut}")
    problems = [dict(zip(PROBLEM_COLUMNS, r, strict=True)) for r in con.execute(
        f"SELECT {', '.join(PROBLEM_COLUMNS)} FROM cms_mtm_problems WHERE {where} ORDER BY contract_id, member_id"
    ).fetchall()]
    _write_rows(folder / "cms_mtm_problems.csv", PROBLEM_COLUMNS, problems)
    findings = cms_validation(con, where)
    _write_rows(folder / "cms_mtm_validation.csv", VALIDATION_COLUMNS, findings)
    left_out: dict[str, int] = {}
    for p in problems:
        left_out[p["problem"]] = left_out.get(p["problem"], 0) + 1
    counts = cms_validation_counts(findings)
    return {"blank_fields": blank, "rows_by_contract": files, "members_left_out": left_out,
            "validation_errors": counts["error"], "validation_warnings": counts["warning"],
            "rows_failing_an_edit": len({(f["contract_id"], f["member_id"]) for f in findings
                                         if f["severity"] == "error"})}


# -- the run's files -------------------------------------------------------------------------------------

def write_quality_files(con: duckdb.DuckDBPyConnection, folder: Path, where: str = "TRUE",
                        shareable: bool = False) -> dict[str, int]:
    """quality_measures.csv (exact; ``shareable``: small cells suppressed) and, unless shareable (member-level
    detail is never shared outside the plan), quality_measure_members.parquet."""
    frame = con.execute(f"SELECT * FROM quality_measures WHERE {where} ORDER BY contract_id, display_order").pl()
    rows = suppressed_quality_measures(frame) if shareable else exact_quality_measures(frame)
    _write_rows(folder / "quality_measures.csv", QUALITY_COLUMNS, rows)
    if shareable:
        return {"quality_measures": frame.height}
    con.execute(f"COPY (SELECT {', '.join(MEMBER_COLUMNS)} FROM quality_measure_members WHERE {where}) "
                f"TO '{folder / 'quality_measure_members.parquet'}' (FORMAT parquet)")
    members = scalar(con, f"SELECT count(*) FROM quality_measure_members WHERE {where}")
    return {"quality_measures": frame.height, "quality_measure_members": members}


def write_quality(ctx, con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, int]:
    """quality_measures.csv (exact counts) and quality_measure_members.parquet."""
    counts = write_quality_files(con, folder)
    return {"rows": counts["quality_measures"], "member_rows": counts["quality_measure_members"]}


def write_program_metrics(ctx, con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, int]:
    """program_metrics.csv (exact counts); the warehouse history is written when the run publishes."""
    import polars as pl
    metrics = con.execute("SELECT * FROM program_metrics").pl().filter(pl.col("published"))
    _write_rows(folder / "program_metrics.csv", METRIC_COLUMNS,
                [{"contract_id": r["contract_id"], "month": r["month"], "metric": r["metric"],
                  "value": display(r["value"], None, 4 if r["is_rate"] else None)}
                 for r in metrics.iter_rows(named=True)])
    return {"rows": metrics.height}


def write_criteria_whatif(ctx, con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, int]:
    """criteria_whatif.csv, exact counts: a planning file of the plan's own analysts (targeting-rules.md
    section 10; suppressed_whatif is what a shared copy would show)."""
    whatif = con.execute("SELECT * FROM criteria_whatif").pl()
    _write_rows(folder / "criteria_whatif.csv", WHATIF_COLUMNS,
                [{**{k: row[k] for k in WHATIF_COLUMNS[:5]}, "is_current": _bool(row["is_current"]),
                  **{c: display(row[c], None) for c in WHATIF_COLUMNS[6:]}} for row in whatif.iter_rows(named=True)])
    return {"rows": whatif.height}


def write_cms_beneficiary_file(ctx, con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, int]:
    """The CMS files (write_cms_submission); the fields no row could fill, the members left out and the
    validation counts go in the run report (manifest ``measures``, console)."""
    summary = write_cms_submission(con, folder)
    run_report.record(con, ctx.run_id, "export_cms_mtm_beneficiary_file", "measures",
                      {"cms_mtm_blank_fields": summary.pop("blank_fields"), "cms_mtm": summary})
    return {"rows": scalar(con, "SELECT count(*) FROM cms_mtm_beneficiary_file")}


def measure_rows_out(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows of the program-reporting files, for the manifest's rows_out."""
    return dict(con.execute(
        "SELECT 'quality_measures', count(*) FROM quality_measures UNION ALL "
        "SELECT 'quality_measure_members', count(*) FROM quality_measure_members UNION ALL "
        "SELECT 'program_metrics', count(*) FROM program_metrics WHERE published UNION ALL "
        "SELECT 'criteria_whatif', count(*) FROM criteria_whatif UNION ALL "
        "SELECT 'cms_mtm_beneficiary_file', count(*) FROM cms_mtm_beneficiary_file").fetchall())
