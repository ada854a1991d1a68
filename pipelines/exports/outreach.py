"""The outreach list as outreach staff open it: ``outreach_list.csv`` and ``outreach_list.xlsx``.

The list is built in SQL (``sql/outputs/outreach_list.sql``); this module only writes it.  The workbook
has one sheet per service (always all four, header only when none is due), a frozen header row, filters,
dates as real Excel dates, member ids, phone numbers and ZIP codes as text (leading zeros survive, no
"5.55E+09"), and column widths set.  Cells are written with explicit types, so a name that starts with
``=`` is text, never a formula.  PHI lives only in these two files: nothing here logs a row.

The checks at the end are the outreach list's gates (the Dagster asset checks call them).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import xlsxwriter

from pipelines.db import scalar
from pipelines.output_contract import OUTREACH_COLUMNS

SERVICES = ("cmr_initial", "cmr_annual", "cmr_follow_up", "tmr")
SERVICE_TITLES = {
    "cmr_initial": "Initial CMR offer",
    "cmr_annual": "Annual CMR offer",
    "cmr_follow_up": "CMR follow-up",
    "tmr": "Quarterly TMR",
}




def write_outreach_files(con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, int]:
    """Write outreach_list.csv and outreach_list.xlsx into ``folder``; returns rows per service."""
    folder.mkdir(parents=True, exist_ok=True)
    columns = ", ".join(OUTREACH_COLUMNS)
    con.execute(f"COPY (SELECT {columns} FROM outreach_list) TO '{folder / 'outreach_list.csv'}' "
                "(HEADER, DELIMITER ',')")
    rows = con.execute(f"SELECT {columns} FROM outreach_list").fetchall()
    write_outreach_xlsx(rows, folder / "outreach_list.xlsx")
    counts = {service: 0 for service in SERVICES}
    service_at = list(OUTREACH_COLUMNS).index("service")
    for row in rows:
        counts[row[service_at]] = counts.get(row[service_at], 0) + 1
    return counts


def write_outreach_xlsx(rows: list[tuple], path: Path) -> None:
    names = list(OUTREACH_COLUMNS)
    service_at = names.index("service")
    workbook = xlsxwriter.Workbook(str(path), {
        "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
        "default_date_format": "yyyy-mm-dd",
    })
    try:
        header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                      "valign": "top"})
        formats = {
            "text": workbook.add_format({"num_format": "@"}),
            "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
            "int": workbook.add_format({"num_format": "0"}),
            "number": workbook.add_format({"num_format": "0.0"}),
            "money": workbook.add_format({"num_format": "#,##0.00"}),
            "bool": workbook.add_format({}),
        }
        for service in SERVICES:
            sheet = workbook.add_worksheet(service)
            sheet.set_header(f"&L{SERVICE_TITLES[service]}&RPage &P of &N")
            for col, name in enumerate(names):
                kind, width = OUTREACH_COLUMNS[name]
                sheet.set_column(col, col, width, formats[kind])
                sheet.write_string(0, col, name, header)
            service_rows = [r for r in rows if r[service_at] == service]
            for r, row in enumerate(service_rows, start=1):
                for col, name in enumerate(names):
                    _write_cell(sheet, r, col, OUTREACH_COLUMNS[name][0], row[col], formats)
            sheet.freeze_panes(1, 0)
            sheet.autofilter(0, 0, max(len(service_rows), 1), len(names) - 1)
            sheet.set_row(0, 30)
    finally:
        workbook.close()


def _write_cell(sheet, row: int, col: int, kind: str, value, formats: dict) -> None:
    if value is None:
        sheet.write_blank(row, col, None, formats[kind])
    elif kind == "date":
        sheet.write_datetime(row, col, dt.datetime.combine(value, dt.time()), formats["date"])
    elif kind in ("int", "number", "money"):
        sheet.write_number(row, col, float(value), formats[kind])
    elif kind == "bool":
        sheet.write_boolean(row, col, bool(value), formats[kind])
    else:
        sheet.write_string(row, col, str(value), formats["text"])


def service_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows per service (no member ids): for the run report."""
    counts = dict(con.execute("SELECT service, count(*) FROM outreach_list GROUP BY 1").fetchall())
    return {service: counts.get(service, 0) for service in SERVICES}


# -- gates ------------------------------------------------------------------------------------------

CHECK_QUERIES = {
    # listed members who opted out, died on or before D, or are not enrolled in Part D in that contract
    "no_excluded_members": """
        SELECT count(*) FROM outreach_list AS o
        CROSS JOIN run_parameters AS p
        LEFT JOIN core_member AS m ON m.member_id = o.member_id
        LEFT JOIN tgt_mtm_enrollment AS e ON e.member_id = o.member_id AND e.contract_id = o.contract_id
        WHERE e.opt_out_date IS NOT NULL
           OR m.death_date <= p.as_of_date
           OR NOT coalesce(m.enrolled, false)
           OR m.contract_id IS DISTINCT FROM o.contract_id""",
    # listed members without an MTM enrollment (ledger row, enrolled at D) in the listed contract
    "all_mtm_enrolled": """
        SELECT count(*) FROM outreach_list AS o
        WHERE NOT EXISTS (SELECT 1 FROM tgt_mtm_enrollment AS e
                          WHERE e.member_id = o.member_id AND e.contract_id = o.contract_id AND e.mtm_enrolled)""",
    # contract x service lists whose ranks are not exactly 1..n
    "ranks_dense": """
        SELECT count(*) FROM (
            SELECT contract_id, service
            FROM outreach_list
            GROUP BY contract_id, service
            HAVING min(priority_rank) <> 1 OR max(priority_rank) <> count(*)
                OR count(DISTINCT priority_rank) <> count(*))""",
    # hospice members ranked above a member not in hospice, or listed although the setting excludes them
    "hospice_at_bottom": """
        SELECT count(*) FROM outreach_list AS h
        CROSS JOIN run_parameters AS p
        WHERE h.hospice AND (NOT p.outreach_include_hospice OR EXISTS (
            SELECT 1 FROM outreach_list AS o
            WHERE o.contract_id = h.contract_id AND o.service = h.service AND NOT o.hospice
              AND o.priority_rank > h.priority_rank))""",
    # one row per member x service
    "one_row_per_member_service": """
        SELECT count(*) - count(DISTINCT (member_id, contract_id, service)) FROM outreach_list""",
}


def outreach_checks(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Number of offending rows (or lists) per gate; 0 everywhere means the list may be published."""
    return {name: scalar(con, query) for name, query in CHECK_QUERIES.items()}
