"""Asset checks on the targeting outputs: gates that block publishing, and soft reasonableness signals."""


import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.db import scalar
from pipelines.output_contract import member_summary_columns


@dg.asset_check(asset="member_summary", blocking=True,
                description="Exactly the contract columns of outputs.md, one row per member")
def member_summary_contract(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    expected = list(member_summary_columns())
    with duckdb.get_connection() as con:
        columns = [r[0] for r in con.execute("DESCRIBE member_summary").fetchall()]
        dupes = scalar(con,
            "SELECT count(*) - count(DISTINCT member_id) FROM member_summary")
    return dg.AssetCheckResult(
        passed=columns == expected and dupes == 0,
        metadata={"columns_match": columns == expected, "duplicate_members": dupes,
                  "unexpected_columns": ", ".join(c for c in columns if c not in expected),
                  "missing_columns": ", ".join(c for c in expected if c not in columns)},
    )


@dg.asset_check(asset="member_summary", blocking=True,
                description="Targeting reason agrees with the criteria flags")
def targeting_reason_consistent(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as con:
        bad = scalar(con,
            "SELECT count(*) FROM member_summary WHERE meets_criteria <> (targeting_reason <> '04') "
            "OR (targeting_reason IN ('02', '03')) <> arb"
        )
    return dg.AssetCheckResult(passed=bad == 0, metadata={"inconsistent_rows": bad})


@dg.asset_check(asset="member_summary", description="Share of Part D members targeted (CY2025+ plans: ~10-15%)")
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
