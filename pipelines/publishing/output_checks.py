"""The output checks a plan analyst reads before trusting a run (issues 17 and 27), framework-free.

Every check is declared here once, as data: the table it checks, its name, what it says, and a function
(the run's context, the warehouse) -> passed, severity, metadata. Two callers run the same functions:
the core engine (``pipelines.engine.runner``, what `mtm run`, backfills and the tests use) and the Dagster asset
checks (``dagster_project/defs``), which only wrap them for the UI.

Three kinds:
* contract gates on ``member_summary`` (columns, one row per member, reason vs flags): ERROR;
* soft checks (row counts and targeting rate vs the previous published run, reject rate, share of fills
  identified by NDC) report WARN; a plan may make any of them blocking with ``[checks] blocking``, then a
  failure reports ERROR and the run is not published;
* hard gates (no opted-out member listed, the CMR 60-day clock of a new enrollee never in the past, the
  outreach list's own gates) always report ERROR.
A failed ERROR check stops publication: the last published run and ``runs/latest`` stay. Every check
returns counts only, never a member id or PHI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from duckdb import DuckDBPyConnection

from pipelines.engine.db import one_row, scalar
from pipelines.publishing.exports.outreach import CHECK_QUERIES
from pipelines.publishing.output_contract import member_summary_columns
from pipelines.publishing.previous_run import change_rate, previous_manifest
from pipelines.run_state.run_context import RunContext
from pipelines.run_state.run_facts import facts

ERROR, WARN = "ERROR", "WARN"


@dataclass(frozen=True)
class Outcome:
    passed: bool
    severity: str  # ERROR (a failure blocks publishing) or WARN
    metadata: dict


@dataclass(frozen=True)
class Check:
    asset: str
    name: str
    description: str
    #: Dagster's ``blocking`` flag: downstream assets wait for the check (a failure blocks only with ERROR)
    blocking: bool
    evaluate: Callable[[RunContext, DuckDBPyConnection], Outcome]

    @property
    def key(self) -> str:
        return f"{self.asset}:{self.name}"


def member_summary_contract(ctx: RunContext, con: DuckDBPyConnection) -> Outcome:
    expected = list(member_summary_columns())
    columns = [r[0] for r in con.execute("DESCRIBE member_summary").fetchall()]
    dupes = scalar(con, "SELECT count(*) - count(DISTINCT member_id) FROM member_summary")
    return Outcome(columns == expected and dupes == 0, ERROR, {
        "columns_match": columns == expected, "duplicate_members": dupes,
        "unexpected_columns": ", ".join(c for c in columns if c not in expected),
        "missing_columns": ", ".join(c for c in expected if c not in columns)})


def targeting_reason_consistent(ctx: RunContext, con: DuckDBPyConnection) -> Outcome:
    bad = scalar(con, "SELECT count(*) FROM member_summary WHERE meets_criteria <> (targeting_reason <> '04') "
                      "OR (targeting_reason IN ('02', '03')) <> arb")
    return Outcome(bad == 0, ERROR, {"inconsistent_rows": bad})


def targeting_rate_reasonable(ctx: RunContext, con: DuckDBPyConnection) -> Outcome:
    total, met = one_row(con, "SELECT count(*), count(*) FILTER (WHERE meets_criteria) FROM member_summary")
    rate = met / total if total else 0.0
    return Outcome(0.01 <= rate <= 0.40 if total >= 1000 else True, WARN,
                   {"members": total, "meeting_criteria": met, "rate": round(rate, 4)})


#: what a soft check measures: (the run's context, the warehouse) -> (passed, metadata)
Measure = Callable[[RunContext, DuckDBPyConnection], tuple[bool, dict]]


def soft_check(asset: str, name: str, setting: str, description: str, measure: Measure) -> Check:
    """``measure`` as a soft check on ``asset``: WARN when it fails, ERROR (the run is not published) when
    ``setting`` is in ``[checks] blocking``."""

    def evaluate(ctx: RunContext, con: DuckDBPyConnection) -> Outcome:
        passed, metadata = measure(ctx, con)
        return Outcome(passed, ERROR if setting in ctx.settings["checks"]["blocking"] else WARN, metadata)

    return Check(asset, name, description, True, evaluate)


def vs_previous_run(asset: str, name: str, setting: str, measure: tuple[str, str], query: str,
                    previous_value: Callable[[dict], float | None], description: str) -> Check:
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

    return soft_check(asset, name, setting, description, compare)


def row_count_change(table: str) -> Check:
    return vs_previous_run(
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


def reject_rate(ctx: RunContext, con: DuckDBPyConnection) -> tuple[bool, dict]:
    limit = ctx.settings["checks"]["warn_reject_rate"]
    rows_in = sum(facts(con, ctx.run_id).get("rows_in", {}).values())
    rejected = scalar(con, "SELECT count(DISTINCT (table_name, file, row_number)) FROM rejects "
                           "WHERE counts_toward_threshold")
    rate = rejected / rows_in if rows_in else 0.0
    return rate <= limit, {"rows_in": rows_in, "rows_rejected": rejected, "reject_rate": round(rate, 6),
                           "warn_reject_rate": limit}


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


def gate(asset: str, name: str, query: str, description: str) -> Check:
    """A hard gate on ``asset``: ``query`` counts the offending rows; any at all fails the run (ERROR)."""

    def evaluate(ctx: RunContext, con: DuckDBPyConnection) -> Outcome:
        offending = scalar(con, query)
        return Outcome(offending == 0, ERROR, {"offending": offending})

    return Check(asset, name, description, True, evaluate)


CORE_CHECKS = (
    Check("member_summary", "member_summary_contract",
          "Exactly the contract columns of outputs.md, one row per member", True, member_summary_contract),
    Check("member_summary", "targeting_reason_consistent", "Targeting reason agrees with the criteria flags",
          True, targeting_reason_consistent),
    Check("member_summary", "targeting_rate_reasonable", "Share of Part D members targeted (CY2025+ plans: ~10-15%)",
          False, targeting_rate_reasonable),
)

RUN_CHECKS = (
    row_count_change("member_summary"),
    row_count_change("outreach_list"),
    vs_previous_run(
        "member_summary", "targeting_rate_vs_previous_run", "targeting_rate_change",
        ("targeting_rate", "previous_rate"),
        "SELECT coalesce(count(*) FILTER (WHERE meets_criteria) / nullif(count(*), 0), 0.0) FROM member_summary",
        _targeting_rate,
        "Share of members meeting the criteria within [checks] max_change_rate of the previous published run "
        "(WARN unless 'targeting_rate_change' is blocking)"),
    soft_check("rejects", "reject_rate", "reject_rate",
               "Share of input rows rejected at most [checks] warn_reject_rate (the hard limit that fails the run "
               "is [validation] max_reject_rate)", reject_rate),
    soft_check("core_fill", "ndc_identified_share", "ndc_identified_share",
               "Share of fills whose drug was identified by its NDC (not by name, NDC-9 or as a compound) at least "
               "[checks] min_ndc_identified_share", ndc_identified_share),
    gate("outreach_list", "no_opted_out_member_listed", OPTED_OUT_AND_LISTED,
         "No member who opted out of MTM (or asked to) is on the outreach list (blocking)"),
    gate("tgt_ledger_next", "cmr_clock_not_in_past", CMR_CLOCK_IN_PAST,
         "A new MTM enrollee's 60-day initial CMR clock never starts in the past (blocking)"),
)

#: the outreach list's gates (blocking checks on ``outreach_list``): a list that breaks one is never exported
OUTREACH_GATES = {
    "no_excluded_members": "No opted-out, dead or disenrolled member is listed",
    "all_mtm_enrolled": "Every listed member is enrolled in MTM in the listed contract",
    "ranks_dense": "Priority ranks are 1..n without gaps or ties in each contract's call list (all CMR services "
                   "ranked together)",
    "hospice_at_bottom": "Hospice members rank after all others (and are absent when the plan excludes them)",
    "one_row_per_member_service": "One row per member x contract x service",
    "no_tmr_on_call_list": "The call list holds CMR services only; TMRs are on the pharmacist worklist",
}
#: gates of the pharmacist's TMR worklist (targeting-rules.md section 7)
TMR_GATES = {
    "tmr_worklist_enrolled_once": "TMR worklist: each member once per contract, enrolled in MTM and Part D there",
}
OUTREACH_CHECKS = (
    *(gate("outreach_list", f"outreach_{name}", CHECK_QUERIES[name], text) for name, text in OUTREACH_GATES.items()),
    *(gate("tmr_worklist", f"outreach_{name}", CHECK_QUERIES[name], text) for name, text in TMR_GATES.items()),
)

#: every check on an output table, in the order they are declared
CHECKS: tuple[Check, ...] = (*CORE_CHECKS, *OUTREACH_CHECKS, *RUN_CHECKS)


def checks_by_table(checks: Iterable[Check] = CHECKS) -> dict[str, list[Check]]:
    """The checks on each table, in declaration order: what runs right after the node that builds the table."""
    by_table: dict[str, list[Check]] = {}
    for check in checks:
        by_table.setdefault(check.asset, []).append(check)
    return by_table


def expectation_outcomes(expectations: dict, table_names) -> dict[str, Outcome]:
    """One WARN outcome per input table of the Great Expectations suites (``gx_sample_rows = 0``: not run,
    passed, said so)."""
    tables = expectations.get("tables", {})
    outcomes = {}
    for name in table_names:
        result = tables.get(name)
        outcomes[name] = Outcome(
            bool(result["success"]) if result else True, WARN,
            {"evaluated": result.get("evaluated", 0) if result else 0,
             "failed": result.get("failed", 0) if result else 0, "validated": result is not None})
    return outcomes
