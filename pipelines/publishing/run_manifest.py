"""Publishing job 2, the manifest: what the run recorded about itself (``run_report``) as ``run_manifest.json``,
with counts only (no member ids), the settings in force and the versions of code and reference data.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from pipelines.engine.db import one_row, scalar
from pipelines.publishing.diagnosis_warnings import unknown_condition_code_warnings
from pipelines.publishing.exports.measures import measure_rows_out
from pipelines.publishing.ledger import ENROLLMENT_SOURCES, ledger_origin
from pipelines.reference import reference_versions
from pipelines.reference.identity_report import drug_identity_report, identity_warnings
from pipelines.run_state import run_facts as run_report
from pipelines.run_state.run_context import RunContext, code_version


def targeting_report(con: duckdb.DuckDBPyConnection) -> dict:
    """Counts only (no member ids): members by reason, enrolled, pending fills, held MTM events, services due,
    ledger sources."""
    from pipelines.publishing.exports.outreach import service_counts

    by_reason = dict(con.execute(
        "SELECT targeting_reason, count(*) FROM member_summary GROUP BY 1 ORDER BY 1").fetchall())
    totals = one_row(
        con,
        "SELECT count(*), count(*) FILTER (WHERE meets_criteria), count(*) FILTER (WHERE mtm_enrolled) "
        "FROM member_summary")
    pending = scalar(con, "SELECT count(*) FROM pending_fills")
    held_events = scalar(con, "SELECT count(*) FROM tgt_mtm_event_contract WHERE held_reason IS NOT NULL")
    arb_delivered = scalar(con, "SELECT count(*) FROM raw_dmp_arb") > 0
    by_source = {source: [0, 0] for source in ENROLLMENT_SOURCES}
    for source, rows, enrolled in con.execute(
            "SELECT enrollment_source, count(*), count(*) FILTER (WHERE mtm_enrolled) FROM tgt_mtm_enrollment "
            "GROUP BY 1").fetchall():
        by_source[source] = [rows, enrolled]
    return {
        "members_enrolled_part_d": totals[0],
        "members_meeting_criteria": totals[1],
        "members_mtm_enrolled": totals[2],
        "members_by_targeting_reason": by_reason,
        "pending_fills": pending,
        "held_events": held_events,  # issue 25 item 3: mtm_event rows outside every span of their contract
        "arb_evaluated": arb_delivered,
        "services": service_counts(con),
        # targeting-rules.md section 6: ledger rows of the contract year by where the enrollment date came from
        "ledger_rows_by_enrollment_source": {k: v[0] for k, v in by_source.items()},
        "mtm_enrolled_by_enrollment_source": {k: v[1] for k, v in by_source.items()},
        # issue 26 item 16: rows kept from earlier runs of this home vs new in this run (the ledger remembers)
        "ledger_origin": ledger_origin(con),
    }


def _facts(ctx: RunContext, con: duckdb.DuckDBPyConnection | None) -> tuple[dict, dict]:
    """The run's recorded facts and timings; none when the warehouse cannot be read (a failed run)."""
    try:
        if con is None:
            with duckdb.connect(str(ctx.warehouse_path), read_only=True) as ro:
                return run_report.facts(ro, ctx.run_id), run_report.timings(ro, ctx.run_id)
        return run_report.facts(con, ctx.run_id), run_report.timings(con, ctx.run_id)
    except (duckdb.Error, OSError):
        return {}, {}


def manifest(ctx: RunContext, status: str, error: str | None = None,
             con: duckdb.DuckDBPyConnection | None = None, extra: dict | None = None) -> dict:
    facts, timings = _facts(ctx, con)
    facts.update(extra or {})
    return {
        "status": status,
        "error": error,
        "as_of_date": ctx.as_of.isoformat(),
        "as_known_at": ctx.as_known_at.isoformat(sep=" ") if ctx.as_known_at else None,
        "audit_cutoff": facts.get("audit_cutoff", {}),
        "contract_year": ctx.as_of.year,
        "run_id": ctx.run_id,
        "source": ctx.source,
        "engine": ctx.engine,  # which engine computed the SQL models (issue 31: duckdb or spark)
        "extract_dirs": [str(d) for d in ctx.extract_dirs],
        "settings_file": str(ctx.settings_file) if ctx.settings_file else None,
        "settings": ctx.settings,
        "input_files": facts.get("input_files", []),
        "rows_in": facts.get("rows_in", {}),
        "rows_out": facts.get("rows_out", {}),
        "rejects": facts.get("rejects", {}),
        "drug_identity": facts.get("drug_identity", {}),
        "targeting": facts.get("targeting", {}),
        "measures": facts.get("measures", {}),
        "expectations": facts.get("expectations", {}),
        "warnings": facts.get("warnings", []),
        "reference_data_versions": reference_versions(),
        "code_version": code_version(),
        "timings_seconds": timings,
        "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def record_run_summary(ctx: RunContext, con: duckdb.DuckDBPyConnection) -> None:
    """The counts the manifest reports (rows out, drug identity, targeting, ledger rows) and the run's
    warnings, recorded in the run report (``run_report``) for the manifest to read."""
    rows_out = dict(con.execute(
        "SELECT 'member_summary', count(*) FROM member_summary UNION ALL "
        "SELECT 'member_drugs', count(*) FROM member_drugs UNION ALL "
        "SELECT 'member_conditions', count(*) FROM member_conditions UNION ALL "
        "SELECT 'outreach_list', count(*) FROM outreach_list UNION ALL "
        "SELECT 'tmr_worklist', count(*) FROM tmr_worklist UNION ALL "
        "SELECT 'rejects', count(*) FROM rejects"
    ).fetchall())
    rows_out.update(measure_rows_out(con))
    identity = drug_identity_report(con)
    warnings = run_report.facts(con, ctx.run_id).get("warnings", []) + identity_warnings(identity)
    summaries = {"rows_out": rows_out, "drug_identity": identity, "targeting": targeting_report(con),
                 "warnings": warnings}
    for key, value in summaries.items():
        run_report.record(con, ctx.run_id, "published_run", key, value)
    run_report.record(con, ctx.run_id, "published_run", "ledger_rows",
                      scalar(con, "SELECT count(*) FROM tgt_ledger_next"))
    warnings = run_report.facts(con, ctx.run_id).get("warnings", []) + unknown_condition_code_warnings(con)
    run_report.record(con, ctx.run_id, "published_run", "warnings", warnings)
