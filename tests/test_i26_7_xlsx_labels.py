"""Issue 26 item 7 (the XLSX): the outreach workbook a caller opens shows words, not codes (sheet names and
headers as labels; services, languages, medication-risk flags and enrollment sources in words) while the CSV
keeps its machine names and codes (outputs.md); `mtm contacts import` (item 12) reads a worked workbook with
the labelled headers back, and still reads one exported before the change (machine sheet names and headers).

One real run publishes the workbook; the tests open it with openpyxl and import it back through the CLI.

Issue 24: the run is the session's shared run (``tests.scenario_run``: as of 2025-09-30, default settings), which
holds other files' members too (``SHARED_SCENARIO`` is this file's); none of them is on the outreach list, so the
workbook's rows are still exactly this file's four members. The imports write to a private copy of the home."""

from __future__ import annotations

import csv
import datetime as dt
import re

import openpyxl
import pytest
from click.testing import CliRunner

from mtm.cli import main
from pipelines.portal.contacts import events_path
from pipelines.publishing.exports.labels import labels
from pipelines.publishing.exports.outreach import SHEETS, WORK_COLUMNS, column_label, sheet_title
from pipelines.publishing.output_contract import OUTREACH_COLUMNS, TMR_COLUMNS
from tests.extract_builder import fill, member
from tests.scenario_run import scenario_home
from tests.shared_runs import private_copy
from tests.targeting_harness import NDC

D = dt.date(2025, 9, 30)
MEMBERS = ("SPANISH", "PLAIN", "OLDBOOK", "TYPO")
CALL_HEADER = [*OUTREACH_COLUMNS, *WORK_COLUMNS]

#: this file's members in the shared run (tests/scenario_run.py): all four at-risk (reason 02) since 2024
SHARED_SCENARIO = {
    "eligibility": [member("SPANISH", preferred_language="es"), *(member(m) for m in MEMBERS[1:])],
    "pharmacy_claim": [*(fill(m, "2025-09-01") for m in MEMBERS),
                       fill("SPANISH", "2025-09-01", NDC["oxycodone"], 30),
                       fill("SPANISH", "2025-09-01", NDC["alprazolam"], 30)],
    "dmp_arb": [{"member_id": m, "arb_start_date": "2024-01-01"} for m in MEMBERS],
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A private copy of the shared run's home (the import tests add events to it) and its run folder."""
    home = private_copy(scenario_home(), tmp_path_factory.mktemp("labels") / "home")
    return home, home / "runs" / D.isoformat()


def _sheet_rows(sheet) -> list[dict]:
    rows = sheet.iter_rows(values_only=True)
    header = next(rows)
    return [dict(zip(header, r, strict=True)) for r in rows]


def test_every_column_and_sheet_has_a_label_that_excel_accepts():
    known = labels()
    for column in {*CALL_HEADER, *TMR_COLUMNS}:
        assert ("column", column) in known, column  # no header falls back to its machine name
    for columns in (CALL_HEADER, list(TMR_COLUMNS)):
        titles = [column_label(c) for c in columns]
        assert len({t.casefold() for t in titles}) == len(titles)  # read back without ambiguity
    for sheet in SHEETS:
        assert ("sheet", sheet) in known and len(sheet_title(sheet)) <= 31 and not re.search(r"[\[\]:*?/\\]",
                                                                                         sheet_title(sheet))


def test_the_workbook_shows_labels_and_words_and_the_csv_keeps_its_codes(run):
    _, folder = run
    workbook = openpyxl.load_workbook(folder / "outreach_list.xlsx")
    assert workbook.sheetnames == ["Initial CMR offer", "Annual CMR offer", "CMR follow-up",
                                   "Quarterly TMR worklist"]
    calls, tmr = workbook["Initial CMR offer"], workbook["Quarterly TMR worklist"]
    header = [c.value for c in calls[1]]
    assert header == [column_label(c) for c in CALL_HEADER]
    assert header[:4] == ["Contract", "Plan (PBP)", "Service", "Priority (1 = first)"]
    assert {"Member ID", "Language", "Medication risks", "How enrolled", "Call outcome", "Call date"} <= set(header)
    assert [c.value for c in tmr[1]] == [column_label(c) for c in TMR_COLUMNS]
    for sheet in workbook.worksheets:
        snake = [c.value for c in sheet[1] if re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", str(c.value))]
        assert snake == [], sheet.title
        for cell in sheet[1]:  # no word of a header is cut in two by its column's width
            width = sheet.column_dimensions[cell.column_letter].width
            assert width >= max(len(w) for w in str(cell.value).split()), cell.value

    rows = {r["Member ID"]: r for r in _sheet_rows(calls)}
    assert set(rows) == set(MEMBERS)  # over the shared run: no other scenario there has an outreach row
    spanish = rows["SPANISH"]
    assert (spanish["Service"], spanish["Language"], spanish["How enrolled"]) == (
        "Initial CMR offer", "Spanish", "met the criteria in a run")
    assert "opioid taken with a benzodiazepine" in spanish["Medication risks"]
    assert "_" not in spanish["Medication risks"]  # no flag code left
    assert isinstance(spanish["Due date"], dt.datetime) and isinstance(spanish["Priority (1 = first)"], int)

    with (folder / "outreach_list.csv").open(newline="") as fh:
        machine = {r["member_id"]: r for r in csv.DictReader(fh)}
    assert list(next(iter(machine.values()))) == list(OUTREACH_COLUMNS)  # the documented contract
    assert (machine["SPANISH"]["service"], machine["SPANISH"]["preferred_language"],
            machine["SPANISH"]["enrollment_source"]) == ("cmr_initial", "es", "run")
    assert "opioid_benzodiazepine" in machine["SPANISH"]["risk_flags"].split(";")


def _work(sheet, header: list[str], calls: dict[str, tuple]) -> dict[str, int]:
    """Fill the caller's columns of the members in ``calls`` (outcome, date, note); their row numbers."""
    member_at = header.index(next(h for h in header if h in ("Member ID", "member_id"))) + 1
    row_of = {sheet.cell(r, member_at).value: r for r in range(2, sheet.max_row + 1)}
    for member_id, values in calls.items():
        for name, value in zip(("call_outcome", "call_date", "call_note"), values, strict=True):
            at = header.index(column_label(name) if column_label(name) in header else name) + 1
            sheet.cell(row_of[member_id], at).value = value
    return row_of


def _events(home) -> set[tuple[str, str, str, str]]:
    with events_path(home).open(newline="") as fh:
        return {(r["member_id"], r["event_date"], r["event_type"], r["outcome"]) for r in csv.DictReader(fh)}


def test_a_worked_labelled_workbook_imports_back_as_events(run, tmp_path):
    home, folder = run
    workbook = openpyxl.load_workbook(folder / "outreach_list.xlsx")
    sheet = workbook["Initial CMR offer"]
    header = [c.value for c in sheet[1]]
    row_of = _work(sheet, header, {"SPANISH": ("Left a message", D, "habla con su hija"),
                                   "PLAIN": ("CMR offered", dt.datetime.combine(D, dt.time()), None),
                                   "TYPO": ("Teleported", D, None)})
    worked = tmp_path / "worked.xlsx"
    workbook.save(worked)

    result = CliRunner().invoke(main, ["contacts", "import", str(worked), "--home", str(home), "--by", "olga"])
    assert "3 worked rows; 2 recorded, 0 already recorded, 1 refused" in result.output, result.output
    assert f"sheet Initial CMR offer, row {row_of['TYPO']}: unknown outcome 'Teleported'" in result.output
    events = _events(home)
    assert {("SPANISH", D.isoformat(), "outreach_attempt", "left_message"),
            ("PLAIN", D.isoformat(), "outreach_attempt", "reached"),
            ("PLAIN", D.isoformat(), "cmr_offered", "")} <= events
    assert not any(e[0] == "TYPO" for e in events)  # refused: no event


def test_a_workbook_exported_before_the_labels_still_imports(run, tmp_path):
    """The previous writer's workbook: machine sheet names (``cmr_initial``) and snake_case headers."""
    home, folder = run
    workbook = openpyxl.load_workbook(folder / "outreach_list.xlsx")
    for key in SHEETS:
        old = workbook[sheet_title(key)]
        old.title = key
        columns = CALL_HEADER if key != "tmr_worklist" else list(TMR_COLUMNS)
        for cell, name in zip(old[1], columns, strict=True):
            cell.value = name
    sheet = workbook["cmr_initial"]
    header = [c.value for c in sheet[1]]
    assert "call_outcome" in header and "Call outcome" not in header
    _work(sheet, header, {"OLDBOOK": ("No answer", D, "rang twice")})
    worked = tmp_path / "old.xlsx"
    workbook.save(worked)

    result = CliRunner().invoke(main, ["contacts", "import", str(worked), "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert "1 worked rows; 1 recorded" in result.output
    assert ("OLDBOOK", D.isoformat(), "outreach_attempt", "no_answer") in _events(home)
