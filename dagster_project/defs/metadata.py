"""What an analyst reads on an asset in the Dagster UI: counts, a markdown summary, links (issue 17).

Counts only, never a member id or PHI; member counts go through the project's small-cell suppression
(pipelines.publishing.privacy: 1-10 reads "<11", and a cell that would give one back is hidden too).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from pipelines.engine.db import one_row
from pipelines.publishing import privacy
from pipelines.run_state.run_context import RunContext


def _targeting_counts(con: duckdb.DuckDBPyConnection) -> dict:
    """Members, meeting the criteria, MTM enrolled and members by targeting reason, with small-cell and
    complementary suppression (pipelines.publishing.privacy): the reasons add up to the members, and the members
    not meeting the criteria are reason 04, so a hidden cell must not be derivable from the others."""
    total, met, enrolled = one_row(
        con, "SELECT count(*), count(*) FILTER (WHERE meets_criteria), count(*) FILTER (WHERE mtm_enrolled) "
             "FROM member_summary")
    import polars as pl  # not at start-up (~1 s): only the assets that show these counts need it

    by_reason = con.execute("SELECT targeting_reason, count(*) FROM member_summary GROUP BY 1 ORDER BY 1").fetchall()
    names = ["members", "meeting_criteria", "mtm_enrolled", *(f"reason {r}" for r, _ in by_reason)]
    frame = pl.DataFrame({"cell": names, "value": [total, met, enrolled, *(n for _, n in by_reason)]})
    groups = [[0, *range(3, len(names))]]
    if "reason 04" in names:
        groups.append([0, 1, names.index("reason 04")])
    cells = privacy.suppress(frame, groups)
    shown = {row["cell"]: privacy.display(row["value"], row["suppression"]) for row in cells.iter_rows(named=True)}
    return {"members": shown["members"], "meeting_criteria": shown["meeting_criteria"],
            "mtm_enrolled": shown["mtm_enrolled"],
            "by_reason": {r: shown[f"reason {r}"] for r, _ in by_reason},
            "targeting_rate": round(met / total, 4) if total else 0.0}


def member_summary_metadata(con: duckdb.DuckDBPyConnection) -> dict:
    t = _targeting_counts(con)
    return {
        "members_meeting_criteria": t["meeting_criteria"],
        "members_mtm_enrolled": t["mtm_enrolled"],
        "targeting_rate": t["targeting_rate"] if "<" not in t["meeting_criteria"] + t["members"] else "suppressed",
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
             f"| meeting the MTM criteria | {t['meeting_criteria']} |",
             f"| MTM enrolled | {t['mtm_enrolled']} |"]
    lines += [f"| outreach list rows (member x service) | {rows['outreach_list']} |"]
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
