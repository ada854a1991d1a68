"""Issue 26 item 12: the outreach workbook has the caller's columns (an outcome drop-down, date, channel,
note); `mtm contacts import FILE.xlsx` reads a worked list back as recorded contacts (validated, audited,
refused rows listed, idempotent), and the next run's list shows them."""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from dagster_project.run import run_pipeline
from mtm.cli import main
from pipelines.publishing.exports.outreach import WORK_COLUMNS, column_label, folded, header_names, sheet_title
from pipelines.publishing.output_contract import OUTREACH_COLUMNS
from pipelines.run_state.run_context import RunContext
from tests.extract_builder import fill, member, write_extract
from tests.targeting_harness import without_expectations
from tests.template_home import seeded_home

D, NEXT = dt.date(2025, 9, 30), dt.date(2025, 10, 7)
MEMBERS = ("WRONG", "MESSAGE", "TYPO", "OLD", "UNTOUCHED")


def test_a_worked_workbook_imported_back_changes_the_next_list(tmp_path):
    extract = write_extract(tmp_path / "extract", eligibility=[member(m) for m in MEMBERS],
                            pharmacy_claim=[fill(m, "2025-09-01") for m in MEMBERS],
                            dmp_arb=[{"member_id": m, "arb_start_date": "2024-01-01"} for m in MEMBERS])
    settings = tmp_path / "settings.toml"
    settings.write_text(without_expectations(""))
    home = seeded_home(tmp_path / "home")  # the seeds loaded from the session template
    run_pipeline(RunContext.create(home=home, extract_dirs=[extract], as_of=D, settings_file=settings))
    published = home / "runs" / D.isoformat() / "outreach_list.xlsx"

    workbook = openpyxl.load_workbook(published)
    sheet = workbook[sheet_title("cmr_initial")]
    assert [c.value for c in sheet[1]] == [column_label(c) for c in [*OUTREACH_COLUMNS, *WORK_COLUMNS]]
    header = [header_names()[folded(c.value)] for c in sheet[1]]  # the caller's columns after the list's own
    rules = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    outcome_col = openpyxl.utils.get_column_letter(header.index("call_outcome") + 1)
    assert rules[f"{outcome_col}2:{outcome_col}6"].type == "list"
    assert "Wrong number" in rules[f"{outcome_col}2:{outcome_col}6"].formula1

    # the caller works the list in Excel
    row_of = {sheet.cell(r, header.index("member_id") + 1).value: r for r in range(2, sheet.max_row + 1)}

    def work(member_id: str, outcome, day, note: str = "", channel: str = "") -> None:
        r = row_of[member_id]
        for column, value in (("call_outcome", outcome), ("call_date", day), ("call_note", note),
                              ("call_channel", channel)):
            sheet.cell(r, header.index(column) + 1).value = value or None

    work("WRONG", "Wrong number", D)
    work("MESSAGE", "left message", D, note="spoke to the daughter", channel="phone")
    work("TYPO", "Teleported", D)
    work("OLD", "No answer", dt.date(1999, 1, 1))
    stranger = sheet.max_row + 1  # a row for a member the run never listed
    for col in range(1, len(header) + 1):
        sheet.cell(stranger, col).value = sheet.cell(row_of["WRONG"], col).value
    sheet.cell(stranger, header.index("member_id") + 1).value = "STRANGER"
    worked = tmp_path / "worked.xlsx"
    workbook.save(worked)

    imported = CliRunner().invoke(main, ["contacts", "import", str(worked), "--home", str(home), "--by", "olga"])
    assert imported.exit_code == 1, imported.output  # some rows refused: said, and the others recorded
    assert "5 worked rows; 2 recorded, 0 already recorded, 3 refused" in imported.output
    assert f"sheet Initial CMR offer, row {row_of['TYPO']}: unknown outcome 'Teleported'" in imported.output
    assert (f"sheet Initial CMR offer, row {row_of['OLD']}: the contact date 1999-01-01 is before this member's MTM "
            f"enrollment on {D}") in imported.output
    assert (f"sheet Initial CMR offer, row {stranger}: member STRANGER of contract H1234 is not on the outreach list "
            f"of the run of {D}") in imported.output
    con = sqlite3.connect(home / "portal.sqlite")
    audited = con.execute("SELECT username, action, target, detail FROM audit_log WHERE action IN "
                          "('record_contact', 'import_contacts') ORDER BY id").fetchall()
    con.close()
    assert sorted((u, a, t) for u, a, t, _ in audited[:2]) == [("olga", "record_contact", "MESSAGE"),
                                                               ("olga", "record_contact", "WRONG")]
    assert audited[2][:3] == ("olga", "import_contacts", "worked.xlsx")
    assert any(f"imported from worked.xlsx Initial CMR offer row {row_of['WRONG']}" in d for *_, d in audited)

    again = CliRunner().invoke(main, ["contacts", "import", str(worked), "--home", str(home)])
    assert "0 recorded, 2 already recorded, 3 refused" in again.output  # nothing twice

    run_pipeline(RunContext.create(home=home, extract_dirs=[extract], as_of=NEXT, settings_file=settings))
    with (home / "runs" / NEXT.isoformat() / "outreach_list.csv").open(newline="") as fh:
        rows = {r["member_id"]: r for r in csv.DictReader(fh)}
    assert (rows["WRONG"]["phone_flag"], rows["WRONG"]["attempts_since_last_offer"]) == (
        "wrong number reported 2025-09-30", "1")
    assert (rows["MESSAGE"]["last_attempt_outcome"], rows["MESSAGE"]["next_try_date"]) == ("left message", "2025-10-03")
    assert (rows["UNTOUCHED"]["attempts_since_last_offer"], rows["UNTOUCHED"]["phone_flag"]) == ("0", "")


def test_a_file_that_is_not_a_worked_list_is_refused_naming_it(tmp_path):
    bad = Path(tmp_path / "notes.xlsx")
    bad.write_text("not a workbook")
    result = CliRunner().invoke(main, ["contacts", "import", str(bad), "--home", str(tmp_path / "home")])
    assert result.exit_code != 0 and "notes.xlsx is not an Excel workbook" in result.output
    plain = openpyxl.Workbook()
    plain.active.title = "cmr_initial"
    plain.active.append(["member_id", "contract_id"])
    plain.save(tmp_path / "plain.xlsx")
    result = CliRunner().invoke(main, ["contacts", "import", str(tmp_path / "plain.xlsx"), "--home",
                                       str(tmp_path / "home")])
    assert result.exit_code != 0
    assert ("plain.xlsx, sheet cmr_initial: no column 'List as of' (as_of_date), 'Call outcome' (call_outcome)"
            in result.output)
