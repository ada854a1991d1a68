"""The run report's ``drug_identity`` section: how the run's fills were identified (targeting-rules.md
section 2: "every run reports how many fills fell to each level").

Levels: ``ndc`` (an NDC map), ``ndc_product`` (a known product, new package), ``generic_name``, ``ndc9``
(unidentified: labeler + product only) and ``compound``.  A member with an active drug known only by the
nine-digit rule may be miscounted (two labelers of one ingredient are two drugs) and that drug is never
condition evidence; above ``UNIDENTIFIED_WARNING_SHARE`` of members with an active drug, the run warns.
"""

from __future__ import annotations

import duckdb

from pipelines.engine.db import one_row

UNIDENTIFIED_WARNING_SHARE = 0.05
LEVELS = ("ndc", "ndc_product", "generic_name", "ndc9", "compound")


def drug_identity_report(con: duckdb.DuckDBPyConnection) -> dict:
    fills = dict(con.execute("SELECT identity_level, count(*) FROM core_fill GROUP BY 1").fetchall())
    members = dict(con.execute(
        "SELECT identity_level, count(DISTINCT member_id) FROM core_fill GROUP BY 1").fetchall())
    by_map = dict(con.execute(
        "SELECT coalesce(ndc_map, '(none)'), count(*) FROM core_fill GROUP BY 1 ORDER BY 1").fetchall())
    statuses = dict(con.execute("SELECT fill_status, count(*) FROM core_fill GROUP BY 1").fetchall())
    top_unmapped = con.execute(
        "SELECT ndc, count(*) AS fills FROM core_fill WHERE identity_level IN ('generic_name', 'ndc9') "
        "GROUP BY ndc ORDER BY fills DESC, ndc LIMIT 20"
    ).fetchall()
    # identified ingredient sets the drug reference does not know: no class, no ATC, never evidence
    unknown = con.execute(
        """SELECT f.drug_key, count(*) AS fills, count(DISTINCT f.member_id) AS members
        FROM core_fill AS f
        WHERE f.identity_level IN ('ndc', 'ndc_product', 'generic_name')
          AND f.drug_key NOT IN (SELECT drug_key FROM ref_drug)
        GROUP BY 1 ORDER BY fills DESC, f.drug_key LIMIT 20"""
    ).fetchall()
    with_active, unidentified = one_row(
        con,
        """SELECT count(DISTINCT member_id),
                  count(DISTINCT member_id) FILTER (WHERE starts_with(drug_key, 'ndc9:'))
        FROM core_active_drug""",
    )
    share = unidentified / with_active if with_active else 0.0
    return {
        "fills_by_identity_level": {lvl: fills.get(lvl, 0) for lvl in LEVELS},
        "members_by_identity_level": {lvl: members.get(lvl, 0) for lvl in LEVELS},
        "fills_by_ndc_map": by_map,
        "fills_by_status": statuses,
        "members_with_active_drug": with_active,
        "members_with_unidentified_active_drug": unidentified,
        "share_members_with_unidentified_active_drug": round(share, 6),
        "top_unmapped_ndcs": [{"ndc": n, "fills": c} for n, c in top_unmapped],
        "top_unknown_ingredients": [{"drug_key": k, "fills": f, "members": m} for k, f, m in unknown],
    }


def identity_warnings(report: dict) -> list[str]:
    share = report["share_members_with_unidentified_active_drug"]
    if share <= UNIDENTIFIED_WARNING_SHARE:
        return []
    return [
        f"{share:.1%} of members with an active drug ({report['members_with_unidentified_active_drug']} of "
        f"{report['members_with_active_drug']}) have one identified only by its NDC's first nine digits "
        f"(above {UNIDENTIFIED_WARNING_SHARE:.0%}): such drugs may be counted twice and are never condition "
        "evidence. Import the plan's NDC source (`mtm reference import`); run_manifest.json lists the top "
        "unmapped NDCs."
    ]
