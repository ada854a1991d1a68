"""Output checks a plan analyst reads before trusting a run (issue 17).

Two kinds, both declared ``blocking`` so that Dagster holds the downstream exports until they finish:
* soft checks (row counts and targeting rate vs the previous published run, reject rate, share of fills
  identified by NDC) report WARN; a plan may make any of them blocking with ``[checks] blocking``, then a
  failure reports ERROR and the run is not published;
* hard gates (no opted-out member listed, the CMR 60-day clock of a new enrollee never in the past) always
  report ERROR. A failed ERROR check stops publication: the last published run and ``runs/latest`` stay.
Every check returns counts only, never a member id or PHI.
"""


import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.defs.resources import MtmRunResource
from pipelines.db import one_row, scalar
from pipelines.previous_run import change_rate, previous_manifest
from pipelines.run_report import facts


def _severity(name: str, settings: dict) -> dg.AssetCheckSeverity:
    blocking = name in settings["checks"]["blocking"]
    return dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN


def _row_count_change(table: str):
    @dg.asset_check(asset=table, name="row_count_vs_previous_run", blocking=True,
                    description=f"Rows of {table} within [checks] max_change_rate of the previous published run "
                                "(WARN unless 'row_count_change' is in [checks] blocking)")
    def _check(context: dg.AssetCheckExecutionContext, mtm: MtmRunResource,
               duckdb: DuckDBResource) -> dg.AssetCheckResult:
        ctx = mtm.run_context(context.op_execution_context.run_id)
        limit = ctx.settings["checks"]["max_change_rate"]
        with duckdb.get_connection() as con:
            rows = scalar(con, f"SELECT count(*) FROM {table}")
        previous = previous_manifest(ctx)
        before = previous["rows_out"].get(table) if previous else None
        change = change_rate(before, rows)
        return dg.AssetCheckResult(
            passed=change is None or change <= limit, severity=_severity("row_count_change", ctx.settings),
            metadata={"rows": rows, "previous_rows": before if before is not None else "no previous run",
                      "previous_as_of": previous["as_of_date"] if previous else "none",
                      "change_rate": round(change, 4) if change is not None else 0.0, "max_change_rate": limit},
        )

    return _check


@dg.asset_check(asset="member_summary", name="targeting_rate_vs_previous_run", blocking=True,
                description="Share of members meeting the criteria within [checks] max_change_rate of the "
                            "previous published run (WARN unless 'targeting_rate_change' is blocking)")
def targeting_rate_vs_previous_run(context: dg.AssetCheckExecutionContext, mtm: MtmRunResource,
                                   duckdb: DuckDBResource) -> dg.AssetCheckResult:
    ctx = mtm.run_context(context.op_execution_context.run_id)
    limit = ctx.settings["checks"]["max_change_rate"]
    with duckdb.get_connection() as con:
        total, met = one_row(con, "SELECT count(*), count(*) FILTER (WHERE meets_criteria) FROM member_summary")
    rate = met / total if total else 0.0
    previous = previous_manifest(ctx)
    before = None
    if previous and previous["targeting"].get("members_enrolled_part_d"):
        t = previous["targeting"]
        before = t["members_meeting_criteria"] / t["members_enrolled_part_d"]
    change = change_rate(before, rate)
    return dg.AssetCheckResult(
        passed=change is None or change <= limit, severity=_severity("targeting_rate_change", ctx.settings),
        metadata={"targeting_rate": round(rate, 4),
                  "previous_rate": round(before, 4) if before is not None else "no previous run",
                  "change_rate": round(change, 4) if change is not None else 0.0, "max_change_rate": limit},
    )


@dg.asset_check(asset="rejects", name="reject_rate", blocking=True,
                description="Share of input rows rejected at most [checks] warn_reject_rate (the hard limit "
                            "that fails the run is [validation] max_reject_rate)")
def reject_rate(context: dg.AssetCheckExecutionContext, mtm: MtmRunResource,
                duckdb: DuckDBResource) -> dg.AssetCheckResult:
    ctx = mtm.run_context(context.op_execution_context.run_id)
    limit = ctx.settings["checks"]["warn_reject_rate"]
    with duckdb.get_connection() as con:
        rows_in = sum(facts(con, ctx.run_id).get("rows_in", {}).values())
        rejected = scalar(con, "SELECT count(DISTINCT (table_name, file, row_number)) FROM rejects "
                               "WHERE counts_toward_threshold")
    rate = rejected / rows_in if rows_in else 0.0
    return dg.AssetCheckResult(
        passed=rate <= limit, severity=_severity("reject_rate", ctx.settings),
        metadata={"rows_in": rows_in, "rows_rejected": rejected, "reject_rate": round(rate, 6),
                  "warn_reject_rate": limit},
    )


@dg.asset_check(asset="core_fill", name="ndc_identified_share", blocking=True,
                description="Share of fills whose drug was identified by its NDC (not by name, NDC-9 or as "
                            "a compound) at least [checks] min_ndc_identified_share")
def ndc_identified_share(context: dg.AssetCheckExecutionContext, mtm: MtmRunResource,
                         duckdb: DuckDBResource) -> dg.AssetCheckResult:
    ctx = mtm.run_context(context.op_execution_context.run_id)
    floor = ctx.settings["checks"]["min_ndc_identified_share"]
    with duckdb.get_connection() as con:
        fills, by_ndc = one_row(
            con, "SELECT count(*), count(*) FILTER (WHERE identity_level = 'ndc') FROM core_fill")
    share = by_ndc / fills if fills else 1.0
    return dg.AssetCheckResult(
        passed=share >= floor, severity=_severity("ndc_identified_share", ctx.settings),
        metadata={"fills": fills, "identified_by_ndc": by_ndc, "share": round(share, 4),
                  "min_share": floor},
    )


#: listed members whose MTM status at D in that contract is opted out (a recorded or seeded opt-out; death
#: and leaving the contract are the other gate's business)
OPTED_OUT_AND_LISTED = """
    SELECT count(DISTINCT (o.member_id, o.contract_id)) FROM outreach_list AS o
    WHERE EXISTS (SELECT 1 FROM tgt_mtm_enrollment AS e
                  WHERE e.member_id = o.member_id AND e.contract_id = o.contract_id
                    AND e.opt_out_reason IS NOT NULL AND e.opt_out_reason NOT IN ('death', 'disenrolled'))"""

#: new enrollees of this run (source 'run', no earlier ledger row in that contract) whose initial CMR offer is
#: already late: enrolled on D, the offer is due 60 days later, so this is never expected. Rows inferred from
#: service events or rolled over carry earlier dates on purpose and are not new to the program.
CMR_CLOCK_IN_PAST = """
    SELECT count(*) FROM tgt_ledger_next AS n
    CROSS JOIN run_parameters AS p
    WHERE NOT EXISTS (SELECT 1 FROM mtm_enrollment_ledger AS l
                      WHERE l.member_id = n.member_id AND l.contract_id = n.contract_id)
      AND n.enrollment_source = 'run'
      AND n.mtm_enrollment_date + 60 < p.as_of_date"""


def _gate(asset: str, name: str, query: str, description: str):
    @dg.asset_check(asset=asset, name=name, blocking=True, description=description)
    def _check(duckdb: DuckDBResource) -> dg.AssetCheckResult:
        with duckdb.get_connection() as con:
            offending = scalar(con, query)
        return dg.AssetCheckResult(passed=offending == 0, severity=dg.AssetCheckSeverity.ERROR,
                                   metadata={"offending": offending})

    return _check


RUN_CHECKS = [
    _row_count_change("member_summary"),
    _row_count_change("outreach_list"),
    targeting_rate_vs_previous_run,
    reject_rate,
    ndc_identified_share,
    _gate("outreach_list", "no_opted_out_member_listed", OPTED_OUT_AND_LISTED,
          "No member who opted out of MTM (or asked to) is on the outreach list (blocking)"),
    _gate("tgt_ledger_next", "cmr_clock_not_in_past", CMR_CLOCK_IN_PAST,
          "A new MTM enrollee's 60-day initial CMR clock never starts in the past (blocking)"),
]
