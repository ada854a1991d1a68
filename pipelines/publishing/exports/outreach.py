"""The outreach files as staff open them: ``outreach_list.csv``, ``tmr_worklist.csv`` and ``outreach_list.xlsx``.

The lists are built in SQL (``sql/outputs/outreach_list.sql``, ``sql/outputs/tmr_worklist.sql``); this
module only writes them.  The call list holds the CMR services; TMRs are pharmacist desk reviews with their
own list (targeting-rules.md section 7).  The workbook has one sheet per CMR service and a TMR worklist
sheet (always all four, header only when nothing is due), a frozen header row, filters,
dates as real Excel dates, member ids, phone numbers and ZIP codes as text (leading zeros survive, no
"5.55E+09"), and column widths set.  The workbook is read by people (issue 26 item 7): its sheet names and
headers are labels, and services, languages, medication-risk flags and enrollment sources are words
(``labels.csv``, languages from the CLDR); the CSV files keep their machine names and codes (outputs.md).
`mtm contacts import` maps the labels back (``header_names``).  Cells are written with explicit types,
so a name that starts with ``=`` is text, never a formula.  PHI lives only in these two files: nothing here logs a row.

The checks at the end are the outreach list's gates (the Dagster asset checks call them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import duckdb
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from pipelines.engine.db import scalar
from pipelines.publishing.exports.labels import flags, label, language
from pipelines.publishing.output_contract import OUTREACH_COLUMNS, TMR_COLUMNS

#: the call list's services (outreach_list); every service due adds the quarterly TMR (tmr_worklist)
CALL_SERVICES = ("cmr_initial", "cmr_annual", "cmr_follow_up")
SERVICES = (*CALL_SERVICES, "tmr")
TMR_SHEET = "tmr_worklist"
SHEETS = (*CALL_SERVICES, TMR_SHEET)
#: columns a caller fills in on each call sheet (issue 26 item 12), read back by `mtm contacts import`:
#: the outcome (a drop-down of the portal's outcomes), the date and channel of the contact, a note
WORK_COLUMNS: dict[str, tuple[str, int]] = {
    "call_outcome": ("text", 18),
    "call_date": ("date", 11),
    "call_channel": ("text", 11),
    "call_note": ("text", 40),
}
#: codes a caller reads as words in the workbook (the CSV keeps the codes)
CELL_WORDS: dict[str, Callable[[str], str]] = {
    "service": lambda code: label("service", code),
    "preferred_language": language,
    "risk_flags": flags,
    "enrollment_source": lambda code: label("enrollment_source", code),
}
SERVICE_TITLES = {
    "cmr_initial": "Initial CMR offer",
    "cmr_annual": "Annual CMR offer",
    "cmr_follow_up": "CMR follow-up",
    TMR_SHEET: "Quarterly TMR: pharmacist worklist",
}


def sheet_title(name: str) -> str:
    """A sheet's name as staff read it: ``cmr_initial`` -> "Initial CMR offer" (labels.csv, kind ``sheet``)."""
    return label("sheet", name)


def column_label(name: str) -> str:
    """A column's header in the workbook: ``days_until_due`` -> "Days to due (< 0 = overdue)"."""
    return label("column", name)


def folded(text) -> str:
    """Header or sheet text compared without case or extra spaces."""
    return " ".join(str(text).split()).casefold()


def header_names() -> dict[str, str]:
    """Header text (folded case and spaces) -> column name, for reading a worked workbook back: every label,
    and every machine name (a workbook written before the headers were labels still reads)."""
    from pipelines.publishing.output_contract import OUTREACH_COLUMNS, TMR_COLUMNS

    names = [*OUTREACH_COLUMNS, *TMR_COLUMNS, *WORK_COLUMNS]
    return {**{folded(n): n for n in names}, **{folded(column_label(n)): n for n in names}}


def sheet_names() -> dict[str, str]:
    """Sheet name (folded) -> sheet key (``cmr_initial`` ...), labels and old machine names alike."""
    return {**{folded(s): s for s in SHEETS}, **{folded(sheet_title(s)): s for s in SHEETS}}


def write_outreach_files(con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, int]:
    """Write outreach_list.csv, tmr_worklist.csv and outreach_list.xlsx into ``folder``; rows per service."""
    folder.mkdir(parents=True, exist_ok=True)
    columns, tmr_columns = ", ".join(OUTREACH_COLUMNS), ", ".join(TMR_COLUMNS)
    con.execute(f"COPY (SELECT {columns} FROM outreach_list) TO '{folder / 'outreach_list.csv'}' "
                "(HEADER, DELIMITER ',')")
    con.execute(f"COPY (SELECT {tmr_columns} FROM tmr_worklist) TO '{folder / 'tmr_worklist.csv'}' "
                "(HEADER, DELIMITER ',')")
    as_of = scalar(con, "SELECT as_of_date FROM run_parameters")
    sheets = {service: (OUTREACH_COLUMNS, _streamed(con, f"SELECT {columns} FROM outreach_list WHERE service = ?",
                                                    service)) for service in CALL_SERVICES}
    sheets[TMR_SHEET] = (TMR_COLUMNS, _streamed(con, f"SELECT {tmr_columns} FROM tmr_worklist"))
    counts = write_outreach_xlsx(sheets, folder / "outreach_list.xlsx", created=dt.datetime.combine(as_of, dt.time()))
    return {**{service: counts[service] for service in CALL_SERVICES}, "tmr": counts[TMR_SHEET]}


def _streamed(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> Iterator[tuple]:
    """The rows of ``sql`` in the table's order, a batch at a time; the query runs when the sheet is written
    (one sheet after the other on the one connection), so no list of every row is held."""
    cursor = con.execute(sql, list(params))
    while batch := cursor.fetchmany(10_000):
        yield from batch


def write_outreach_xlsx(sheets: Mapping[str, tuple[Mapping, Iterable[tuple]]], path: Path,
                        created: dt.datetime | None = None) -> dict[str, int]:
    """One sheet per name, in order: its columns (name -> (kind, width)) and its rows; returns the rows per
    sheet. ``created`` (the workbook's creation stamp) is the run's as-of date, not the clock: the same run
    gives the same bytes. Written in xlsxwriter's constant-memory mode (each row goes to disk when the next
    begins: a 1M-member plan's lists held ~0.5 GB of cells before); an empty cell is left to its column's
    format (set for the whole column) instead of being written blank with the same format."""
    workbook = xlsxwriter.Workbook(str(path), {
        "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
        "default_date_format": "yyyy-mm-dd", "constant_memory": True,
    })
    counts: dict[str, int] = {}
    workbook.set_properties({"created": created or dt.datetime(2000, 1, 1)})
    try:
        header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                      "valign": "top"})
        overdue = workbook.add_format({"bg_color": "#FDECEA", "font_color": "#9C0006"})
        formats = {
            "text": workbook.add_format({"num_format": "@"}),
            "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
            "int": workbook.add_format({"num_format": "0"}),
            "number": workbook.add_format({"num_format": "0.0"}),
            "money": workbook.add_format({"num_format": "#,##0.00"}),
            "bool": workbook.add_format({}),
        }
        worked = workbook.add_format({"bold": True, "bg_color": "#FFF2CC", "border": 1, "text_wrap": True,
                                      "valign": "top"})
        for name, (columns, sheet_rows) in sheets.items():
            names = list(columns)
            data_columns = len(names)
            if name in CALL_SERVICES:  # the caller's columns, empty, after the list's own
                columns = {**columns, **WORK_COLUMNS}
                names = list(columns)
            sheet = workbook.add_worksheet(sheet_title(name))
            sheet.set_header(f"&L{SERVICE_TITLES[name]}&RPage &P of &N")
            lines = 1
            for col, column in enumerate(names):
                kind, width = columns[column]
                text = column_label(column)
                width = max(width, max(len(word) for word in text.split()) + 2)  # no word cut in two
                sheet.set_column(col, col, width, formats[kind])
                sheet.write_string(0, col, text, header if col < data_columns else worked)
                lines = max(lines, -(-len(text) // max(width - 1, 1)))
            sheet.set_row(0, 15 * min(lines, 4) + 2)  # the labels wrap within their column's width
            kinds = [columns[column][0] for column in names[:data_columns]]
            words = [CELL_WORDS.get(column) for column in names[:data_columns]]
            rows = 0
            for rows, row in enumerate(sheet_rows, start=1):
                for col, value in enumerate(row[:data_columns]):
                    if value is None:
                        continue
                    in_words = words[col]
                    if in_words is not None and value != "":
                        value = in_words(value)
                    _write_cell(sheet, rows, col, kinds[col], value, formats)
            counts[name] = rows
            if len(names) > data_columns and rows:
                _work_validation(sheet, names, rows)
            if "days_until_due" in names and rows:  # overdue rows (ranked first) in red, as on the portal
                due = xl_col_to_name(names.index("days_until_due"))
                sheet.conditional_format(1, 0, rows, len(names) - 1, {
                    "type": "formula", "criteria": f"=${due}2<0", "format": overdue})
            sheet.freeze_panes(1, 0)
            sheet.autofilter(0, 0, max(rows, 1), len(names) - 1)
    finally:
        workbook.close()
    return counts


def _work_validation(sheet, names: list[str], rows: int) -> None:
    """Drop-downs for the outcome and the channel, a date check for the date (Excel enforces them as typed)."""
    from pipelines.portal.contacts import CHANNELS, OUTCOMES

    outcome, channel, day = (names.index(c) for c in ("call_outcome", "call_channel", "call_date"))
    sheet.data_validation(1, outcome, rows, outcome, {
        "validate": "list", "source": [o.label for o in OUTCOMES.values()],
        "input_title": "Outcome of the call", "input_message": "Pick from the list; leave empty when not called",
        "error_title": "Not an outcome", "error_message": "Pick one of the listed outcomes"})
    sheet.data_validation(1, channel, rows, channel, {"validate": "list", "source": list(CHANNELS),
                                                      "input_message": "Empty means phone"})
    sheet.data_validation(1, day, rows, day, {"validate": "date", "criteria": ">=",
                                              "value": dt.datetime(2000, 1, 1),
                                              "error_message": "A date like 2025-09-30"})


def _write_cell(sheet, row: int, col: int, kind: str, value, formats: dict) -> None:
    if kind == "date":
        sheet.write_datetime(row, col, dt.datetime.combine(value, dt.time()), formats["date"])
    elif kind in ("int", "number", "money"):
        sheet.write_number(row, col, float(value), formats[kind])
    elif kind == "bool":
        sheet.write_boolean(row, col, bool(value), formats[kind])
    else:
        sheet.write_string(row, col, str(value), formats["text"])


def service_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows per service (no member ids): CMR services of the call list, TMRs of the worklist."""
    counts = dict(con.execute("SELECT service, count(*) FROM outreach_list GROUP BY 1").fetchall())
    counts["tmr"] = scalar(con, "SELECT count(*) FROM tmr_worklist")
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
    # contract call lists (every CMR service ranked together) whose ranks are not exactly 1..n
    "ranks_dense": """
        SELECT count(*) FROM (
            SELECT contract_id
            FROM outreach_list
            GROUP BY contract_id
            HAVING min(priority_rank) <> 1 OR max(priority_rank) <> count(*)
                OR count(DISTINCT priority_rank) <> count(*))""",
    # hospice members ranked above a member not in hospice, or listed although the setting excludes them
    "hospice_at_bottom": """
        SELECT count(*) FROM outreach_list AS h
        CROSS JOIN run_parameters AS p
        WHERE h.hospice AND (NOT p.outreach_include_hospice OR EXISTS (
            SELECT 1 FROM outreach_list AS o
            WHERE o.contract_id = h.contract_id AND NOT o.hospice
              AND o.priority_rank > h.priority_rank))""",
    # one row per member x service
    "one_row_per_member_service": """
        SELECT count(*) - count(DISTINCT (member_id, contract_id, service)) FROM outreach_list""",
    # TMRs belong to the pharmacist worklist, not the call list
    "no_tmr_on_call_list": """
        SELECT count(*) FROM outreach_list WHERE service NOT IN ('cmr_initial', 'cmr_annual', 'cmr_follow_up')""",
    # worklist members who opted out, died, left the contract, or are listed twice in a contract
    "tmr_worklist_enrolled_once": """
        SELECT count(*) - count(DISTINCT (w.member_id, w.contract_id))
             + count(*) FILTER (WHERE e.member_id IS NULL OR NOT coalesce(m.enrolled, false)
                                   OR m.contract_id IS DISTINCT FROM w.contract_id)
        FROM tmr_worklist AS w
        LEFT JOIN core_member AS m ON m.member_id = w.member_id
        LEFT JOIN tgt_mtm_enrollment AS e
          ON e.member_id = w.member_id AND e.contract_id = w.contract_id AND e.mtm_enrolled""",
}


def outreach_checks(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Number of offending rows (or lists) per gate; 0 everywhere means the list may be published."""
    return {name: scalar(con, query) for name, query in CHECK_QUERIES.items()}
