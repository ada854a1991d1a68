"""The files of a run folder, declared as data: which tables each is written from, in which formats.

Each entry becomes one Dagster asset (``export_<table>``) that reads exactly the tables listed, so the
lineage from a number in a published file back to the extract is visible table by table.  Files are
written into the run's unpublished folder; ``pipelines.publishing.run_folder`` renames it into place when complete.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.engine.db import scalar
from pipelines.ingest.contract import TABLES
from pipelines.publishing.exports import measures
from pipelines.run_state import run_facts as run_report
from pipelines.run_state.errors import RejectRateError
from pipelines.run_state.run_context import RunContext

Writer = Callable[[RunContext, duckdb.DuckDBPyConnection, Path], dict[str, int]]


@dataclass(frozen=True)
class Export:
    table: str
    reads: tuple[str, ...]
    files: tuple[str, ...]
    write: Writer
    description: str

    @property
    def asset(self) -> str:
        return f"export_{self.table}"


def copy_to(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    target = str(path).replace("'", "''")
    options = "FORMAT parquet" if path.suffix == ".parquet" else "HEADER, DELIMITER ','"
    con.execute(f"COPY ({query}) TO '{target}' ({options})")


def table_files(table: str, *formats: str, query: str | None = None) -> Writer:
    def write(ctx: RunContext, con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, int]:
        select = query or f"SELECT * FROM {table}"
        for fmt in formats:
            copy_to(con, select, folder / f"{table}.{fmt}")
        return {"rows": scalar(con, f"SELECT count(*) FROM ({select})")}

    return write


def reject_summary(con: duckdb.DuckDBPyConnection, rows_in: dict[str, int]) -> dict:
    """Rejects by table and reason, and each table's reject rate (distinct rejected rows / rows in)."""
    by_reason = con.execute(
        "SELECT table_name, reason, count(*) FROM rejects GROUP BY ALL ORDER BY 1, 3 DESC, 2").fetchall()
    rejected_rows = dict(con.execute(
        "SELECT table_name, count(DISTINCT (file, row_number)) FROM rejects "
        "WHERE counts_toward_threshold GROUP BY table_name").fetchall())
    tables = {}
    for name in TABLES:
        n_in, n_rej = rows_in.get(name, 0), rejected_rows.get(name, 0)
        tables[name] = {"rows_in": n_in, "rows_rejected": n_rej,
                        "reject_rate": round(n_rej / n_in, 6) if n_in else 0.0}
    return {"by_reason": [{"table": t, "reason": r, "count": c} for t, r, c in by_reason], "tables": tables}


def write_rejects(ctx: RunContext, con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, int]:
    """rejects.csv, then the reject-rate gate: over the limit, the run stops (the file goes to failed/)."""
    copy_to(con, "SELECT table_name, file, row_number, column_name, reason, value FROM rejects "
                 "ORDER BY table_name, file, row_number, column_name", folder / "rejects.csv")
    summary = reject_summary(con, run_report.facts(con, ctx.run_id).get("rows_in", {}))
    run_report.record(con, ctx.run_id, "export_rejects", "rejects", summary)
    limit = float(ctx.settings["validation"]["max_reject_rate"])
    over = {t: v for t, v in summary["tables"].items() if v["rows_in"] and v["reject_rate"] > limit}
    if over:
        detail = "; ".join(f"{t}: {v['rows_rejected']} of {v['rows_in']} rows rejected ({v['reject_rate']:.1%})"
                           for t, v in over.items())
        raise RejectRateError(
            f"reject rate above the limit of {limit:.1%} ([validation] max_reject_rate): {detail}. "
            f"See {ctx.failed_dir / 'rejects.csv'} for every rejected row and its reason.")
    return {"rows": sum(r["count"] for r in summary["by_reason"])}


def write_outreach(ctx: RunContext, con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, int]:
    from pipelines.publishing.exports.outreach import write_outreach_files

    return write_outreach_files(con, folder)  # with the TMR worklist, the only files with PHI


PENDING_FILLS = "SELECT * FROM pending_fills ORDER BY member_id, fill_date, claim_id"
#: issue 25 item 3: MTM events that no span of their contract covers (held like pending fills, counted for nothing)
HELD_EVENTS = ("SELECT member_id, event_date, event_type, named_contract_id AS contract_id, held_reason, "
               "_file AS source_file, _row AS source_row FROM tgt_mtm_event_contract "
               "WHERE held_reason IS NOT NULL ORDER BY member_id, event_date, _seq")

EXPORTS: tuple[Export, ...] = (
    Export("rejects", ("rejects",), ("rejects.csv",), write_rejects,
           "rejects.csv: every rejected input row or dropped diagnosis code; fails the run above the reject-rate "
           "limit"),
    Export("member_summary", ("member_summary",), ("member_summary.csv", "member_summary.parquet"),
           table_files("member_summary", "csv", "parquet"),
           "member_summary.csv and .parquet: one row per Part D member at D with the outputs.md columns"),
    Export("member_drugs", ("member_drugs",), ("member_drugs.parquet",), table_files("member_drugs", "parquet"),
           "member_drugs.parquet: the draft Personal Medication List (member x active drug)"),
    Export("member_conditions", ("member_conditions",), ("member_conditions.parquet",),
           table_files("member_conditions", "parquet"),
           "member_conditions.parquet: the evidence behind every condition flag"),
    Export("member_risk_signals", ("member_risk_signals",), ("member_risk_signals.parquet",),
           table_files("member_risk_signals", "parquet"),
           "member_risk_signals.parquet: the evidence behind every risk flag, drug interactions in words"),
    Export("pending_fills", ("pending_fills",), ("pending_fills.csv",),
           table_files("pending_fills", "csv", query=PENDING_FILLS),
           "pending_fills.csv: fills of known members outside every Part D span (held, not counted)"),
    Export("held_events", ("tgt_mtm_event_contract",), ("held_events.csv",),
           table_files("held_events", "csv", query=HELD_EVENTS),
           "held_events.csv: MTM events that no Part D span of their contract covers (held, counted for nothing)"),
    Export("outreach_list", ("outreach_list", "tmr_worklist", "run_parameters"),
           ("outreach_list.csv", "outreach_list.xlsx", "tmr_worklist.csv"), write_outreach,
           "outreach_list.csv and .xlsx: member x CMR service due, with priority, reasons and contact details "
           "(PHI); tmr_worklist.csv (and its sheet): the pharmacist's TMR desk-review list"),
    # issue 14: program reporting (pipelines/publishing/exports/measures.py; aggregate files small-cell suppressed)
    Export("quality_measures", ("quality_measures", "quality_measure_members"),
           ("quality_measures.csv", "quality_measure_members.parquet"), measures.write_quality,
           "quality_measures.csv (contract x measure, suppressed) and quality_measure_members.parquet (member x "
           "measure detail with recoverable adherence gaps)"),
    Export("program_metrics", ("program_metrics",), ("program_metrics.csv",), measures.write_program_metrics,
           "program_metrics.csv: contract x month x metric, suppressed; kept in program_metrics_history on publish"),
    Export("criteria_whatif", ("criteria_whatif",), ("criteria_whatif.csv",), measures.write_criteria_whatif,
           "criteria_whatif.csv: members meeting and CMR workload per criteria combination, suppressed"),
    Export("cms_mtm_beneficiary_file", ("cms_mtm_beneficiary_file", "cms_mtm_problems", "tgt_mtm_event"),
           ("cms_mtm_beneficiary_file.csv", "cms_mtm_problems.csv", "cms_mtm_validation.csv"),
           measures.write_cms_beneficiary_file,
           "cms_mtm_beneficiary_file.csv: the CMS beneficiary-level MTM record per enrollee of the year (PHI), "
           "the plan's review copy; cms_mtm_submission_<contract>.csv: one submission file per contract in "
           "the CMS layout; cms_mtm_problems.csv: enrollees left out (no valid MBI); cms_mtm_validation.csv: "
           "every row that would fail a CMS edit"),
    # the PHI-free files behind the portal's member page (`mtm serve` reads run folders only)
    *(Export(table, (table,), (f"{table}.parquet",), table_files(table, "parquet"), f"{table}.parquet: {what}")
      for table, what in (
          ("member_evidence", "the claims and fills behind each condition flag (portal member page)"),
          ("member_events", "the MTM history: every mtm_event up to D with its file and row (portal member page)"),
          ("member_services", "MTM services due at D, PHI-free (portal member page)"),
          ("member_medication_list", "the draft Personal Medication List in the CMS Standardized Format's "
                                     "layout (portal member page)"))),
)
