"""Row-level validation: every bad input row becomes a reject with file, row number, column and reason.

The checks are data: generic ones follow from the contract's column kinds (a DATE column must parse as
a date, a required column must be filled, a coded column must hold a known code), table-specific ones
are listed in ``SPECIFIC_CHECKS``.  They are typed predicates evaluated in the same pass that reads a
file (``pipelines.ingest.typed_rows``): each check is SQL over the parsed row, where ``<column>`` is the typed
value and ``<column>__raw`` the value as delivered (trimmed text, or a typed Parquet value).  The problems
of a row are stored with it (``_problems``); ``row_rejects`` lists them, plus the one check that depends
on the whole extract (a claim's member must be known to eligibility).  Raw values of PHI columns are never
copied into rejects.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipelines.ingest.contract import BOOL, DATE, DECIMAL, INT, TABLES, TIMESTAMP, Column, Table


@dataclass(frozen=True)
class RowCheck:
    table: str
    column: str
    #: SQL condition over the parsed row (``col`` typed, ``col__raw`` as delivered) that is TRUE when bad
    bad_when: str
    reason: str


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


#: why a delivered value of each kind did not parse (the parsers are in pipelines.ingest.typed_rows)
KIND_REASONS = {
    DATE: "unparseable date (expected YYYY-MM-DD)",
    INT: "not a whole number",
    DECIMAL: "not a number",
    BOOL: "not a boolean (expected true or false)",
    TIMESTAMP: "unparseable timestamp",
}

MEMBER_TABLES = ("pharmacy_claim", "medical_claim", "mtm_event", "dmp_arb", "member_status")

SPECIFIC_CHECKS: tuple[RowCheck, ...] = (
    RowCheck("eligibility", "enrollment_end_date", "enrollment_end_date < enrollment_start_date",
             "enrollment_end_date before enrollment_start_date"),
    # ndc is the normalised NDC (pipelines.ingest.typed_rows COLUMN_PARSERS): NULL when the delivered text is no NDC
    RowCheck("pharmacy_claim", "ndc", "ndc IS NULL",
             "NDC is not 11 digits or a hyphenated 10-digit form (4-4-2, 5-3-2, 5-4-1)"),
    RowCheck("dmp_arb", "arb_end_date", "arb_end_date < arb_start_date", "arb_end_date before arb_start_date"),
    RowCheck("member_status", "status_end_date", "status_end_date < status_start_date",
             "status_end_date before status_start_date"),
)

#: the one check that reads beyond the row: the member must be known to the extract (stg_known_member)
MEMBER_REASON = "member unknown to eligibility"


def generic_checks(table: Table) -> list[RowCheck]:
    checks = []
    for column in table.columns:
        checks.extend(_column_checks(table, column))
    return checks


def _column_checks(table: Table, column: Column) -> list[RowCheck]:
    c, raw = column.name, f"{column.name}__raw"
    checks = []
    if column.required:
        checks.append(RowCheck(table.name, c, f"{raw} IS NULL", "missing required value"))
    if column.kind in KIND_REASONS:
        checks.append(RowCheck(table.name, c, f"{raw} IS NOT NULL AND {c} IS NULL", KIND_REASONS[column.kind]))
    if column.minimum is not None or column.maximum is not None:
        out_of_range = " OR ".join(
            f"{c} {op} {bound:g}" for op, bound in (("<", column.minimum), (">", column.maximum)) if bound is not None)
        checks.append(RowCheck(table.name, c, out_of_range, column.range_reason))
    if column.allowed:
        allowed = ", ".join(_q(v) for v in column.allowed)
        checks.append(
            # a list, not NOT IN: an IN list becomes a join, which would cost the read its file order
            RowCheck(table.name, c, f"{raw} IS NOT NULL AND NOT list_contains([{allowed}], lower({raw}))",
                     f"unknown {c} (expected one of: {', '.join(column.allowed)})")
        )
    return checks


def checks_for(table: Table) -> list[RowCheck]:
    return generic_checks(table) + [c for c in SPECIFIC_CHECKS if c.table == table.name]


def problems_sql(table: Table) -> str:
    """The row's problems as a list of {column_name, reason, value}, NULL for a good row.

    One cheap OR over all checks finds the (few) bad rows; only their problem lists are built."""
    items, conditions = [], []
    for check in checks_for(table):
        conditions.append(f"({check.bad_when})")
        value = "NULL" if table.column(check.column).phi else f"left(CAST({check.column}__raw AS VARCHAR), 60)"
        items.append(
            f"CASE WHEN {check.bad_when} THEN {{'column_name': {_q(check.column)}, "
            f"'reason': {_q(check.reason)}, 'value': {value}}} END"
        )
    return (f"CASE WHEN {' OR '.join(conditions)} THEN "
            f"list_filter([{', '.join(items)}], p -> p IS NOT NULL) END")


def _rejects_sql(table: Table) -> str:
    # claim versions processed after the audit cut-off are not checked: they were not known then
    known = (" AND known_at_cutoff(processed_at, (SELECT as_known_at FROM run_parameters))"
             if table.versioned else "")
    stored = (f"SELECT {_q(table.name)} AS table_name, _file AS file, _row AS row_number, _seq, "
              f"unnest(_problems, recursive := true) FROM raw_{table.name} WHERE _problems IS NOT NULL{known}")
    if table.name not in MEMBER_TABLES:
        return stored
    member = (f"SELECT {_q(table.name)}, _file, _row, _seq, 'member_id', {_q(MEMBER_REASON)}, left(member_id, 60) "
              f"FROM raw_{table.name} WHERE member_id IS NOT NULL{known} "
              "AND member_id NOT IN (SELECT member_id FROM stg_known_member)")
    return f"{stored} UNION ALL {member}"


def build_row_rejects(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``row_rejects`` (table_name, file, row_number, _seq, column_name, reason, value).

    Reads the raw tables (their stored problems) and ``stg_known_member`` (the members a claim may
    belong to)."""
    con.execute(
        "CREATE OR REPLACE TABLE row_rejects (table_name VARCHAR, file VARCHAR, row_number BIGINT, "
        "_seq BIGINT, column_name VARCHAR, reason VARCHAR, value VARCHAR)"
    )
    for table in TABLES.values():
        con.execute(f"INSERT INTO row_rejects {_rejects_sql(table)}")
