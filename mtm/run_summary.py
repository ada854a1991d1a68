"""The run summary `mtm run` prints: small aligned tables read from the run's manifest (issue 26 items 15, 16).

Counts only, never a member id. The analyst reads who is enrolled and targeted, for which reason, which
services are due, and where the enrollment ledger's rows came from: the ledger remembers earlier runs of
this home, so the same as-of date can give more MTM enrollees after a backfill than on a fresh home, and
the summary says how many and why.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipelines.publishing.exports.outreach import SERVICE_TITLES

REASON_LABELS = {
    "01": "01 conditions + drugs + cost",
    "02": "02 DMP at-risk beneficiary (ARB)",
    "03": "03 both",
    "04": "04 not targeted",
}
SERVICE_LABELS = {**SERVICE_TITLES, "tmr": "Quarterly TMR (pharmacist worklist)"}
ORIGIN_LABELS = {
    "kept_from_earlier_runs": "kept from earlier runs of this home",
    "seeded": "seeded (mtm ledger import)",
    "new_this_run_inferred_from_events": "new: inferred from service events",
    "new_this_run_rollover": "new: rolled over from last year",
    "new_this_run": "new: entered at this as-of date",
}


def table(header: Sequence[str], rows: Sequence[Sequence[object]], indent: str = "  ") -> list[str]:
    """Text lines of a table: the first column left-aligned, the others right-aligned, numbers with commas."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) if cells else len(str(h)) for i, h in enumerate(header)]
    lines = []
    for row in [list(map(str, header)), *cells]:
        parts = [row[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True))]
        lines.append(indent + "  ".join(parts).rstrip())
    return lines


def _cell(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return "" if value is None else ("yes" if value else "no")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def ledger_note(origin: dict) -> str | None:
    """One sentence when earlier runs of this home shape this run's MTM enrollment, else None."""
    kept = origin.get("kept_from_earlier_runs", {})
    if not kept.get("rows"):
        return None
    gone = sum(v.get("enrolled_not_meeting_criteria_now", 0) for v in origin.values())
    return (f"the ledger remembers: {kept['rows']:,} ledger rows come from earlier runs of this home "
            f"({kept.get('mtm_enrolled', 0):,} of them MTM enrolled now); {gone:,} MTM enrollees no longer meet "
            "the criteria at this as-of date and stay enrolled (targeting-rules.md section 6). "
            "A fresh home with the same extract and as-of date counts only the rows new in this run.")


def summary_lines(manifest: dict) -> list[str]:
    t = manifest.get("targeting", {})
    lines = [f"  As of {manifest['as_of_date']} (contract year {manifest.get('contract_year', '')})"]
    if manifest.get("as_known_at"):
        ignored = manifest.get("audit_cutoff", {}).get("versions_processed_later_ignored", {})
        lines.append(f"  Audit cut-off: as known at {manifest['as_known_at']}; claim versions processed later ignored:")
        lines += table(("table", "versions ignored"), sorted(ignored.items())) if ignored else []
    lines.append("")
    lines += table(("Members", "count"), [
        ("Part D members enrolled", t.get("members_enrolled_part_d")),
        ("meeting the MTM criteria", t.get("members_meeting_criteria")),
        ("MTM enrolled", t.get("members_mtm_enrolled")),
        ("pending fills held", t.get("pending_fills")),
        ("MTM events held (no span of their contract)", t.get("held_events")),
    ])
    by_reason = t.get("members_by_targeting_reason") or {}
    if by_reason:
        lines.append("")
        lines += table(("Targeting reason", "members"),
                       [(REASON_LABELS.get(k, k), v) for k, v in sorted(by_reason.items())])
    services = t.get("services") or {}
    if services:
        lines.append("")
        lines += table(("Services due", "rows"), [(SERVICE_LABELS.get(k, k), v) for k, v in services.items()])
    origin = t.get("ledger_origin") or {}
    if origin:
        lines.append("")
        lines += table((f"MTM ledger, contract year {manifest.get('contract_year', '')}", "rows", "MTM enrolled",
                        "enrolled, criteria no longer met"),
                       [(ORIGIN_LABELS.get(k, k), v.get("rows"), v.get("mtm_enrolled"),
                         v.get("enrolled_not_meeting_criteria_now")) for k, v in origin.items()])
        note = ledger_note(origin)
        if note:
            lines.append(f"  NOTE: {note}")
    rejects = manifest.get("rejects", {})
    rejected = sum(v["rows_rejected"] for v in rejects.get("tables", {}).values())
    dropped = sum(r["count"] for r in rejects.get("by_reason", []) if "dropped" in r["reason"])
    lines.append("")
    lines.append(f"  Rejected input rows: {rejected:,}; invalid diagnosis codes dropped: {dropped:,} (rejects.csv)")
    return lines
