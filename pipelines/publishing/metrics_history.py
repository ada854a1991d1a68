"""Publishing job 4, the program metrics history: this run's published program metrics kept in the warehouse
(``program_metrics_history``), which later runs read for the earlier months of the year.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from pipelines.engine.db import scalar
from pipelines.engine.models import create_declared


def replace_program_metrics_history(as_of: dt.date, con: duckdb.DuckDBPyConnection, folder: Path) -> int:
    """Keep this run's program metrics in the warehouse (program_metrics_history), replacing an earlier
    run of the same as-of date. Called at publish time inside the ledger's transaction
    (``pipelines.publishing.ledger_commit.commit_ledger``): the history holds published runs only, so a run that fails
    or is
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
