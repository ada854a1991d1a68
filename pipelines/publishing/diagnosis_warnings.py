"""Warnings about dropped diagnosis codes that would have been condition evidence.

A code that is not in the ICD-10-CM code set of its claim's fiscal year (or not in any) is dropped from
the claim and listed in rejects.csv.  When such a code begins with a core-condition value-set prefix, the
member may lose a condition flag because of coding, not health: the run report says so plainly.
"""

from __future__ import annotations

import duckdb

EXAMPLES = 5


def unknown_condition_code_warnings(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        """SELECT d.code, count(*) AS n, min(d.code_year_note) AS note
        FROM stg_diagnosis_all AS d
        WHERE NOT d.is_valid
          AND EXISTS (SELECT 1 FROM ref_condition_dx AS x
                      WHERE x.icd_version = d.icd_version AND starts_with(d.code, x.code_prefix))
        GROUP BY d.code ORDER BY n DESC, d.code"""
    ).fetchall()
    if not rows:
        return []
    total = sum(n for _, n, _ in rows)
    examples = ", ".join(f"{code} x{n}{note.split(' (')[0]}" for code, n, note in rows[:EXAMPLES])
    return [f"{total} dropped diagnosis codes ({len(rows)} distinct) are not valid for their claim's date but "
            f"begin with a core-condition value-set prefix, so they were NOT counted as condition evidence "
            f"(e.g. {examples}); see rejects.csv and check the coding or the code set"]
