"""Issue 30: `mtm home backup` / `mtm home restore` (pipelines/run_state/home_backup.py): a consistent copy with a
manifest of
SHA-256 checksums; a damaged or partial backup is refused; the restore drill (back up, damage the home, restore)
ends with a run publishing what the undamaged home published."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from pipelines.portal import contacts, store
from pipelines.publishing.run_lock import run_lock
from pipelines.run_state.home_layout import CURRENT
from tests.i30_home import DAY2, copy_fixture, day2_arguments, day2_run, file_hashes, home_record
from tests.reliability_harness import cli
from tools.compare_runs import compare

pytestmark = pytest.mark.timeout(1800)


def _backup(home: Path, dest: Path) -> dict:
    code, out, err = cli("home", "backup", "--home", str(home), "--to", str(dest))
    assert code == 0, out + err
    return json.loads((dest / "backup.json").read_text())


def _restore(home: Path, source: Path) -> tuple[int, str]:
    code, out, err = cli("home", "restore", "--home", str(home), "--from", str(source))
    return code, out + err


@pytest.fixture
def home(tmp_path) -> Path:
    return copy_fixture(tmp_path / "fx")


def test_backup_holds_every_store_with_checksums_and_restore_puts_it_back(home, tmp_path):
    before = home_record(home)
    manifest = _backup(home, tmp_path / "b1")
    paths = {f["path"] for f in manifest["files"]}
    assert {"warehouse.duckdb", "portal.sqlite", "events/portal_mtm_event.csv", "runs/latest"} <= paths
    assert any(p.startswith("runs/2025-09-29/") for p in paths)
    assert manifest["layout_version"] == 1  # a backup takes the home as it is: no upgrade
    assert all(len(f["sha256"]) == 64 for f in manifest["files"] if "sha256" in f)
    assert home_record(tmp_path / "b1") == before
    shutil.rmtree(home / "runs")  # damage: the published runs and the ledger go
    (home / "warehouse.duckdb").write_bytes(b"not a database")
    code, out = _restore(home, tmp_path / "b1")
    assert code == 0, out
    assert home_record(home) == before
    aside = next(home.glob("before-restore-*"))
    assert (aside / "warehouse.duckdb").read_bytes() == b"not a database"  # nothing is deleted by a restore


def test_backup_while_the_portal_records_contacts_is_consistent(home, tmp_path):
    """The portal file by SQLite's backup API under the events lock: the copied contacts and events file agree."""
    con = store.connect(home)
    for day in range(1, 6):
        contacts.record_contact(con, home, recorded_by="olga", member_id="M000000009", contract_id="H5678",
                                run_as_of="2025-09-29", contact_date=dt.date(2025, 9, day), outcome="reached",
                                channel="phone")
    con.close()
    _backup(home, tmp_path / "b")
    copied = sqlite3.connect(tmp_path / "b" / "portal.sqlite")
    in_force = copied.execute("SELECT count(*) FROM contacts").fetchone()[0]
    copied.close()
    lines = (tmp_path / "b" / "events" / "portal_mtm_event.csv").read_text().splitlines()
    assert in_force == 6 and len(lines) == 1 + 2 + 5  # header, the fixture's contact (2 rows), 5 attempts


@pytest.mark.parametrize("damage", ["flipped byte", "missing file", "extra file", "no manifest", "newer layout"])
def test_a_damaged_or_partial_backup_is_refused_and_the_home_is_unchanged(home, tmp_path, damage):
    _backup(home, tmp_path / "b")
    backup = tmp_path / "b"
    if damage == "flipped byte":
        target = backup / "runs" / "2025-09-29" / "outreach_list.csv"
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0x01
        target.write_bytes(bytes(data))
        expected = "outreach_list.csv: SHA-256 differs"
    elif damage == "missing file":
        (backup / "warehouse.duckdb").unlink()
        expected = "warehouse.duckdb: missing"
    elif damage == "extra file":
        (backup / "runs" / "2025-09-29" / "stray.csv").write_text("x\n")
        expected = "stray.csv: not in the manifest"
    elif damage == "no manifest":
        (backup / "backup.json").unlink()
        expected = "no backup.json: not a backup, or one that did not finish"
    else:
        manifest = json.loads((backup / "backup.json").read_text())
        manifest["layout_version"] = CURRENT + 1
        (backup / "backup.json").write_text(json.dumps(manifest))
        expected = "newer than this release"
    before = file_hashes(home)
    code, out = _restore(home, backup)
    assert code != 0 and expected in out and "nothing was restored" in out.lower().replace("\n", " ")
    assert file_hashes(home) == before


def test_backup_and_restore_wait_for_no_run(home, tmp_path):
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    held, release = ctx.Event(), ctx.Event()

    def hold():
        with run_lock(home, migrate=False):
            held.set()
            release.wait(30)

    holder = ctx.Process(target=hold)
    holder.start()
    try:
        assert held.wait(30)
        code, out, err = cli("home", "backup", "--home", str(home), "--to", str(tmp_path / "b"))
        assert code != 0 and "another run is using" in out + err
        assert not (tmp_path / "b" / "backup.json").exists()
    finally:
        release.set()
        holder.join(30)


def test_restore_drill_next_run_publishes_identical_outputs(tmp_path):
    """Back up, run (reference), damage the home, restore, run again: the run after the restore publishes what the
    undamaged home published. The reference is the session's shared run of the fixture's day 2 (``day2_run``: the
    same `mtm run` on another copy of the fixture home, upgraded first as here; test_i30_upgrade.py reads it), and
    its folder is this home's run after the backup (published, ``runs/latest`` on it), which the restore must
    undo (issue 24: one whole run fewer)."""
    undamaged = day2_run()
    assert undamaged["code"] == 0, undamaged["out"] + undamaged["err"]
    reference = Path(undamaged["home"]) / "runs" / DAY2
    home = copy_fixture(tmp_path / "fx")

    with run_lock(home):  # upgraded first (the drill is about this release's homes)
        pass
    _backup(home, tmp_path / "backup")
    shutil.copytree(reference, home / "runs" / DAY2)  # the run after the backup, as it published
    (home / "runs" / "latest").unlink()
    (home / "runs" / "latest").symlink_to(DAY2)
    # the damage: the warehouse is gone (ledger, staged store, metrics history), a run folder is cut short and
    # the portal's file is overwritten
    (home / "warehouse.duckdb").unlink()
    (home / "runs" / "2025-09-29" / "member_summary.parquet").unlink()
    (home / "portal.sqlite").write_bytes(b"\0" * 4096)
    code, out = _restore(home, tmp_path / "backup")
    assert code == 0, out
    assert not (home / "runs" / DAY2).exists()  # the home is as it was backed up
    assert (home / "runs" / "latest").resolve().name == "2025-09-29"
    code, out, err = cli("run", *day2_arguments(home, undamaged["stored_refused"]))
    assert code == 0, out + err
    # tools/compare_runs.py: identical apart from run ids and timings
    assert compare(reference, home / "runs" / DAY2) == []
