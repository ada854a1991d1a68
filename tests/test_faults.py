"""Faults: SIGKILL at every step (pipelines/run_state/faults.py), disk full on publish, a read-only home.

After any fault: the last published run is intact, ``runs/latest`` points at a complete run folder, the
ledger is either unchanged or complete, and a rerun publishes exactly what an uninterrupted run publishes.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dagster_project.run import RunFailed
from pipelines.publishing import publish
from pipelines.run_state.faults import PUBLISH_POINTS
from tests.extract_builder import fill, member, write_extract
from tests.reliability_harness import cli, published_files, run
from tests.shared_runs import shared_build
from tests.targeting_harness import EIGHT_DRUGS, NDC, ledger

D1, D2 = "2025-06-30", "2025-09-30"


def _fills(member_id):
    return [fill(member_id, f"2025-{m:02d}-05", NDC[d], 30, 150.0, claim_id=f"{member_id}-{m}-{d}")
            for m in range(1, 10) for d in EIGHT_DRUGS]


def _extracts(root: Path) -> tuple[Path, Path]:
    first = write_extract(root / "d1", eligibility=[member("M1")], pharmacy_claim=_fills("M1"))
    second = write_extract(root / "d2", eligibility=[member("M1"), member("M2")],
                           pharmacy_claim=_fills("M1") + _fills("M2"))
    return first, second


def _run(home: Path, extract: Path, as_of: str) -> Path:
    return run(home, extract, as_of=as_of)


def _history(folder: Path) -> dict:
    first, second = _extracts(folder)
    home = folder / "home"
    d1 = _run(home, first, D1)
    shutil.copytree(home, folder / "home_at_d1", symlinks=True)
    d2 = _run(home, second, D2)
    return {"extracts": [str(first), str(second)], "home": str(home), "d1": str(d1), "d2": str(d2),
            "home_at_d1": str(folder / "home_at_d1")}


def history() -> dict:
    """The uninterrupted history, once per test session (tests/shared_runs.py ``shared_build``): the D1 extract
    published at D1, the home copied (``home_at_d1``), then D2's extract at D2; never changed (copy a home to
    change it). test_concurrency.py starts from a copy of ``home_at_d1`` too (issue 24: one whole run fewer).
    The ``extracts`` (D1's, D2's), ``home`` and ``home_at_d1``, the published folders ``d1`` and ``d2``: str."""
    return shared_build("faults_history", _history)


@pytest.fixture(scope="module")
def reference() -> dict:
    """The uninterrupted history: D1 then D2 (and D2 again, for the re-publish points): ``history``'s runs."""
    built = history()
    first, second = (Path(extract) for extract in built["extracts"])
    return {"extracts": (first, second), "d1": published_files(Path(built["d1"])),
            "d2": published_files(Path(built["d2"])), "home_at_d1": Path(built["home_at_d1"]),
            "ledger": ledger(Path(built["home"]))}


def _home_at_d1(reference, home: Path) -> Path:
    """A home as the uninterrupted history left it after D1 (a copy: the same files a D1 run writes)."""
    shutil.copytree(reference["home_at_d1"], home, symlinks=True, dirs_exist_ok=True)
    return home


KILL = """
import sys
from pathlib import Path
from tests.reliability_harness import run
run(Path(sys.argv[1]), Path(sys.argv[2]), as_of=sys.argv[3])
"""


def _killed_run(home: Path, extract: Path, as_of: str, point: str, kind: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "MTM_FAULT_AT": point, "MTM_FAULT": kind or "kill"}
    return subprocess.run([sys.executable, "-c", KILL, str(home), str(extract), as_of], env=env,
                          capture_output=True, text=True, timeout=900, cwd=Path(__file__).resolve().parent.parent)


def _assert_consistent(home: Path, published: dict[str, dict[str, bytes]]) -> None:
    """Every dated folder is complete and as published; latest points at a complete folder."""
    runs = home / "runs"
    latest = runs / "latest"
    assert latest.is_symlink() and latest.resolve().is_dir(), "runs/latest must point at a run folder"
    assert json.loads((latest / "run_manifest.json").read_text())["status"] == "complete"
    for as_of, files in published.items():
        assert published_files(runs / as_of) == files, f"published run {as_of} changed"


#: assets of every layer (each fault point is an asset as it starts) and the points inside publishing
POINTS = ("ingest", "row_rejects", "stg_pharmacy_claim", "core_fill", "tgt_ledger_next", "member_summary",
          "export_outreach_list", "published_run", *[p for p in PUBLISH_POINTS if p != "publish:retired"])
#: by default: killed mid-publish (ledger committed, folder not yet renamed: the next run must repair the folder);
#: inside the ledger transaction (publish:ledger) is `long` since issue 24's third round, as are its variants inside
#: `mtm run` (below) and before publishing (test_enrollment_ledger.py)
DEFAULT_POINTS = {"publish:committed"}
NOT_YET_COMMITTED = {"ingest", "row_rejects", "stg_pharmacy_claim", "core_fill", "tgt_ledger_next", "member_summary",
                     "export_outreach_list", "published_run", "publish:manifest", "publish:ledger"}


@pytest.mark.parametrize("point", [pytest.param(p, marks=[] if p in DEFAULT_POINTS else [pytest.mark.long])
                                   for p in POINTS])
def test_sigkill_at_every_step_then_rerun(tmp_path, reference, point):
    _, second = reference["extracts"]
    home = _home_at_d1(reference, tmp_path / "home")
    before = ledger(home)
    proc = _killed_run(home, second, D2, point)
    assert proc.returncode == -9, proc.stderr[-2000:]

    published = {D1: reference["d1"]}
    if (home / "runs" / D2).exists():  # killed after the rename: then D2 is complete and exactly as it should be
        published[D2] = reference["d2"]
    _assert_consistent(home, published)
    assert ledger(home) in (before, reference["ledger"])  # unchanged, or complete: never half-written
    if point in NOT_YET_COMMITTED:
        assert ledger(home) == before

    again = _run(home, second, D2)
    assert published_files(again) == reference["d2"]
    assert ledger(home) == reference["ledger"]
    assert (home / "runs" / "latest").resolve() == again.resolve()
    assert not list((home / "runs").glob(".incoming-*")), "the killed run's partial folder was left in runs/"


@pytest.mark.long
def test_sigkill_while_republishing_the_same_date(tmp_path, reference):
    """Killed between moving the old D2 folder aside and renaming the new one: the next run puts it back."""
    first, second = reference["extracts"]
    home = tmp_path / "home"
    _run(home, first, D1)
    _run(home, second, D2)
    proc = _killed_run(home, second, D2, "publish:retired")
    assert proc.returncode == -9, proc.stderr[-2000:]
    again = _run(home, second, D2)
    assert published_files(again) == reference["d2"]
    _assert_consistent(home, {D1: reference["d1"], D2: reference["d2"]})
    assert ledger(home) == reference["ledger"]


@pytest.mark.long
def test_sigkill_inside_the_dagster_run_of_mtm_run(tmp_path, reference):
    """The same fault points fire inside `mtm run` (the Dagster asset graph): killed mid-ledger-write."""
    _, second = reference["extracts"]
    home = _home_at_d1(reference, tmp_path / "home")
    before = ledger(home)
    env = {**os.environ, "MTM_FAULT_AT": "publish:ledger", "MTM_FAULT": "kill"}
    proc = subprocess.run([str(Path(sys.executable).parent / "mtm"), "run", "--extract", str(second), "--as-of", D2,
                           "--home", str(home)], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == -9, proc.stderr[-2000:]
    assert ledger(home) == before
    _assert_consistent(home, {D1: reference["d1"]})


# -- disk full on publish ---------------------------------------------------------------------------------

@contextlib.contextmanager
def small_filesystem(path: Path, size: str = "8m"):
    """A size-limited tmpfs at path (needs root, as in CI); yields False when mounting is not permitted."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _fill_up(folder: Path) -> Path:
    filler = folder / ".filler"
    with filler.open("wb") as fh, contextlib.suppress(OSError):
        while True:
            fh.write(b"\0" * (1 << 16))
            fh.flush()
    return filler


@pytest.mark.long  # issue 24: `make test`'s disk-full runs are test_i30_disk_full.py's (the manifest, the ledger)
def test_disk_full_on_publish_keeps_the_published_run_and_the_ledger(tmp_path, reference, monkeypatch):
    _, second = reference["extracts"]
    home = tmp_path / "home"
    with small_filesystem(home / "runs") as mounted:
        _home_at_d1(reference, home)
        before = ledger(home)
        real_manifest = publish.manifest

        def disk_full_then_manifest(ctx, status, *args, **kwargs):
            if status == "complete":
                if mounted:
                    _fill_up(ctx.runs_dir)  # the manifest write of the publish step now hits a real ENOSPC
                else:  # no permission to mount a small file system: the same error, injected at the write
                    raise OSError(errno.ENOSPC, "No space left on device (simulated: tmpfs mount not permitted)")
            return real_manifest(ctx, status, *args, **kwargs)

        monkeypatch.setattr(publish, "manifest", disk_full_then_manifest)
        with pytest.raises(RunFailed) as err:
            _run(home, second, D2)
        assert isinstance(err.value.error, OSError) and err.value.error.errno == errno.ENOSPC
        del err  # its traceback holds the failed step's warehouse connection open
        gc.collect()
        assert ledger(home) == before
        _assert_consistent(home, {D1: reference["d1"]})
        assert not (home / "runs" / D2).exists()
        assert not list((home / "runs").glob(".incoming-*"))

        monkeypatch.undo()
        (home / "runs" / ".filler").unlink(missing_ok=True)
        again = _run(home, second, D2)
        assert published_files(again) == reference["d2"]
        assert ledger(home) == reference["ledger"]


def test_read_only_home_gives_a_clear_error(tmp_path, reference):
    first, _ = reference["extracts"]
    home = tmp_path / "home"
    with small_filesystem(home, size="512m") as mounted:
        if not mounted:
            pytest.skip("mounting a file system is not permitted here (root needed); read-only home not tested")
        _home_at_d1(reference, home)
        assert subprocess.run(["mount", "-o", "remount,ro", str(home)], capture_output=True).returncode == 0
        code, _, err = cli("run", "--extract", str(first), "--as-of", D2, "--home", str(home))
        assert code == 1
        assert f"cannot write to the home folder {home}" in err and "Read-only file system" in err
        _assert_consistent(home, {D1: reference["d1"]})
