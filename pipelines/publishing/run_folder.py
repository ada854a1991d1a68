"""Publishing job 7, the run folder: a run is written under ``runs/.incoming-*`` and renamed to ``runs/<as_of>``
only when complete, and ``runs/latest`` then points at the newest as-of date; a failed run's partial folder
moves to ``failed/`` with a manifest that says why. A reader never sees a half-written run.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from pipelines.run_state import faults
from pipelines.run_state.run_context import RunContext


def write_manifest(folder: Path, content: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "run_manifest.json").write_text(json.dumps(content, indent=2, default=str))


def point_latest(runs_dir: Path) -> None:
    dated = sorted(p.name for p in runs_dir.iterdir() if p.is_dir() and not p.name.startswith(".")
                   and p.name != "latest")
    if not dated:
        return
    tmp = runs_dir / ".latest.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(dated[-1])
    os.replace(tmp, runs_dir / "latest")


def rename_into_place(ctx: RunContext) -> Path:
    """``runs/.incoming-*`` becomes ``runs/<as_of>`` in one rename (an earlier run of the date is retired first
    and removed after), then ``runs/latest`` points at the newest date. A kill between two of these leaves a
    state the next run repairs (``pipelines.publishing.run_lock.sweep_interrupted``, docs/reliability.md)."""
    target = ctx.publish_dir
    retired = None
    if target.exists():
        retired = ctx.runs_dir / f".replaced-{target.name}-{ctx.run_id}"
        os.replace(target, retired)
        faults.at("publish:retired")
    os.replace(ctx.staging_dir, target)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
    faults.at("publish:renamed")
    point_latest(ctx.runs_dir)
    return target


def record_failure(ctx: RunContext, error: BaseException) -> Path:
    """Move the partial run to failed/<run_id> with a manifest that says why; published runs stay.

    Best effort on a sick disk: when the manifest cannot be written (disk full, read-only home) the
    folder is still moved out of runs/, and the original error is what the analyst is told."""
    failed = ctx.failed_dir
    try:
        failed.parent.mkdir(parents=True, exist_ok=True)
        from pipelines.publishing.run_manifest import manifest

        write_manifest(ctx.staging_dir, manifest(ctx, "failed", f"{type(error).__name__}: {error}"))
    except OSError:
        pass
    if ctx.staging_dir.exists():
        try:
            shutil.move(str(ctx.staging_dir), str(failed))  # runs/ may be another file system than failed/
        except OSError:
            shutil.rmtree(ctx.staging_dir, ignore_errors=True)  # never leave a partial folder under runs/
    return failed
