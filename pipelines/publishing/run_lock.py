"""Publishing job 1, the run lock: one writer per home at a time, and what a killed run left tidied first.

DuckDB allows one writing process per file, so every writer of a home (``mtm run``, backfill, ``mtm report``,
the ledger import, backup and restore) takes this lock; under it a killed run's leftovers are swept and the
home is brought to this release's layout (``pipelines.run_state.home_layout``).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines.publishing.run_folder import point_latest


class RunLocked(RuntimeError):
    pass


class HomeNotUsable(RunLocked):
    """The home's layout is newer than this release's, or cannot be migrated (pipelines.run_state.home_layout); refused
    like a busy home: nothing was changed, and the message says what to do."""


#: a run finding the lock taken retries this long when lock_wait_seconds = 0 (see home_is_busy)
PROBE_GRACE_SECONDS = 2.0


@contextmanager
def run_lock(home: Path, wait_seconds: float = 0, migrate: bool = True) -> Iterator[None]:
    """DuckDB allows one writing process per file: runs of one home are serialised. A second run waits up
    to ``wait_seconds`` (settings ``[run] lock_wait_seconds``) for the first, then fails saying so.

    Holding the lock, the leftovers of a run that was killed (power cut, SIGKILL) are tidied first: its
    partial ``runs/.incoming-*`` folder moves to ``failed/`` and a run folder retired by an interrupted
    re-publish is put back (see :func:`sweep_interrupted`). Then (``migrate``) the home is brought to this
    release's layout, a backup taken first, or refused (pipelines.run_state.home_layout.ensure_current): every writer
    of a home takes this lock, so none writes an older or newer layout."""
    home.mkdir(parents=True, exist_ok=True)
    # the sensor's busy test (home_is_busy) holds the lock for an instant: never refuse for that alone
    deadline = time.monotonic() + (wait_seconds or PROBE_GRACE_SECONDS)
    with (home / ".run.lock").open("w") as fh:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as exc:
                if time.monotonic() >= deadline:
                    waited = f" after waiting {wait_seconds:g} s" if wait_seconds else ""
                    raise RunLocked(
                        f"another run is using {home}{waited}; nothing was changed. Try again when it has "
                        "finished, or raise [run] lock_wait_seconds in the settings file") from exc
                time.sleep(min(0.5, max(deadline - time.monotonic(), 0.01)))
        sweep_interrupted(home)
        if migrate:
            _ensure_layout(home)
        yield


def _ensure_layout(home: Path) -> None:
    from pipelines.run_state.home_layout import HomeLayoutError, ensure_current

    try:
        done = ensure_current(home)
    except HomeLayoutError as exc:
        raise HomeNotUsable(str(exc)) from exc
    for line in done:  # the administrator sees the upgrade once, on the run that made it
        sys.stderr.write(f"mtm: upgraded {home}: {line}\n")


def home_is_busy(home: Path) -> bool:
    """True while a run holds the home's lock (the sensor then waits for its next evaluation).

    The test takes the lock for an instant; a run starting in that instant retries for
    ``PROBE_GRACE_SECONDS`` instead of being refused (run_lock)."""
    lock = Path(home) / ".run.lock"
    if not lock.exists():
        return False
    with lock.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
    return False


def sweep_interrupted(home: Path) -> list[str]:
    """Tidy what a killed run left under runs/ (only ever called under the run lock)."""
    runs = Path(home) / "runs"
    moved: list[str] = []
    if not runs.is_dir():
        return moved
    for path in sorted(runs.glob(".replaced-*")):
        name = path.name.removeprefix(".replaced-")
        as_of = name[:10]
        if not (runs / as_of).exists():
            os.replace(path, runs / as_of)  # killed between retiring the old folder and renaming the new one
        else:
            shutil.rmtree(path, ignore_errors=True)
        moved.append(path.name)
    for path in sorted(runs.glob(".incoming-*")):
        target = Path(home) / "failed" / f"{path.name.removeprefix('.incoming-')}-interrupted"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), str(target))
        moved.append(path.name)
    if moved:
        point_latest(runs)
    return moved
