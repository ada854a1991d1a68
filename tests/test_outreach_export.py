"""The outreach files as staff open them: the XLSX read back with openpyxl (sheets, frozen header,
filters, widths, cell types) and the CSV next to it; plus the Dagster wiring of the outreach asset."""

from __future__ import annotations

import csv
import datetime as dt

import openpyxl
import pytest
from click.testing import CliRunner

from mtm.cli import main
from pipelines.publishing.exports.outreach import (
    CALL_SERVICES,
    SHEETS,
    WORK_COLUMNS,
    column_label,
    folded,
    header_names,
    sheet_title,
)
from pipelines.publishing.output_contract import CONTACT_COLUMNS, MAILING_COLUMNS, TMR_COLUMNS
from pipelines.publishing.output_contract import OUTREACH_COLUMNS as COLUMNS
from tests.extract_builder import fill, medical, member
from tests.targeting_harness import NDC, run_extract, warehouse_rows
from tests.template_home import seeded_home

D = dt.date(2025, 9, 30)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """One whole run at D on a home whose ledger holds the three members from 1 July (issue 24: seeded with
    `mtm ledger import` instead of a first run at 1 July, which enrolled them on that day). M2 has a dropped
    diagnosis code with a core-condition prefix: the run manifest's warning (test_icd_code_years.py has the rule)."""
    tmp = tmp_path_factory.mktemp("export")
    members = [member("00042", phone="0205550100", zip_code="02134", first_name="=HYPERLINK(\"x\")"),
               member("M2", phone="555-0101", preferred_language="es"),
               member("M3", phone="555-0102")]
    fills = [fill(m["member_id"], D - dt.timedelta(days=40), NDC["oxycodone"], 30) for m in members]
    fills += [fill(m["member_id"], D - dt.timedelta(days=40), NDC["alprazolam"], 30) for m in members]
    tables = {"eligibility": members, "pharmacy_claim": fills,
              "dmp_arb": [{"member_id": m["member_id"], "arb_start_date": "2025-01-01"} for m in members],
              "mtm_event": [{"member_id": "M3", "event_date": "2025-08-01", "event_type": "cmr_offered"}],
              "medical_claim": [medical("M2", "outpatient", "2025-03-01", "E11.99X", claim_id="DX1")]}
    home = seeded_home(tmp / "home")
    roster = tmp / "roster.csv"
    roster.write_text("member_id,contract_id,contract_year,mtm_enrollment_date\n"
                      + "".join(f"{m['member_id']},H1234,2025,2025-07-01\n" for m in members))
    imported = CliRunner().invoke(main, ["ledger", "import", str(roster), "--home", str(home)])
    assert imported.exit_code == 0, imported.output
    run_extract(tmp, home=home, **tables)
    return home / "runs" / D.isoformat()


def test_workbook_has_one_sheet_per_service_frozen_header_filters_and_widths(folder):
    wb = openpyxl.load_workbook(folder / "outreach_list.xlsx")
    assert wb.sheetnames == [sheet_title(s) for s in SHEETS] and list(SHEETS) == [*CALL_SERVICES, "tmr_worklist"]
    for ws in wb.worksheets:
        columns = TMR_COLUMNS if ws.title == sheet_title("tmr_worklist") else COLUMNS
        wide = "active_drugs" if ws.title == sheet_title("tmr_worklist") else "reasons"
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref is not None and ws.auto_filter.ref.startswith("A1:")
        worked = [] if ws.title == sheet_title("tmr_worklist") else list(WORK_COLUMNS)  # the caller's (item 12)
        assert [c.value for c in ws[1]] == [column_label(c) for c in [*columns, *worked]]  # labels (issue 26 item 7)
        wide_col = openpyxl.utils.get_column_letter(list(columns).index(wide) + 1)
        assert ws.column_dimensions[wide_col].width > 50
    assert wb[sheet_title("cmr_annual")].max_row == 1  # header only: nothing due


def test_cells_have_the_types_staff_need(folder):
    wb = openpyxl.load_workbook(folder / "outreach_list.xlsx")
    ws = wb[sheet_title("cmr_initial")]
    header = [header_names()[folded(c.value)] for c in ws[1]]  # labels -> column names
    rows = [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2)]
    assert [r["member_id"].value for r in rows] == ["00042", "M2"]  # M3 was offered: follow-up instead
    first = rows[0]
    assert isinstance(first["due_date"].value, dt.datetime) and first["due_date"].is_date
    assert first["due_date"].value.date() == dt.date(2025, 8, 30)  # Jul 1 + 60
    assert isinstance(first["birth_date"].value, dt.datetime)
    for name, value in (("member_id", "00042"), ("phone", "0205550100"), ("zip_code", "02134"),
                        ("pbp_id", "001")):
        assert first[name].value == value and first[name].data_type == "s", name
    assert first["first_name"].value == "=HYPERLINK(\"x\")" and first["first_name"].data_type == "s"
    assert isinstance(first["priority_rank"].value, int) and first["priority_rank"].value == 1
    assert first["priority_score"].data_type == "n" and first["priority_score"].number_format == "0.0"
    assert first["hospice"].value is False
    assert "opioid + benzodiazepine 30 days" in first["reasons"].value
    follow = [r for r in wb[sheet_title("cmr_follow_up")].iter_rows(min_row=2, values_only=True)]
    assert [(r[header.index("member_id")], r[header.index("cmr_offer_date")].date()) for r in follow] == [
        ("M3", dt.date(2025, 8, 1))]


def test_csv_holds_the_same_rows_as_the_workbook(folder):
    with (folder / "outreach_list.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(COLUMNS)
    with (folder / "tmr_worklist.csv").open(newline="") as fh:
        tmr = list(csv.DictReader(fh))
    assert list(tmr[0]) == list(TMR_COLUMNS)
    wb = openpyxl.load_workbook(folder / "outreach_list.xlsx")
    assert len(rows) == sum(wb[sheet_title(s)].max_row - 1 for s in CALL_SERVICES)
    assert len(tmr) == wb[sheet_title("tmr_worklist")].max_row - 1 == 3
    assert {r["service"] for r in rows} == {"cmr_initial", "cmr_follow_up"}  # TMRs are not on the call list


def test_manifest_reports_service_counts_without_member_ids(folder):
    import json

    manifest = json.loads((folder / "run_manifest.json").read_text())
    assert manifest["targeting"]["services"] == {"cmr_initial": 2, "cmr_annual": 0, "cmr_follow_up": 1, "tmr": 3}
    assert "00042" not in (folder / "run_manifest.json").read_text()
    # publish adds the dropped-code warning (pipelines.publishing.diagnosis_warnings) to the manifest
    assert [w for w in manifest["warnings"] if "core-condition value-set prefix" in w] == [
        "1 dropped diagnosis codes (1 distinct) are not valid for their claim's date but begin with a "
        "core-condition value-set prefix, so they were NOT counted as condition evidence (e.g. E1199X x1); "
        "see rejects.csv and check the coding or the code set"]


def test_dagster_registers_the_outreach_asset_and_its_gates():
    from dagster_project.definitions import defs

    graph = defs.get_repository_def().asset_graph
    assert "outreach_list" in {k.to_user_string() for k in graph.get_all_asset_keys()}
    def checks(asset: str) -> set[str]:
        return {c.name for c in graph.asset_check_keys if c.asset_key.to_user_string() == asset}

    assert checks("outreach_list") == {"outreach_no_excluded_members", "outreach_all_mtm_enrolled",
                                       "outreach_ranks_dense", "outreach_hospice_at_bottom",
                                       "outreach_one_row_per_member_service", "outreach_no_tmr_on_call_list",
                                       # the run checks of issue 17 on the same table
                                       "no_opted_out_member_listed", "row_count_vs_previous_run"}
    assert checks("tmr_worklist") == {"outreach_tmr_worklist_enrolled_once"}


def test_the_warehouse_tables_have_the_declared_columns_with_one_contact_block(folder):
    """Both lists take the contact block whole from member_contact: the SQL and the declared lists agree."""
    def columns(table: str) -> list[str]:
        return [row[0] for row in warehouse_rows(folder.parents[1], f"DESCRIBE {table}")]

    assert columns("member_contact") == [*CONTACT_COLUMNS, *MAILING_COLUMNS]
    assert columns("outreach_list") == list(COLUMNS)
    assert columns("tmr_worklist") == list(TMR_COLUMNS)
