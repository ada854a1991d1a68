"""Issue 30, upgrades: the home's layout version (home.json) and the migrations of pipelines/run_state/home_layout.py,
on a
copy of the home written by commit 2006329 (tests/fixtures/home_2006329/README.md). No pipeline run here."""

from __future__ import annotations

import json

import duckdb
import pytest

from pipelines.publishing.run_lock import HomeNotUsable, run_lock
from pipelines.run_state import home_layout
from pipelines.run_state.home_layout import CURRENT, MIGRATIONS, HomeLayoutError, Migration, add_column, rename_table
from tests.i30_home import copy_fixture, file_hashes, home_record


def test_migrations_are_ordered_one_version_apart():
    assert [m.version for m in MIGRATIONS] == list(range(2, 2 + len(MIGRATIONS)))
    assert MIGRATIONS[-1].version == CURRENT


def test_a_new_home_is_stamped_with_the_current_layout_and_takes_no_backup(tmp_path):
    home = tmp_path / "home"
    assert home_layout.read_version(home) is None
    with run_lock(home):
        pass
    assert json.loads((home / "home.json").read_text())["layout_version"] == CURRENT
    assert not (home / "backups").exists()


def test_the_2006329_home_is_layout_1_and_upgrades_with_a_backup_first_keeping_every_record(tmp_path, capsys):
    home = copy_fixture(tmp_path / "fx")
    before = home_record(home)
    assert home_layout.read_version(home) == 1  # no home.json: that release recorded none
    with run_lock(home):
        pass
    assert "upgraded" in capsys.readouterr().err
    stamped = json.loads((home / "home.json").read_text())
    assert stamped["layout_version"] == CURRENT
    assert [h["layout_version"] for h in stamped["history"]] == [m.version for m in MIGRATIONS]
    after = home_record(home)
    assert after == before  # ledger (byte for byte), staged store, metrics history, users, audit, contacts, runs
    backups = list((home / "backups").iterdir())
    assert len(backups) == 1 and backups[0].name.startswith(f"before-layout-{CURRENT}-")
    assert json.loads((backups[0] / "backup.json").read_text())["layout_version"] == 1
    assert home_record(backups[0]) == before  # the backup holds the home as it was
    with run_lock(home):  # the second writer finds nothing to do: no second backup
        pass
    assert len(list((home / "backups").iterdir())) == 1


def test_a_home_from_a_newer_release_is_refused_and_nothing_changes(tmp_path):
    home = copy_fixture(tmp_path / "fx")
    (home / "home.json").write_text(json.dumps({"layout_version": CURRENT + 1}))
    before = file_hashes(home)
    refused = f"layout {CURRENT + 1}, written by a newer release.*nothing was changed"
    with pytest.raises(HomeNotUsable, match=refused), run_lock(home):
        raise AssertionError("the lock must not be granted")
    assert {k: v for k, v in file_hashes(home).items() if k != ".run.lock"} == before


def test_an_unreadable_layout_record_is_refused(tmp_path):
    home = copy_fixture(tmp_path / "fx")
    (home / "home.json").write_text("{not json")
    with pytest.raises(HomeNotUsable, match="home.json is not readable.*mtm home restore"), run_lock(home):
        pass


def test_a_failing_migration_rolls_back_and_is_refused_naming_the_backup(tmp_path, monkeypatch):
    home = copy_fixture(tmp_path / "fx")
    before = home_record(home)

    def broken(con):
        raise duckdb.CatalogException("a step that cannot apply to this home")

    steps = (*MIGRATIONS, Migration(CURRENT + 1, "adds a column, then fails",
                                    warehouse=(add_column("mtm_enrollment_ledger", "half_done", "VARCHAR"), broken)))
    monkeypatch.setattr(home_layout, "MIGRATIONS", steps)
    monkeypatch.setattr(home_layout, "CURRENT", CURRENT + 1)
    failed = "upgrade .* failed .*nothing was changed .*backup taken before it"
    with pytest.raises(HomeNotUsable, match=failed), run_lock(home):
        pass
    assert not (home / "home.json").exists()  # still the unversioned layout 1
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        columns = [r[0] for r in con.execute("DESCRIBE mtm_enrollment_ledger").fetchall()]
    assert "half_done" not in columns  # the transaction was rolled back
    assert home_record(home) == before


def test_adding_a_ledger_column_is_one_entry_and_keeps_every_row(tmp_path, monkeypatch):
    """What the merge of issue 25 item 4 adds: a migration entry with two add_column steps."""
    home = copy_fixture(tmp_path / "fx")
    before = home_record(home)
    entry = Migration(CURRENT + 1, "the ledger records the targeting reason and the date met criteria at enrollment",
                      warehouse=(add_column("mtm_enrollment_ledger", "enrollment_targeting_reason", "VARCHAR"),
                                 add_column("mtm_enrollment_ledger", "enrollment_date_met_criteria", "DATE")))
    monkeypatch.setattr(home_layout, "MIGRATIONS", (*MIGRATIONS, entry))
    monkeypatch.setattr(home_layout, "CURRENT", CURRENT + 1)
    with run_lock(home):
        pass
    assert json.loads((home / "home.json").read_text())["layout_version"] == CURRENT + 1
    assert home_record(home) == before  # the old columns byte-identical
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        added = con.execute("SELECT count(*), count(enrollment_targeting_reason), count(enrollment_date_met_criteria) "
                            "FROM mtm_enrollment_ledger").fetchone()
    assert added is not None and added[0] > 0 and added[1:] == (0, 0)  # new columns empty on old rows


def test_rename_table_keeps_rows_and_refuses_when_both_names_exist(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE TABLE old_name AS SELECT range AS i FROM range(5)")
    rename_table("old_name", "new_name")(con)
    assert con.execute("SELECT sum(i) FROM new_name").fetchone() == (10,)
    rename_table("old_name", "new_name")(con)  # applied already: nothing to do
    con.execute("CREATE TABLE old_name (i INTEGER)")
    with pytest.raises(HomeLayoutError, match="both old_name and new_name"):
        rename_table("old_name", "new_name")(con)
    add_column("absent_table", "x", "VARCHAR")(con)  # a table this home never had: the DDL will create it
