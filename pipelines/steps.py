"""The pipeline's steps, framework-free: each takes a RunContext and a DuckDB connection.

Dagster assets call these one per layer; tests call them directly.  The flow is one way:
extract files -> raw -> staging (+ rejects) -> core member facts -> targeting -> outputs -> publish.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from pipelines.contract import TABLES
from pipelines.errors import RejectRateError
from pipelines.readers import ingest_extract
from pipelines.row_checks import build_row_rejects
from pipelines.run_context import RunContext
from pipelines.settings import run_parameters_row
from pipelines.sql_runner import build_models, run_macros

STAGING_MODELS = [
    "stg_eligibility_rows", "stg_eligibility_overlap", "stg_eligibility",
    "stg_pharmacy_claim", "stg_medical_claim", "stg_diagnosis_all", "stg_diagnosis",
    "stg_mtm_event", "stg_dmp_arb", "stg_member_status", "rejects",
]
CORE_MODELS = [
    "core_disease_set", "core_member_span", "core_member_coverage", "core_member_status", "core_member",
    "core_fill", "core_atc_condition", "core_active_drug", "core_member_cost",
    "core_condition_dx", "core_condition_rx", "core_condition_eligibility", "core_condition_evidence",
    "core_member_condition", "core_member_drug_count",
]
TARGETING_MODELS = [
    "tgt_member_arb", "tgt_member_criteria", "tgt_mtm_event", "tgt_opt_out_request",
    "tgt_ledger_next", "tgt_mtm_enrollment",
    "tgt_member_pdc", "tgt_risk_signal", "tgt_service_due", "tgt_service_priority", "tgt_member_priority",
]
OUTPUT_MODELS = ["member_summary", "member_drugs", "member_conditions", "outreach_list"]

LEDGER_DDL = """
CREATE TABLE IF NOT EXISTS mtm_enrollment_ledger (
    member_id VARCHAR NOT NULL,
    contract_id VARCHAR NOT NULL,
    contract_year INTEGER NOT NULL,
    mtm_enrollment_date DATE NOT NULL,
    date_met_criteria DATE
)"""


def _timed(ctx: RunContext, step: str, started: float, extra: dict | None = None) -> dict:
    info = {"seconds": round(time.perf_counter() - started, 3), **(extra or {})}
    ctx.add_step(step, info)
    return info


def ingest(ctx: RunContext, con: duckdb.DuckDBPyConnection) -> dict:
    """Read the extract into raw_<table> (every column as text) through the source's reader."""
    from pipelines.adapters import read_source

    started = time.perf_counter()
    report = read_source(ctx, con) if ctx.source != "canonical" else ingest_extract(con, ctx.extract_dirs)
    ctx.add_note("input_files", report.files)
    ctx.add_note("rows_in", report.rows_in)
    ctx.add_note("absent_tables", report.absent_tables)
    ctx.add_note("warnings", ingest_warnings(ctx, report))
    write_run_parameters(ctx, con, member_status_delivered="member_status" not in report.absent_tables)
    return _timed(ctx, "ingest", started, {"rows_in": report.rows_in})


def ingest_warnings(ctx: RunContext, report) -> list[str]:
    """What the run could not evaluate, said plainly in the manifest and on the console."""
    warnings = list(getattr(report, "notes", []))
    if "dmp_arb" in report.absent_tables and ctx.as_of.year >= 2022:
        warnings.append(
            "no dmp_arb file was delivered: at-risk beneficiaries of the Drug Management Program "
            "(targeting reason 02) were NOT evaluated"
        )
    if "medical_claim" in report.absent_tables:
        warnings.append("no medical_claim file was delivered: chronic conditions come from drugs "
                        "(and ESRD status) only, as for a standalone PDP")
    return warnings


def write_run_parameters(ctx: RunContext, con: duckdb.DuckDBPyConnection, member_status_delivered: bool) -> None:
    row = run_parameters_row(ctx.settings, ctx.as_of, member_status_delivered)
    columns = ", ".join(f"${k} AS {k}" for k in row)
    con.execute(f"CREATE OR REPLACE TABLE run_parameters AS SELECT {columns}", row)
    con.execute("ALTER TABLE run_parameters ALTER as_of_date TYPE DATE")
    con.execute("ALTER TABLE run_parameters ALTER cost_threshold TYPE DECIMAL(18, 2)")


def load_generic_names(con: duckdb.DuckDBPyConnection) -> int:
    """Normalise each distinct generic_name once (in Python, the one definition of the rule)."""
    from pipelines.reference import normalise_generic_name

    names = [r[0] for r in con.execute(
        "SELECT DISTINCT generic_name FROM raw_pharmacy_claim WHERE generic_name IS NOT NULL").fetchall()]
    con.execute("CREATE OR REPLACE TABLE ref_generic_name (generic_name VARCHAR, drug_key VARCHAR)")
    rows = [(n, normalise_generic_name(n)) for n in names]
    rows = [r for r in rows if r[1]]
    if rows:
        con.executemany("INSERT INTO ref_generic_name VALUES (?, ?)", rows)
    return len(rows)


def stage(ctx: RunContext, con: duckdb.DuckDBPyConnection) -> dict:
    """Reference data, row checks -> rejects, typed staging tables with versions resolved."""
    from pipelines.reference.load import load_reference_tables

    started = time.perf_counter()
    run_macros(con, "staging")
    run_macros(con, "core")
    load_reference_tables(con)
    load_generic_names(con)
    build_row_rejects(con)
    models = build_models(con, "staging", STAGING_MODELS)
    rejects = reject_summary(ctx, con)
    ctx.add_note("rejects", rejects)
    _write_csv(con, "SELECT table_name, file, row_number, column_name, reason, value FROM rejects "
                    "ORDER BY table_name, file, row_number, column_name",
               ctx.staging_dir / "rejects.csv")
    check_reject_rates(ctx, rejects)
    return _timed(ctx, "staging", started, {"models": models})


def reject_summary(ctx: RunContext, con: duckdb.DuckDBPyConnection) -> dict:
    rows_in = ctx.read_notes().get("rows_in", {})
    by_reason = con.execute(
        "SELECT table_name, reason, count(*) FROM rejects GROUP BY ALL ORDER BY 1, 3 DESC"
    ).fetchall()
    rejected_rows = dict(con.execute(
        "SELECT table_name, count(DISTINCT (file, row_number)) FROM rejects "
        "WHERE counts_toward_threshold GROUP BY table_name"
    ).fetchall())
    tables = {}
    for name in TABLES:
        n_in = rows_in.get(name, 0)
        n_rej = rejected_rows.get(name, 0)
        tables[name] = {"rows_in": n_in, "rows_rejected": n_rej,
                        "reject_rate": round(n_rej / n_in, 6) if n_in else 0.0}
    return {
        "by_reason": [{"table": t, "reason": r, "count": c} for t, r, c in by_reason],
        "tables": tables,
    }


def check_reject_rates(ctx: RunContext, rejects: dict) -> None:
    limit = float(ctx.settings["validation"]["max_reject_rate"])
    over = {t: v for t, v in rejects["tables"].items() if v["rows_in"] and v["reject_rate"] > limit}
    if over:
        detail = "; ".join(
            f"{t}: {v['rows_rejected']} of {v['rows_in']} rows rejected ({v['reject_rate']:.1%})"
            for t, v in over.items()
        )
        raise RejectRateError(
            f"reject rate above the limit of {limit:.1%} ([validation] max_reject_rate): {detail}. "
            f"See rejects.csv in {ctx.home / 'failed'} for every rejected row and its reason."
        )


def quality_docs(ctx: RunContext, con: duckdb.DuckDBPyConnection) -> dict:
    """Great Expectations suites on (a sample of) each delivered raw table, with Data Docs."""
    from pipelines.quality import results_to_dict, validate_tables

    started = time.perf_counter()
    limit = int(ctx.settings["validation"]["gx_sample_rows"])
    mostly = 1.0 - float(ctx.settings["validation"]["max_reject_rate"])
    frames = {}
    absent = set(ctx.read_notes().get("absent_tables", []))
    for name, table in TABLES.items():
        if name in absent:
            continue
        cols = ", ".join(c.name for c in table.columns)
        frames[name] = con.execute(
            f"SELECT {cols} FROM raw_{name} USING SAMPLE reservoir({limit} ROWS) REPEATABLE (42)"
        ).df()
    results = validate_tables(frames, ctx.staging_dir / "data_docs", mostly=mostly,
                              run_name=ctx.as_of.isoformat())
    summary = results_to_dict(results)
    ctx.add_note("expectations", summary)
    return _timed(ctx, "quality_docs", started, {"success": summary.get("success")})


def core(ctx: RunContext, con: duckdb.DuckDBPyConnection) -> dict:
    started = time.perf_counter()
    models = build_models(con, "core", CORE_MODELS)
    ctx.add_note("drug_identity", drug_identity_report(con))
    return _timed(ctx, "core", started, {"models": models})


def drug_identity_report(con: duckdb.DuckDBPyConnection) -> dict:
    levels = dict(con.execute(
        "SELECT identity_level, count(*) FROM core_fill GROUP BY 1 ORDER BY 1").fetchall())
    top_unmapped = con.execute(
        "SELECT ndc, count(*) AS fills FROM core_fill WHERE identity_level IN ('generic_name', 'ndc9') "
        "GROUP BY ndc ORDER BY fills DESC, ndc LIMIT 20"
    ).fetchall()
    statuses = dict(con.execute("SELECT fill_status, count(*) FROM core_fill GROUP BY 1").fetchall())
    return {
        "fills_by_identity_level": levels,
        "fills_by_status": statuses,
        "top_unmapped_ndcs": [{"ndc": n, "fills": c} for n, c in top_unmapped],
    }


def targeting(ctx: RunContext, con: duckdb.DuckDBPyConnection) -> dict:
    started = time.perf_counter()
    con.execute(LEDGER_DDL)
    models = build_models(con, "targeting", TARGETING_MODELS)
    return _timed(ctx, "targeting", started, {"models": models})


def _write_csv(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"COPY ({query}) TO '{path}' (HEADER, DELIMITER ',')")


def _write_parquet(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"COPY ({query}) TO '{path}' (FORMAT parquet)")


def outputs(ctx: RunContext, con: duckdb.DuckDBPyConnection) -> dict:
    started = time.perf_counter()
    models = build_models(con, "outputs", OUTPUT_MODELS)
    out = ctx.staging_dir
    _write_csv(con, "SELECT * FROM member_summary", out / "member_summary.csv")
    _write_parquet(con, "SELECT * FROM member_summary", out / "member_summary.parquet")
    _write_parquet(con, "SELECT * FROM member_drugs", out / "member_drugs.parquet")
    _write_parquet(con, "SELECT * FROM member_conditions", out / "member_conditions.parquet")
    _write_csv(con, "SELECT claim_id, member_id, fill_date, ndc, drug_key FROM core_fill "
                    "WHERE fill_status = 'pending' ORDER BY member_id, fill_date, claim_id",
               out / "pending_fills.csv")
    from pipelines.exports.outreach import write_outreach_files

    write_outreach_files(con, out)  # the only files with PHI (names, phones, birth dates)
    ctx.add_note("targeting", targeting_report(con))
    return _timed(ctx, "outputs", started, {"models": models})


def outreach_service_counts(con: duckdb.DuckDBPyConnection) -> dict:
    """Outreach-list rows per service (counts only, no member ids)."""
    from pipelines.exports.outreach import service_counts

    return service_counts(con)


def targeting_report(con: duckdb.DuckDBPyConnection) -> dict:
    by_reason = dict(con.execute(
        "SELECT targeting_reason, count(*) FROM member_summary GROUP BY 1 ORDER BY 1").fetchall())
    totals = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE meets_criteria), count(*) FILTER (WHERE mtm_enrolled) "
        "FROM member_summary").fetchone()
    pending = con.execute("SELECT count(*) FROM core_fill WHERE fill_status = 'pending'").fetchone()[0]
    arb_delivered = con.execute("SELECT count(*) FROM raw_dmp_arb").fetchone()[0] > 0
    return {
        "members_enrolled_part_d": totals[0],
        "members_meeting_criteria": totals[1],
        "members_mtm_enrolled": totals[2],
        "members_by_targeting_reason": by_reason,
        "pending_fills": pending,
        "arb_evaluated": arb_delivered,
        "services": outreach_service_counts(con),
    }


def run_all(ctx: RunContext, with_quality_docs: bool = True) -> Path:
    """Every step in order without Dagster (tests, benchmarks); the same functions the assets call."""
    from pipelines.publish import publish, record_failure, run_lock

    with run_lock(ctx.home):
        con = ctx.connect()
        try:
            ingest(ctx, con)
            if with_quality_docs:
                quality_docs(ctx, con)
            stage(ctx, con)
            core(ctx, con)
            targeting(ctx, con)
            outputs(ctx, con)
            return publish(ctx, con)
        except Exception as exc:
            record_failure(ctx, exc)
            raise
        finally:
            con.close()
