"""Publishing job 3, the ledger commit: this contract year's MTM enrollment ledger rows replaced by the run's
(``tgt_ledger_next``), in one transaction with the program metrics history (job 4,
``pipelines.publishing.metrics_history``): both hold published runs only, so they move together or not at all.
"""

from __future__ import annotations

import duckdb

from pipelines.engine.db import scalar
from pipelines.publishing.metrics_history import replace_program_metrics_history
from pipelines.run_state import faults
from pipelines.run_state import run_facts as run_report
from pipelines.run_state.run_context import RunContext


def commit_ledger(ctx: RunContext, con: duckdb.DuckDBPyConnection) -> int:
    """Replace this contract year's ledger rows with the run's, and this as-of date's program metrics
    history, in one transaction: both hold published runs only, and move together or not at all."""
    con.execute("BEGIN TRANSACTION")
    try:
        history_rows = replace_program_metrics_history(ctx.as_of, con, ctx.staging_dir)  # job 4
        con.execute("DELETE FROM mtm_enrollment_ledger WHERE contract_year = ?", [ctx.as_of.year])
        faults.at("publish:ledger")
        con.execute(
            "INSERT INTO mtm_enrollment_ledger (member_id, contract_id, contract_year, mtm_enrollment_date, "
            "date_met_criteria, enrollment_source, targeting_reason, opt_out_date, opt_out_reason, "
            "targeting_reason_source) "
            "SELECT member_id, contract_id, contract_year, mtm_enrollment_date, date_met_criteria, "
            "enrollment_source, targeting_reason, opt_out_date, opt_out_reason, targeting_reason_source "
            "FROM tgt_ledger_next"
        )
        run_report.record(con, ctx.run_id, "published_run", "program_metrics_history_rows", history_rows)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return scalar(con, "SELECT count(*) FROM tgt_ledger_next")
