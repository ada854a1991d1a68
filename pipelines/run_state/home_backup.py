"""``mtm home backup`` / ``mtm home restore`` (issue 30): a consistent copy of a plan's home, and putting it back.

A backup is a folder holding

* ``warehouse.duckdb``: the file itself, copied under the run lock after a ``CHECKPOINT`` (no run, ledger
  import or reference import can write it meanwhile; the portal never opens it);
* ``portal.sqlite``: through SQLite's online backup API (the portal keeps serving), taken while holding the
  events lock, so the recorded contacts and ``events/`` agree (``pipelines.portal.contacts``);
* ``events/``, ``runs/`` (published runs and ``latest``), ``reports/`` and ``home.json``, copied as files;
* ``backup.json``, written last: the manifest (what the backup holds, each file's size and SHA-256, the
  home's layout version, the code version, the time).  A folder without it is an unfinished backup.

``restore_home`` checks the manifest against every file (present, same size, same SHA-256, nothing extra
under the listed folders) before touching the home, and refuses a damaged or partial backup naming the first
problems.  It then moves what the home holds aside (``<home>/before-restore-<time>/``: nothing is deleted)
and puts the backup in place, the portal's file again through the backup API.  A backup of an older layout
is restored as it was; the next run upgrades it (``pipelines.run_state.home_layout``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
from contextlib import nullcontext
from pathlib import Path

import duckdb

from pipelines.run_state.home_layout import CURRENT, HOME_FILE, PORTAL, WAREHOUSE, HomeLayoutError, read_version

MANIFEST = "backup.json"
FORMAT = 1
#: folders of the home that a backup holds (the others are scratch: duckdb_tmp, failed, backups)
FOLDERS = ("events", "runs", "reports")


class BackupError(RuntimeError):
    """A backup that cannot be restored (damaged, partial, of a newer release); the home was not changed."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _entry(root: Path, path: Path) -> dict:
    rel = str(path.relative_to(root))
    if path.is_symlink():
        return {"path": rel, "symlink": os.readlink(path)}
    return {"path": rel, "bytes": path.stat().st_size, "sha256": _sha256(path)}


def _files(root: Path) -> list[Path]:
    """Every file and symlink of the backed-up parts of a folder laid out like a home."""
    out = [root / name for name in (WAREHOUSE, PORTAL, HOME_FILE) if (root / name).exists()]
    for folder in FOLDERS:
        base = root / folder
        if base.is_dir():
            out += sorted(p for p in base.rglob("*") if (p.is_file() or p.is_symlink()) and p.name != ".lock")
    return out


def _copy_warehouse(home: Path, dest: Path) -> None:
    from pipelines.run_state.run_context import duckdb_config

    source = home / WAREHOUSE
    if not source.exists():
        return
    with duckdb.connect(str(source), config=duckdb_config(home)) as con:
        con.execute("CHECKPOINT")  # the write-ahead log folded into the file: the file alone is the database
    shutil.copy2(source, dest / WAREHOUSE)


def _copy_portal(home: Path, dest: Path) -> None:
    """portal.sqlite by the online backup API, and events/ while no contact can be recorded."""
    from pipelines.portal.contacts import _events_lock

    source = home / PORTAL
    with _events_lock(home) if source.exists() or (home / "events").exists() else nullcontext():
        if source.exists():
            src = sqlite3.connect(source, timeout=30)
            dst = sqlite3.connect(dest / PORTAL)
            try:
                src.backup(dst)
            finally:
                dst.close()
                src.close()
        _copy_tree(home / "events", dest / "events")


def _copy_tree(source: Path, dest: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, dest, symlinks=True, ignore=shutil.ignore_patterns(".lock", ".*.tmp"))


def backup_home(home: Path, dest: Path, locked: bool = False) -> dict:
    """Write a backup of ``home`` into the new folder ``dest``; returns its manifest.

    ``locked``: the caller holds the run lock already (the upgrade's backup); else it is taken here."""
    from pipelines.publishing.run_lock import run_lock
    from pipelines.run_state.run_context import code_version

    home, dest = Path(home).resolve(), Path(dest).resolve()
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty: a backup goes into a new folder")
    if not (home / WAREHOUSE).exists() and not (home / PORTAL).exists():
        raise BackupError(f"{home} holds no warehouse and no portal file: nothing to back up")
    with nullcontext() if locked else run_lock(home, migrate=False):
        version = read_version(home)
        dest.mkdir(parents=True, exist_ok=True)
        _copy_warehouse(home, dest)
        _copy_portal(home, dest)
        for folder in FOLDERS:
            if folder != "events":
                _copy_tree(home / folder, dest / folder)
        if (home / HOME_FILE).exists():
            shutil.copy2(home / HOME_FILE, dest / HOME_FILE)
        manifest = {
            "format": FORMAT,
            "home": str(home),
            "layout_version": version,
            "code_version": code_version(),
            "taken_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "files": [_entry(dest, p) for p in _files(dest)],
        }
        tmp = dest / f".{MANIFEST}.tmp"
        tmp.write_text(json.dumps(manifest, indent=2) + "\n")
        os.replace(tmp, dest / MANIFEST)  # last: a backup with a manifest is complete
    return manifest


def verify_backup(source: Path) -> dict:
    """The manifest of a complete, undamaged backup; BackupError naming the problems otherwise."""
    source = Path(source)
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} has no {MANIFEST}: not a backup, or one that did not finish; nothing was "
                          "restored")
    try:
        manifest = json.loads(path.read_text())
        files = {f["path"]: f for f in manifest["files"]}
        version = manifest["layout_version"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{path} is damaged ({exc}); nothing was restored") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: backup format {manifest.get('format')!r} is not one this release reads; "
                          "nothing was restored")
    if version is not None and version > CURRENT:
        raise BackupError(f"{source} was taken from a home of layout {version}, newer than this release's "
                          f"({CURRENT}); restore it with that release. Nothing was restored")
    problems = []
    present = {str(p.relative_to(source)): p for p in _files(source)}
    for rel, want in files.items():
        found = present.get(rel)
        if found is None:
            problems.append(f"{rel}: missing")
        elif "symlink" in want:
            if not found.is_symlink() or os.readlink(found) != want["symlink"]:
                problems.append(f"{rel}: not the link the manifest names")
        elif found.stat().st_size != want["bytes"]:
            problems.append(f"{rel}: {found.stat().st_size} bytes, the manifest says {want['bytes']}")
        elif _sha256(found) != want["sha256"]:
            problems.append(f"{rel}: SHA-256 differs from the manifest (damaged)")
    problems += [f"{rel}: not in the manifest" for rel in sorted(set(present) - set(files))]
    if problems:
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        raise BackupError(f"the backup {source} is damaged or partial ({shown}); nothing was restored")
    return manifest


def restore_home(home: Path, source: Path) -> Path:
    """Put the backup ``source`` in place of ``home``'s content; returns the folder the old content moved to."""
    from pipelines.publishing.run_lock import run_lock

    home, source = Path(home).resolve(), Path(source).resolve()
    manifest = verify_backup(source)
    home.mkdir(parents=True, exist_ok=True)
    with run_lock(home, migrate=False):
        aside = home / f"before-restore-{dt.datetime.now().strftime('%Y%m%dT%H%M%S%f')}"
        aside.mkdir()
        for name in (WAREHOUSE, f"{WAREHOUSE}.wal", HOME_FILE, *FOLDERS):
            if (home / name).exists() or (home / name).is_symlink():
                os.replace(home / name, aside / name)
        for name in (WAREHOUSE, HOME_FILE):
            if (source / name).exists():
                shutil.copy2(source / name, home / name)
        for folder in FOLDERS:
            _copy_tree(source / folder, home / folder)
        _restore_portal(home, source, aside)
        restored = verify_restored(home, manifest)
        if restored:
            raise BackupError(f"the restored home differs from the backup ({'; '.join(restored[:5])}); the earlier "
                              f"content is in {aside}")
    return aside


def _restore_portal(home: Path, source: Path, aside: Path) -> None:
    """The portal's file through the backup API (a serving portal sees the restored rows, not a replaced file)."""
    if not (source / PORTAL).exists():
        return
    if (home / PORTAL).exists():
        keep = sqlite3.connect(home / PORTAL, timeout=30)
        old = sqlite3.connect(aside / PORTAL)
        try:
            keep.backup(old)
        except sqlite3.DatabaseError:  # the home's file is damaged: move it aside as it is, start a new one
            for suffix in ("", "-wal", "-shm"):
                damaged = home / f"{PORTAL}{suffix}"
                if damaged.exists():
                    os.replace(damaged, aside / f"{PORTAL}{suffix}.damaged")
        finally:
            old.close()
            keep.close()
        if (aside / f"{PORTAL}.damaged").exists():
            (aside / PORTAL).unlink(missing_ok=True)
    src = sqlite3.connect(source / PORTAL)
    dst = sqlite3.connect(home / PORTAL, timeout=30)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def verify_restored(home: Path, manifest: dict) -> list[str]:
    """Files of the home that differ from the manifest (the portal's file is compared by content, its pages
    being rewritten by the backup API)."""
    problems = []
    for entry in manifest["files"]:
        path = home / entry["path"]
        if entry["path"] == PORTAL or "symlink" in entry:
            continue
        if not path.exists() or _sha256(path) != entry["sha256"]:
            problems.append(f"{entry['path']} differs")
    return problems


def describe(home: Path) -> dict:
    """What `mtm home status` prints: layout version, what this release expects, the stores present."""
    home = Path(home)
    try:
        version: int | str | None = read_version(home)
    except HomeLayoutError as exc:
        version = f"unreadable: {exc}"
    return {"home": str(home.resolve()), "layout_version": version, "this_release_layout": CURRENT,
            "present": [n for n in (WAREHOUSE, PORTAL, HOME_FILE, *FOLDERS) if (home / n).exists()]}
