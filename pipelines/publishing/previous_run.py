"""The previous published run a new run is compared with (the output checks of issue 17).

The previous run is the published as-of folder with the latest date on or before this run's as-of date
(re-running a date compares with what that date published; a backfill, oldest first, compares each date
with the one before it). Its ``run_manifest.json`` already holds the counts, so nothing is recomputed.
"""

from __future__ import annotations

import json

from pipelines.run_state.run_context import RunContext


def previous_manifest(ctx: RunContext) -> dict | None:
    if not ctx.runs_dir.is_dir():
        return None
    dated = sorted(p for p in ctx.runs_dir.iterdir()
                   if p.is_dir() and not p.is_symlink() and p.name[:1].isdigit() and p.name <= ctx.as_of.isoformat()
                   and (p / "run_manifest.json").exists())
    return json.loads((dated[-1] / "run_manifest.json").read_text()) if dated else None


def change_rate(before: float | None, now: float) -> float | None:
    """Relative change; None when there is nothing to compare with."""
    if before is None:
        return None
    if before == 0:
        return 0.0 if now == 0 else 1.0
    return abs(now - before) / before
