"""What an analyst reads on an asset in the Dagster UI: counts, a markdown summary, links (issue 17).

Counts only, never a member id or PHI; counts of 1-10 members in a breakdown are shown as "<11"
(small-cell suppression, as in every aggregate the project publishes).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from pipelines.db import one_row
from pipelines.run_context import RunContext


def suppressed(count: int) -> int | str:
    return "<11" if 1 <= count <= 10 else count


def _targeting_counts(con: duckdb.DuckDBPyConnection) -> dict:
    total, met, enrolled = one_row(
        con, "SELECT count(*), count(*) FILTER (WHERE meets_criteria), count(*) FILTER (WHERE mtm_enrolled) "
             "FROM member_summary")
    by_reason = con.execute("SELECT targeting_reason, count(*) FROM member_summary GROUP BY 1 ORDER BY 1").fetchall()
    return {"members": total, "meeting_criteria": met, "mtm_enrolled": enrolled,
            "by_reason": {reason: suppressed(n) for reason, n in by_reason}}


def member_summary_metadata(con: duckdb.DuckDBPyConnection) -> dict:
    t = _targeting_counts(con)
    rate = t["meeting_criteria"] / t["members"] if t["members"] else 0.0
    return {
        "members_meeting_criteria": suppressed(t["meeting_criteria"]),
        "members_mtm_enrolled": suppressed(t["mtm_enrolled"]),
        "targeting_rate": round(rate, 4),
        "members_by_targeting_reason": dg.MetadataValue.json(t["by_reason"]),
    }


#: extra metadata of a SQL model's materialisation, by table name
MODEL_METADATA = {"member_summary": member_summary_metadata}


def _rejects_by_reason(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    return con.execute("SELECT table_name, reason, count(*) FROM rejects GROUP BY ALL ORDER BY 3 DESC, 1, 2 "
                       "LIMIT 20").fetchall()


def _markdown(ctx: RunContext, rows: dict, t: dict, rejects: list, folder: Path) -> str:
    lines = [f"### MTM run as of {ctx.as_of.isoformat()}", "",
             f"Published to `{folder}`.", "",
             "| measure | count |", "|---|---|",
             f"| Part D members | {t['members']} |",
             f"| meeting the MTM criteria | {suppressed(t['meeting_criteria'])} |",
             f"| MTM enrolled | {suppressed(t['mtm_enrolled'])} |"]
    lines += [f"| rows: {name} | {n} |" for name, n in rows.items()]
    lines += ["", "**Members by targeting reason**", "", "| reason | members |", "|---|---|"]
    lines += [f"| {reason} | {n} |" for reason, n in t["by_reason"].items()]
    if rejects:
        lines += ["", "**Rejected input rows by reason** (top 20)", "", "| table | reason | rows |", "|---|---|---|"]
        lines += [f"| {table} | {reason} | {n} |" for table, reason, n in rejects]
    return "\n".join(lines)


def published_run_metadata(ctx: RunContext, con: duckdb.DuckDBPyConnection, folder: Path) -> dict:
    rows = dict(con.execute(
        "SELECT 'member_summary', count(*) FROM member_summary UNION ALL "
        "SELECT 'outreach_list', count(*) FROM outreach_list UNION ALL "
        "SELECT 'rejects', count(*) FROM rejects").fetchall())
    t = _targeting_counts(con)
    rejects = _rejects_by_reason(con)
    metadata: dict = {
        "as_of": ctx.as_of.isoformat(),
        "rows": dg.MetadataValue.json(rows),
        "rejects_by_reason": dg.MetadataValue.json({f"{table}: {reason}": n for table, reason, n in rejects}),
        "targeting": dg.MetadataValue.json(t),
        "summary": dg.MetadataValue.md(_markdown(ctx, rows, t, rejects, folder)),
        "run_folder": dg.MetadataValue.path(str(folder)),
    }
    links = {"data_docs": folder / "data_docs" / "index.html", "dashboard": folder / "dashboard.html"}
    for name, path in links.items():
        if path.exists():
            metadata[name] = dg.MetadataValue.path(str(path))
            metadata[f"{name}_url"] = dg.MetadataValue.url(path.as_uri())
    return metadata
