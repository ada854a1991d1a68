"""The outreach list: an asset (rows per service; the files are written by ``steps.outputs``) and its
gates. Every check reads the warehouse tables of the run; none returns or logs a member's PHI."""


import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.defs.assets import member_summary
from pipelines.exports.outreach import CHECK_QUERIES, SERVICES, service_counts


@dg.asset(group_name="outputs", kinds={"duckdb", "csv", "excel"}, deps=[member_summary])
def outreach_list(duckdb: DuckDBResource) -> dg.MaterializeResult:
    """Member x service due (initial/annual CMR offer, CMR follow-up, quarterly TMR) with priority rank,
    reasons in words and contact notes: outreach_list.csv and outreach_list.xlsx in the run folder."""
    with duckdb.get_connection() as con:
        counts = service_counts(con)
        members = con.execute("SELECT count(DISTINCT member_id) FROM outreach_list").fetchone()[0]
    return dg.MaterializeResult(metadata={"members": members, **{f"rows_{s}": counts[s] for s in SERVICES}})


def _gate(name: str, description: str):
    @dg.asset_check(asset=outreach_list, name=f"outreach_{name}", blocking=True, description=description)
    def _check(duckdb: DuckDBResource) -> dg.AssetCheckResult:
        with duckdb.get_connection() as con:
            offending = con.execute(CHECK_QUERIES[name]).fetchone()[0]
        return dg.AssetCheckResult(passed=offending == 0, metadata={"offending": offending})

    return _check


outreach_no_excluded_members = _gate(
    "no_excluded_members", "No opted-out, dead or disenrolled member is listed")
outreach_all_mtm_enrolled = _gate(
    "all_mtm_enrolled", "Every listed member is enrolled in MTM in the listed contract")
outreach_ranks_dense = _gate(
    "ranks_dense", "Priority ranks are 1..n without gaps or ties in each contract x service list")
outreach_hospice_at_bottom = _gate(
    "hospice_at_bottom", "Hospice members rank after all others (and are absent when the plan excludes them)")
outreach_one_row_per_member_service = _gate(
    "one_row_per_member_service", "One row per member x contract x service")

OUTREACH_ASSETS = [outreach_list]
OUTREACH_CHECKS = [outreach_no_excluded_members, outreach_all_mtm_enrolled, outreach_ranks_dense,
                   outreach_hospice_at_bottom, outreach_one_row_per_member_service]
