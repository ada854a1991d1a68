"""Output checks a plan analyst reads before trusting a run (issue 17).

Two kinds, both declared ``blocking`` so that Dagster holds the downstream exports until they finish:
* soft checks (row counts and targeting rate vs the previous published run, reject rate, share of fills
  identified by NDC) report WARN; a plan may make any of them blocking with ``[checks] blocking``, then a
  failure reports ERROR and the run is not published;
* hard gates (no opted-out member listed, the CMR 60-day clock of a new enrollee never in the past) always
  report ERROR. A failed ERROR check stops publication: the last published run and ``runs/latest`` stay.
Every check returns counts only, never a member id or PHI.
"""

from collections.abc import Callable

import dagster as dg
from dagster_duckdb import DuckDBResource
from duckdb import DuckDBPyConnection

from dagster_project.defs.resources import MtmRunResource
from pipelines.db import one_row, scalar
from pipelines.previous_run import change_rate, previous_manifest
from pipelines.run_context import RunContext
from pipelines.run_report import facts


def _severity(name: str, settings: dict) -> dg.AssetCheckSeverity:
    blocking = name in settings["checks"]["blocking"]
    return dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN


#: what a soft check measures: (the run's context, the warehouse) -> (passed, metadata)
Measure = Callable[[RunContext, DuckDBPyConnection], tuple[bool, dict]]


def _soft_check(asset: str, name: str, setting: str, description: str) -> Callable[[Measure], dg.AssetChecksDefinition]:
    """Make ``measure`` a soft check on ``asset``: WARN when it fails, ERROR (the run is not published) when
    ``setting`` is in ``[checks] blocking``."""

    def make(measure: Measure) -> dg.AssetChecksDefinition:
        @dg.asset_check(asset=asset, name=name, blocking=True, description=description)
        def _check(context: dg.AssetCheckExecutionContext, mtm: MtmRunResource,
                   duckdb: DuckDBResource) -> dg.AssetCheckResult:
            ctx = mtm.run_context(context.op_execution_context.run_id)
            with duckdb.get_connection() as con:
                passed, metadata = measure(ctx, con)
            return dg.AssetCheckResult(passed=passed, severity=_severity(setting, ctx.settings), metadata=metadata)

        return _check

    return make


def _vs_previous_run(asset: str, name: str, setting: str, measure: tuple[str, str], query: str,
                     previous_value: Callable[[dict], float | None], description: str) -> dg.AssetChecksDefinition:
    """A soft check of one number of this run against the previous published run: ``query`` gives it now,
    ``previous_value`` reads it from the previous run's manifest (None: nothing to compare with). It fails
    when the relative change exceeds ``[checks] max_change_rate``; ``measure`` names the two numbers in the
    check's metadata (now, previous)."""
    now_key, previous_key = measure

    def compare(ctx: RunContext, con: DuckDBPyConnection) -> tuple[bool, dict]:
        limit = ctx.settings["checks"]["max_change_rate"]
        now = scalar(con, query)
        previous = previous_manifest(ctx)
        before = previous_value(previous) if previous else None
        change = change_rate(before, now)
        return change is None or change <= limit, {
            now_key: round(now, 4), previous_key: round(before, 4) if before is not None else "no previous run",
            "previous_as_of": previous["as_of_date"] if previous else "none",
            "change_rate": round(change, 4) if change is not None else 0.0, "max_change_rate": limit}

    return _soft_check(asset, name, setting, description)(compare)


def _row_count_change(table: str) -> dg.AssetChecksDefinition:
    return _vs_previous_run(
        table, "row_count_vs_previous_run", "row_count_change", ("rows", "previous_rows"),
        f"SELECT count(*) FROM {table}", lambda manifest: manifest["rows_out"].get(table),
        f"Rows of {table} within [checks] max_change_rate of the previous published run "
        "(WARN unless 'row_count_change' is in [checks] blocking)")


def _targeting_rate(manifest: dict) -> float | None:
    """Members meeting the criteria per member enrolled in Part D, as the manifest counted them."""
    counts = manifest["targeting"]
    if not counts.get("members_enrolled_part_d"):
        return None
    return counts["members_meeting_criteria"] / counts["members_enrolled_part_d"]


targeting_rate_vs_previous_run = _vs_previous_run(
    "member_summary", "targeting_rate_vs_previous_run", "targeting_rate_change", ("targeting_rate", "previous_rate"),
    "SELECT coalesce(count(*) FILTER (WHERE meets_criteria) / nullif(count(*), 0), 0.0) FROM member_summary",
    _targeting_rate,
    "Share of members meeting the criteria within [checks] max_change_rate of the previous published run "
    "(WARN unless 'targeting_rate_change' is blocking)")


@_soft_check("rejects", "reject_rate", "reject_rate",
             "Share of input rows rejected at most [checks] warn_reject_rate (the hard limit that fails the run "
             "is [validation] max_reject_rate)")
def reject_rate(ctx: RunContext, con: DuckDBPyConnection) -> tuple[bool, dict]:
    limit = ctx.settings["checks"]["warn_reject_rate"]
    rows_in = sum(facts(con, ctx.run_id).get("rows_in", {}).values())
    rejected = scalar(con, "SELECT count(DISTINCT (table_name, file, row_number)) FROM rejects "
                           "WHERE counts_toward_threshold")
    rate = rejected / rows_in if rows_in else 0.0
    return rate <= limit, {"rows_in": rows_in, "rows_rejected": rejected, "reject_rate": round(rate, 6),
                           "warn_reject_rate": limit}


@_soft_check("core_fill", "ndc_identified_share", "ndc_identified_share",
             "Share of fills whose drug was identified by its NDC (not by name, NDC-9 or as a compound) at least "
             "[checks] min_ndc_identified_share")
def ndc_identified_share(ctx: RunContext, con: DuckDBPyConnection) -> tuple[bool, dict]:
    floor = ctx.settings["checks"]["min_ndc_identified_share"]
    fills, by_ndc = one_row(con, "SELECT count(*), count(*) FILTER (WHERE identity_level = 'ndc') FROM core_fill")
    share = by_ndc / fills if fills else 1.0
    return share >= floor, {"fills": fills, "identified_by_ndc": by_ndc, "share": round(share, 4),
                            "min_share": floor}


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


def gate(asset: str, name: str, query: str, description: str):
    """A hard gate on ``asset``: ``query`` counts the offending rows; any at all fails the run (ERROR).
    The outreach list's gates (dagster_project/defs/outreach.py) are made here too."""

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
    gate("outreach_list", "no_opted_out_member_listed", OPTED_OUT_AND_LISTED,
          "No member who opted out of MTM (or asked to) is on the outreach list (blocking)"),
    gate("tgt_ledger_next", "cmr_clock_not_in_past", CMR_CLOCK_IN_PAST,
          "A new MTM enrollee's 60-day initial CMR clock never starts in the past (blocking)"),
]
