"""Asset checks on the targeting outputs: gates that block publishing, and soft reasonableness signals."""


import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.defs.assets import member_summary

MEMBER_SUMMARY_COLUMNS = [
    "member_id", "contract_id", "pbp_id", "as_of_date", "age", "part_d_drugs", "maintenance_drugs",
    "projected_annual_cost", "core_conditions", "cond_alzheimers", "cond_bone_arthritis",
    "cond_heart_failure", "cond_diabetes", "cond_dyslipidemia", "cond_esrd", "cond_hiv_aids",
    "cond_hypertension", "cond_mental_health", "cond_respiratory", "meets_conditions", "meets_drugs",
    "meets_cost", "arb", "targeting_reason", "meets_criteria", "mtm_enrolled", "date_met_criteria",
    "mtm_enrollment_date", "opt_out_date", "opt_out_reason", "risk_flags", "priority_score",
]


@dg.asset_check(asset=member_summary, blocking=True,
                description="Exactly the contract columns of outputs.md, one row per member")
def member_summary_contract(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        columns = [r[0] for r in con.execute("DESCRIBE member_summary").fetchall()]
        dupes = con.execute(
            "SELECT count(*) - count(DISTINCT member_id) FROM member_summary").fetchone()[0]
    return dg.AssetCheckResult(
        passed=columns == MEMBER_SUMMARY_COLUMNS and dupes == 0,
        metadata={"columns_match": columns == MEMBER_SUMMARY_COLUMNS, "duplicate_members": dupes},
    )


@dg.asset_check(asset=member_summary, blocking=True,
                description="Targeting reason agrees with the criteria flags")
def targeting_reason_consistent(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        bad = con.execute(
            "SELECT count(*) FROM member_summary WHERE meets_criteria <> (targeting_reason <> '04') "
            "OR (targeting_reason IN ('02', '03')) <> arb"
        ).fetchone()[0]
    return dg.AssetCheckResult(passed=bad == 0, metadata={"inconsistent_rows": bad})


@dg.asset_check(asset=member_summary, description="Share of Part D members targeted (CY2025+ plans: ~10-15%)")
def targeting_rate_reasonable(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        total, met = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE meets_criteria) FROM member_summary").fetchone()
    rate = met / total if total else 0.0
    return dg.AssetCheckResult(
        passed=0.01 <= rate <= 0.40 if total >= 1000 else True,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"members": total, "meeting_criteria": met, "rate": round(rate, 4)},
    )


CORE_CHECKS = [member_summary_contract, targeting_reason_consistent, targeting_rate_reasonable]
