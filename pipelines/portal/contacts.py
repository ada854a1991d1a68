"""Recording contacts: outreach staff mark a listed member reached / no answer / CMR offered / declined /
opted out, and every later run reads it as ``mtm_event`` rows (input-contract.md).

Each entry is a row of the append-only ``contacts`` table of the portal file.  A correction is a new entry
that supersedes an earlier one (``entered_in_error`` withdraws it); nothing is edited or deleted.  After
every entry the events file ``<home>/events/portal_mtm_event.csv`` is rewritten (atomically) from the
entries in force, so a run reads a consistent file; the extract_files.recorded_event_files hook hands it
to the canonical reader after the extract's own ``mtm_event``, and its bad rows become rejects naming that
file and row like any delivery's.
"""

from __future__ import annotations

import csv
import datetime as dt
import fcntl
import os
import sqlite3
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipelines.ingest.extract_files import RECORDED_EVENTS_DIR, RECORDED_EVENTS_FILE
from pipelines.portal import cmr_records
from pipelines.portal.store import now_utc
from pipelines.run_state import faults


@dataclass(frozen=True)
class Outcome:
    label: str
    event_type: str | None  # the service event besides the outreach attempt (None: the attempt only)
    attempt_outcome: str    # outreach_attempt.outcome when the member was called or met


#: what a recorded contact means in mtm_event rows (rules as data)
OUTCOMES: dict[str, Outcome] = {
    "reached": Outcome("Reached", None, "reached"),
    "no_answer": Outcome("No answer", None, "no_answer"),
    "left_message": Outcome("Left a message", None, "left_message"),
    "wrong_number": Outcome("Wrong number", None, "wrong_number"),
    "refused": Outcome("Refused the call", None, "refused"),  # not an opt-out: the next list tries again later
    "cmr_offered": Outcome("CMR offered", "cmr_offered", "reached"),
    "cmr_declined": Outcome("CMR declined", "cmr_declined", "reached"),
    "opted_out": Outcome("Opted out", "opted_out", "reached"),
}
#: only as a correction: the corrected entry was a mistake and yields no event
ENTERED_IN_ERROR = "entered_in_error"
CHANNELS = ("phone", "mail", "portal", "in_person", "other")
#: an attempt that was not a conversation (a letter, a portal message) has outcome "other"
CONVERSATION_CHANNELS = ("phone", "in_person")
#: attempt outcomes that say something about the channel itself: kept whatever the channel
CHANNEL_OUTCOMES = ("no_answer", "left_message", "wrong_number", "refused")
#: the free-text note of a contact (kept in the portal file only: mtm_event has no note column)
MAX_NOTE_CHARS = 500
EVENT_COLUMNS = ("member_id", "event_date", "event_type", "contract_id", "channel", "outcome", "opt_out_reason",
                 "portal_entry_id",
                 # the pharmacist's records (pipelines/portal/cmr.py, issue 29; input-contract.md 2026-12-07)
                 "delivery_method", "recipient", "provider_type", "cognitively_impaired", "dtp_id", "dtp_type",
                 "drug_key", "prescriber_npi", "prescriber_response")


class ContactError(ValueError):
    pass


def parse_contact_date(text: str, today: dt.date | None = None, earliest: dt.date | None = None) -> dt.date:
    """The contact date of a form, checked on the server (the browser's min/max are only a convenience):
    not in the future, and not before ``earliest``, the day the member could first be contacted for the MTM
    program (their MTM enrollment date: an event before it never counts, targeting-rules.md section 6)."""
    try:
        day = dt.date.fromisoformat((text or "").strip())
    except ValueError as exc:
        raise ContactError("the contact date must be a date like 2025-09-30") from exc
    today = today or dt.date.today()
    if day > today:
        raise ContactError(f"the contact date {day} cannot be in the future (today is {today})")
    if earliest is not None and day < earliest:
        raise ContactError(f"the contact date {day} is before this member's MTM enrollment on {earliest}, "
                           "the earliest day a contact counts: check the year")
    return day


def earliest_contact(row: dict, run_as_of: str) -> dt.date:
    """The first day a contact with a listed member can be recorded: their MTM enrollment date, else
    1 January of the run's contract year."""
    for text in (row.get("mtm_enrollment_date"), f"{run_as_of[:4]}-01-01"):
        try:
            return dt.date.fromisoformat(str(text))
        except ValueError:
            continue
    return dt.date(int(run_as_of[:4]), 1, 1)


def record_contact(con: sqlite3.Connection, home: Path, *, recorded_by: str, member_id: str, contract_id: str,
                   run_as_of: str, contact_date: dt.date, outcome: str, channel: str,
                   supersedes: int | None = None, note: str = "") -> int:
    """Append one entry (or a correction of ``supersedes``) and rewrite the events file; returns its id."""
    note = " ".join((note or "").split())  # one line: no line breaks in the list or the audit
    if len(note) > MAX_NOTE_CHARS:
        raise ContactError(f"the note has {len(note)} characters: at most {MAX_NOTE_CHARS}")
    allowed = set(OUTCOMES) | ({ENTERED_IN_ERROR} if supersedes else set())
    if outcome not in allowed:
        raise ContactError(f"unknown outcome {outcome!r}")
    if channel not in CHANNELS:
        raise ContactError(f"unknown channel {channel!r}")
    if supersedes is not None:
        earlier = con.execute("SELECT member_id FROM contacts WHERE id = ?", (supersedes,)).fetchone()
        if earlier is None or earlier["member_id"] != member_id:
            raise ContactError("the entry to correct is not an entry of this member")
        if con.execute("SELECT 1 FROM contacts WHERE supersedes = ?", (supersedes,)).fetchone():
            raise ContactError("that entry was corrected already: correct the latest entry")
    return append_and_rewrite(
        con, home,
        "INSERT INTO contacts (recorded_at, recorded_by, member_id, contract_id, run_as_of, contact_date, "
        "outcome, channel, supersedes, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(now_utc(), recorded_by, member_id, contract_id, run_as_of, contact_date.isoformat(), outcome,
          channel, supersedes, note)])[0]


def append_and_rewrite(con: sqlite3.Connection, home: Path, insert: str, rows: list[tuple]) -> list[int]:
    """Append ``rows`` with the INSERT ``insert`` and rewrite the events file, as one step; returns their ids.

    Every recorded entry of the portal (contacts, and the pharmacist's records of cmr.py) takes this one
    path: two entries at once never lose one in the file. The entries commit only once the new events file
    is fully written (disk full: neither changes, and the caller is told); the rename after the commit
    cannot run out of space."""
    with _events_lock(home):
        con.execute("BEGIN IMMEDIATE")
        tmp = None
        try:
            ids = []
            for row in rows:
                cursor = con.execute(insert, row)
                assert cursor.lastrowid is not None  # an INSERT always sets it
                ids.append(cursor.lastrowid)
            tmp = _write_events_tmp(con, home)
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            if tmp is not None:
                tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, events_path(home))
    return ids


@contextmanager
def _events_lock(home: Path):
    """An exclusive lock on the home's events folder (threads and processes alike: flock per open file)."""
    folder = events_path(home).parent
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def entries(con: sqlite3.Connection, member_id: str | None = None) -> list[sqlite3.Row]:
    """Every entry, newest first, with ``superseded_by`` (the correction that replaced it, if any)."""
    where, args = ("WHERE c.member_id = ?", (member_id,)) if member_id else ("", ())
    return con.execute(
        "SELECT c.*, (SELECT n.id FROM contacts AS n WHERE n.supersedes = c.id) AS superseded_by "
        f"FROM contacts AS c {where} ORDER BY c.id DESC", args).fetchall()


def in_force(con: sqlite3.Connection) -> list[sqlite3.Row]:
    return con.execute(
        "SELECT * FROM contacts AS c WHERE outcome <> ? AND NOT EXISTS "
        "(SELECT 1 FROM contacts AS n WHERE n.supersedes = c.id) ORDER BY id", (ENTERED_IN_ERROR,)).fetchall()


def event_rows(entry) -> list[dict]:
    """The mtm_event rows of one entry: the outreach attempt, and the service event it records."""
    outcome = OUTCOMES[entry["outcome"]]
    attempt = outcome.attempt_outcome
    if attempt not in CHANNEL_OUTCOMES and entry["channel"] not in CONVERSATION_CHANNELS:
        attempt = "other"
    base = {"member_id": entry["member_id"], "event_date": entry["contact_date"], "contract_id": entry["contract_id"],
            "portal_entry_id": entry["id"], "channel": "", "outcome": "", "opt_out_reason": ""}
    rows = [{**base, "event_type": "outreach_attempt", "channel": entry["channel"], "outcome": attempt}]
    if outcome.event_type:
        rows.append({**base, "event_type": outcome.event_type,
                     "opt_out_reason": "requested" if outcome.event_type == "opted_out" else ""})
    return rows


def events_path(home: Path) -> Path:
    return Path(home) / RECORDED_EVENTS_DIR / RECORDED_EVENTS_FILE


def write_events_file(con: sqlite3.Connection, home: Path) -> Path:
    """Rewrite the events file from the entries in force (temp file + rename: a run never reads half)."""
    path = events_path(home)
    os.replace(_write_events_tmp(con, home), path)
    return path


def _write_events_tmp(con: sqlite3.Connection, home: Path) -> Path:
    """The events file of the entries in force, written to a temp file beside it (removed if writing fails)."""
    path = events_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with tmp.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=EVENT_COLUMNS, restval="")
            writer.writeheader()
            for entry in in_force(con):
                writer.writerows(event_rows(entry))
            writer.writerows(cmr_records.event_rows(con))
            fh.flush()
            faults.at("contacts:events_file")  # the reliability tests' disk-full point (pipelines/run_state/faults.py)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp
