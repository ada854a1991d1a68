"""`mtm contacts import FILE.xlsx`: a worked outreach workbook read back as recorded contacts (issue 26
item 12), for teams that call from Excel rather than the portal.

The workbook is the run's ``outreach_list.xlsx`` (or a contract's cut of it) with the caller's columns
filled in: "Call outcome" (``call_outcome``, a drop-down of the portal's outcomes: label or code), "Call
date", "Channel" (empty: phone) and "Call note". Sheets and headers are read by their labels (issue 26 item
7: "Initial CMR offer", "Member ID") or by their machine names (``cmr_initial``, ``member_id``), so a
workbook exported before the headers became labels still imports; case and spacing do not matter.
Each filled row becomes one entry of the portal's
contacts, exactly as if it had been recorded on the contact form: the same outcomes, the same date rules
(not before the member's MTM enrollment, not in the future), the same events file the next run reads,
and an audit entry naming the file, sheet and row. A row is refused, with its sheet, row and reason, when
its member is not on the list of that run, or a value does not hold; the other rows are recorded. A row
already recorded (same member, date, outcome, channel and note) is not recorded twice, so importing the
same workbook again changes nothing. Rows with an empty outcome were not called and are skipped.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.portal import contacts, runs
from pipelines.portal.store import audit
from pipelines.publishing.exports.outreach import (
    CALL_SERVICES,
    column_label,
    folded,
    header_names,
    sheet_names,
    sheet_title,
)

#: the workbook's sheets a caller works (one per CMR service of the call list)
CALL_SHEETS = CALL_SERVICES
NEEDED = ("member_id", "contract_id", "as_of_date", "call_outcome", "call_date", "call_channel", "call_note")


@dataclass
class ImportResult:
    rows_worked: int = 0
    recorded: int = 0
    already_recorded: int = 0
    refused: list[tuple[str, int, str]] = field(default_factory=list)  # sheet, row, reason


def outcome_code(text: str) -> str:
    """The outcome code of a cell: the drop-down's label or the code itself, any case."""
    wanted = " ".join(str(text).split()).lower()
    for code, outcome in contacts.OUTCOMES.items():
        if wanted in (code, outcome.label.lower(), code.replace("_", " ")):
            return code
    raise contacts.ContactError(f"unknown outcome {text!r}: one of "
                                + ", ".join(o.label for o in contacts.OUTCOMES.values()))


def _day(value) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value or "").strip()


def import_worked_list(con: sqlite3.Connection, home: Path, path: Path, recorded_by: str,
                       today: dt.date | None = None) -> ImportResult:
    """Record every worked row of ``path``; returns what was recorded and what was refused (and why)."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise contacts.ContactError(f"{path.name} is not an Excel workbook (.xlsx): {exc}") from exc
    result = ImportResult()
    known_sheets, known_headers = sheet_names(), header_names()
    sheets = [s for s in workbook.sheetnames if known_sheets.get(folded(s)) in CALL_SHEETS]
    if not sheets:
        raise contacts.ContactError(f"{path.name} has none of the outreach list's call sheets "
                                    f"({', '.join(sheet_title(s) for s in CALL_SHEETS)})")
    listed: dict[tuple[str, str], dict | None] = {}
    for sheet_name in sheets:
        rows = workbook[sheet_name].iter_rows(values_only=True)
        header = [known_headers.get(folded(c or ""), str(c or "")) for c in next(rows, ())]
        missing = [c for c in NEEDED if c not in header]
        if missing:
            raise contacts.ContactError(
                f"{path.name}, sheet {sheet_name}: no column "
                + ", ".join(f"{column_label(c)!r} ({c})" for c in missing)
                + "; a worked list is the run's outreach_list.xlsx with its caller's columns filled in")
        at = {c: header.index(c) for c in NEEDED}
        for number, values in enumerate(rows, start=2):
            cell = {c: values[i] if i < len(values) else None for c, i in at.items()}
            if cell["call_outcome"] in (None, ""):
                continue  # not called
            result.rows_worked += 1
            try:
                _import_row(con, home, path, sheet_name, number, cell, recorded_by, today, listed, result)
            except contacts.ContactError as exc:
                result.refused.append((sheet_name, number, str(exc)))
    workbook.close()
    audit(con, recorded_by, "import_contacts", path.name, "cli",
          f"{result.rows_worked} worked rows: {result.recorded} recorded, {result.already_recorded} already "
          f"recorded, {len(result.refused)} refused")
    return result


def _import_row(con, home: Path, path: Path, sheet: str, number: int, cell: dict, recorded_by: str,
                today: dt.date | None, listed: dict, result: ImportResult) -> None:
    member_id, contract_id = str(cell["member_id"] or "").strip(), str(cell["contract_id"] or "").strip()
    as_of = _day(cell["as_of_date"])
    key = (as_of, member_id)
    if key not in listed:
        run = runs.get_run(home, as_of)
        rows = runs.member_rows(run, "outreach_list", member_id) if run is not None else []
        listed[key] = next((r for r in rows if r["contract_id"] == contract_id), None)
        if run is None:
            raise contacts.ContactError(f"the run of {as_of or '(no as_of_date)'} is not published in {home}")
    row = listed[key]
    if row is None:
        raise contacts.ContactError(f"member {member_id} of contract {contract_id} is not on the outreach list of "
                                    f"the run of {as_of}")
    outcome = outcome_code(str(cell["call_outcome"]))
    channel = str(cell["call_channel"] or "phone").strip().lower().replace(" ", "_")
    if channel not in contacts.CHANNELS:
        raise contacts.ContactError(f"unknown channel {cell['call_channel']!r}: one of {', '.join(contacts.CHANNELS)}")
    if not _day(cell["call_date"]):
        raise contacts.ContactError(f"{column_label('call_date')} is empty: the date of the contact is needed")
    day = contacts.parse_contact_date(_day(cell["call_date"]), today=today,
                                      earliest=contacts.earliest_contact(row, as_of))
    note = " ".join(str(cell["call_note"] or "").split())
    for entry in contacts.in_force(con):
        if (entry["member_id"], entry["contact_date"], entry["outcome"], entry["channel"], entry["note"]) == (
                member_id, day.isoformat(), outcome, channel, note):
            result.already_recorded += 1
            return
    entry_id = contacts.record_contact(con, home, recorded_by=recorded_by, member_id=member_id,
                                       contract_id=contract_id, run_as_of=as_of, contact_date=day, outcome=outcome,
                                       channel=channel, note=note)
    audit(con, recorded_by, "record_contact", member_id, "cli",
          f"entry {entry_id}: {outcome} on {day} by {channel}, imported from {path.name} {sheet} row {number}")
    result.recorded += 1
