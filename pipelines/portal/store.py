"""The portal's own SQLite file (``<home>/portal.sqlite``): users, sessions, audit log, recorded contacts and
the pharmacist's CMR records.

Never the DuckDB warehouse: a pipeline run holds the warehouse's single writer lock for minutes, and the
portal must keep answering.  The audit log and the recorded contacts are append-only, enforced by
triggers (an UPDATE or DELETE fails), so an entry can be superseded by a later one but never edited away.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

PORTAL_DB = "portal.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    contracts TEXT NOT NULL DEFAULT '',      -- space-separated contract ids; empty = every contract
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,             -- sha256 of the cookie value: a copy of the file opens no session
    username TEXT,                           -- NULL until login (the login form's CSRF token lives here)
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,                        -- UTC, ISO 8601
    username TEXT,                           -- who (the name typed, for a failed login)
    action TEXT NOT NULL,                    -- what: login, failed_login, download, view_outreach_list, ...
    target TEXT NOT NULL DEFAULT '',         -- which file, page or member id
    client TEXT NOT NULL DEFAULT '',         -- from where (client address)
    detail TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS contacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    member_id TEXT NOT NULL,
    contract_id TEXT NOT NULL,
    run_as_of TEXT NOT NULL,                 -- the run whose list the member was on
    contact_date TEXT NOT NULL,
    outcome TEXT NOT NULL,                   -- portal outcome (contacts.OUTCOMES) or entered_in_error
    channel TEXT NOT NULL,
    supersedes INTEGER REFERENCES contacts(id),
    note TEXT NOT NULL DEFAULT ''            -- the caller's free-text note (issue 26 item 9)
);
CREATE TRIGGER IF NOT EXISTS contacts_no_update BEFORE UPDATE ON contacts
BEGIN SELECT RAISE(ABORT, 'recorded contacts are append-only: record a correction'); END;
CREATE TRIGGER IF NOT EXISTS contacts_no_delete BEFORE DELETE ON contacts
BEGIN SELECT RAISE(ABORT, 'recorded contacts are append-only: record a correction'); END;
CREATE TABLE IF NOT EXISTS cmr_records (     -- the pharmacist's records (pipelines/portal/cmr.py, issue 29)
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    member_id TEXT NOT NULL,
    contract_id TEXT NOT NULL,
    run_as_of TEXT NOT NULL,                 -- the run whose member page the pharmacist worked from
    kind TEXT NOT NULL,                      -- cmr_records.KINDS: medicines, action_plan, dtp, cmr_completed, ...
    event_date TEXT NOT NULL,
    dtp_id TEXT NOT NULL DEFAULT '',         -- the drug therapy problem a dtp / response / resolution is about
    payload TEXT NOT NULL DEFAULT '{}'       -- JSON: the kind's fields (cmr_records.KINDS)
);
CREATE TRIGGER IF NOT EXISTS cmr_records_no_update BEFORE UPDATE ON cmr_records
BEGIN SELECT RAISE(ABORT, 'CMR records are append-only: record a new version'); END;
CREATE TRIGGER IF NOT EXISTS cmr_records_no_delete BEFORE DELETE ON cmr_records
BEGIN SELECT RAISE(ABORT, 'CMR records are append-only: record a new version'); END;
"""


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def connect(home: Path) -> sqlite3.Connection:
    """A connection to the home's portal file, created on first use (WAL: readers never wait for a writer)."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(home / PORTAL_DB, timeout=10, isolation_level=None, check_same_thread=False)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA foreign_keys=ON")
    con.executescript(SCHEMA)
    if "note" not in {row["name"] for row in con.execute("PRAGMA table_info(contacts)")}:  # a file from before
        con.execute("ALTER TABLE contacts ADD COLUMN note TEXT NOT NULL DEFAULT ''")
    return con


def audit(con: sqlite3.Connection, username: str | None, action: str, target: str = "", client: str = "",
          detail: str = "") -> None:
    con.execute("INSERT INTO audit_log (at, username, action, target, client, detail) VALUES (?, ?, ?, ?, ?, ?)",
                (now_utc(), username, action, target, client, detail))


def recent_failures(con: sqlite3.Connection, column: str, value: str, since: str) -> int:
    """Failed logins of one user name or one client address since a time (the rate limit's count)."""
    assert column in ("username", "client")
    return con.execute(f"SELECT count(*) FROM audit_log WHERE action = 'failed_login' AND {column} = ? AND at >= ?",
                       (value, since)).fetchone()[0]
