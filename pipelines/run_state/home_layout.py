"""The home's layout version and its migrations (issue 30): a home written by an earlier release opens with the
new code; one written by a newer release is refused.

The home (``warehouse.duckdb``: the MTM enrollment ledger, the staged store ``staged_<table>``, the
``program_metrics_history``; ``portal.sqlite``: users, sessions, audit log, recorded contacts; ``events/``;
published ``runs/``) records its layout in ``<home>/home.json`` (``{"layout_version": N, ...}``), a plain file
so that it is read without opening the warehouse (which a run holds) and covers the SQLite file and the
folders as well.  Releases up to commit 2006329 wrote no ``home.json``: a home with content but without it is
layout 1.

Every writer of the home (``mtm run``, backfills, ``mtm ledger import``, ``mtm reference import``) takes the
run lock, and under it :func:`ensure_current` runs first (``pipelines.publishing.run_lock.run_lock``):

* a new home (nothing in it yet) is stamped with the current layout;
* an older home gets a backup first (``<home>/backups/before-layout-<N>-<time>/``, the same format as
  ``mtm home backup``), then the migrations after its version, in order: every warehouse step of them in
  one DuckDB transaction, every portal step in one SQLite transaction; ``home.json`` is written last
  (atomically).  A step that fails rolls its transaction back: the home is as it was, and the message names
  the backup;
* a home from a newer release (a version above :data:`CURRENT`), an unreadable ``home.json`` or a warehouse
  this DuckDB cannot open is refused (:class:`HomeLayoutError`), nothing changed.

Migrations are data: :data:`MIGRATIONS`, ordered by the version each produces.  A step that changes the
warehouse is a function of a DuckDB connection, made by a small helper (:func:`add_column`,
:func:`rename_table`); adding a ledger column is one entry, e.g.::

    Migration(3, "the ledger records the targeting reason and the date met criteria at enrollment",
              warehouse=(add_column("mtm_enrollment_ledger", "enrollment_targeting_reason", "VARCHAR"),
                         add_column("mtm_enrollment_ledger", "enrollment_date_met_criteria", "DATE"))),

Existing rows keep every value; the new column is NULL on them (a migration never invents a fact).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

HOME_FILE = "home.json"
WAREHOUSE = "warehouse.duckdb"
PORTAL = "portal.sqlite"
#: what makes a folder a home with content (a new home has none of these)
CONTENT = (WAREHOUSE, PORTAL, "runs", "events")
#: the layout of homes written before layout versions were recorded (releases up to commit 2006329)
UNVERSIONED = 1

WarehouseStep = Callable[[duckdb.DuckDBPyConnection], None]
PortalStep = Callable[[sqlite3.Connection], None]


class HomeLayoutError(RuntimeError):
    """The home cannot be used by this release; nothing in it was changed."""


@dataclass(frozen=True)
class Migration:
    version: int  # the layout this step produces (from version - 1)
    summary: str  # one line, for the administrator: what changes
    warehouse: tuple[WarehouseStep, ...] = ()
    portal: tuple[PortalStep, ...] = ()


# -- steps (helpers return a step; each step leaves a home it does not concern unchanged) -----------------

def _has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    from pipelines.engine.db import scalar

    return bool(scalar(con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND database_name = "
                            "current_database() AND schema_name = current_schema()", [table]))


def add_column(table: str, column: str, kind: str) -> WarehouseStep:
    """A warehouse step: ``table`` gains ``column`` (NULL on existing rows); nothing when the table is absent
    (its declared DDL creates it with the column) or the column is there already."""

    def step(con: duckdb.DuckDBPyConnection) -> None:
        if _has_table(con, table):
            con.execute(f'ALTER TABLE {table} ADD COLUMN IF NOT EXISTS "{column}" {kind}')

    step.__doc__ = f"{table} gains {column} {kind}"
    return step


def rename_table(old: str, new: str) -> WarehouseStep:
    """A warehouse step: a persistent table is renamed (rows untouched); refused when both names exist."""

    def step(con: duckdb.DuckDBPyConnection) -> None:
        if not _has_table(con, old):
            return
        if _has_table(con, new):
            raise HomeLayoutError(f"the warehouse holds both {old} and {new}; cannot rename one to the other")
        con.execute(f"ALTER TABLE {old} RENAME TO {new}")

    step.__doc__ = f"{old} renamed {new}"
    return step


#: ordered; each entry's version is one above the previous one's
MIGRATIONS: tuple[Migration, ...] = (
    Migration(2, "the home records its layout version in home.json (releases up to 2006329 recorded none); "
                 "no table changes"),
    Migration(3, "the ledger records where each row's targeting reason came from (targeting_reason_source: "
                 "enrollment, seed, rollover, filled_after_enrollment; issue 25 item 4a)",
              warehouse=(add_column("mtm_enrollment_ledger", "targeting_reason_source", "VARCHAR"),)),
    Migration(4, "stored mtm_event rows keep the drug-therapy-problem columns (dtp_id, dtp_type, drug_key, "
                 "prescriber_npi, prescriber_response; input-contract.md 2026-12-07, issue 29)",
              warehouse=tuple(add_column("staged_mtm_event", c, "VARCHAR") for c in
                              ("dtp_id", "dtp_type", "drug_key", "prescriber_npi", "prescriber_response"))),
)
CURRENT = MIGRATIONS[-1].version


# -- reading and writing the version -------------------------------------------------------------------

def has_content(home: Path) -> bool:
    return any((Path(home) / name).exists() for name in CONTENT)


def read_version(home: Path) -> int | None:
    """The home's layout version; None for a new home. Raises HomeLayoutError when it cannot be read."""
    path = Path(home) / HOME_FILE
    if not path.exists():
        return UNVERSIONED if has_content(home) else None
    try:
        version = json.loads(path.read_text())["layout_version"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise HomeLayoutError(f"{path} is not readable ({exc}); nothing was changed. Restore the home from a "
                              "backup (mtm home restore --from DIR)") from exc
    if not isinstance(version, int) or version < UNVERSIONED:
        raise HomeLayoutError(f"{path}: layout_version {version!r} is not a layout this release knows; nothing "
                              "was changed. Restore the home from a backup (mtm home restore --from DIR)")
    return version


def write_version(home: Path, version: int, history: list[dict] | None = None) -> None:
    """home.json, atomically (temp file + rename)."""
    from pipelines.run_state.run_context import code_version

    path = Path(home) / HOME_FILE
    old = {}
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except ValueError:
            old = {}
    content = {
        "layout_version": version,
        "written_by": code_version(),
        "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "history": [*old.get("history", []), *(history or [])],
    }
    tmp = path.with_name(f".{HOME_FILE}.tmp")
    tmp.write_text(json.dumps(content, indent=2) + "\n")
    os.replace(tmp, path)


def check_openable(home: Path) -> int | None:
    """The home's version when this release can use it (after migrating); refuses a newer one."""
    version = read_version(home)
    if version is not None and version > CURRENT:
        from pipelines.run_state.run_context import code_version

        raise HomeLayoutError(
            f"the home {home} has layout {version}, written by a newer release than this one ({code_version()}, "
            f"layout {CURRENT}); nothing was changed. Run the newer release on it, or restore a backup taken by "
            "this release (mtm home restore --from DIR)")
    return version


def pending(version: int) -> list[Migration]:
    return [m for m in MIGRATIONS if m.version > version]


# -- migrating -----------------------------------------------------------------------------------------

def ensure_current(home: Path) -> list[str]:
    """Bring the home to :data:`CURRENT` (call under the run lock); returns what was done, one line each."""
    home = Path(home)
    version = check_openable(home)
    if version is None:  # a new home
        home.mkdir(parents=True, exist_ok=True)
        write_version(home, CURRENT, [{"layout_version": CURRENT, "created": True}])
        return []
    steps = pending(version)
    if not steps:
        return []
    from pipelines.run_state.home_backup import backup_home

    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    backup_dir = home / "backups" / f"before-layout-{CURRENT}-{stamp}"
    try:
        backup_home(home, backup_dir, locked=True)
    except OSError as exc:
        raise HomeLayoutError(f"the home {home} needs an upgrade from layout {version} to {CURRENT}, and the backup "
                              f"taken first could not be written to {backup_dir} ({exc.strerror or exc}); nothing "
                              "was changed. Free some space and run again") from exc
    try:
        _apply(home, steps)
    except (duckdb.Error, sqlite3.Error, HomeLayoutError) as exc:
        raise HomeLayoutError(f"the upgrade of {home} from layout {version} to {CURRENT} failed ({exc}); nothing was "
                              f"changed (a backup taken before it is in {backup_dir}). Report this with the message; "
                              "until then use the earlier release on this home") from exc
    history = [{"layout_version": m.version, "summary": m.summary, "backup": str(backup_dir),
                "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")} for m in steps]
    write_version(home, CURRENT, history)
    return [f"home layout {m.version}: {m.summary}" for m in steps] + [f"backup taken first: {backup_dir}"]


def _apply(home: Path, steps: list[Migration]) -> None:
    """Every warehouse step in one DuckDB transaction, every portal step in one SQLite transaction."""
    from pipelines.run_state.run_context import duckdb_config

    warehouse_steps = [s for m in steps for s in m.warehouse]
    portal_steps = [s for m in steps for s in m.portal]
    con = None
    if warehouse_steps and (home / WAREHOUSE).exists():
        con = duckdb.connect(str(home / WAREHOUSE), config=duckdb_config(home))
        con.execute("BEGIN TRANSACTION")
    portal = None
    try:
        if con is not None:
            for step in warehouse_steps:
                step(con)
        if portal_steps and (home / PORTAL).exists():
            portal = sqlite3.connect(home / PORTAL, timeout=30, isolation_level=None)
            portal.execute("BEGIN IMMEDIATE")
            for pstep in portal_steps:
                pstep(portal)
        if con is not None:
            con.execute("COMMIT")
            con.execute("CHECKPOINT")
        if portal is not None:
            portal.execute("COMMIT")
    except BaseException:
        if con is not None:
            # committed already when only the SQLite COMMIT failed: the steps are idempotent, and the next run
            # (home.json still old) applies them again
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
        if portal is not None and portal.in_transaction:
            portal.execute("ROLLBACK")
        raise
    finally:
        if con is not None:
            con.close()
        if portal is not None:
            portal.close()
