"""Row-level validation: every bad input row becomes a reject with file, row number, column and reason.

The checks are data: generic ones follow from the contract's column kinds (a DATE column must parse as
a date, a required column must be filled, a coded column must hold a known code), table-specific ones
are listed in ``SPECIFIC_CHECKS``.  All checks of a table run in one scan of ``raw_<table>`` and land in
``row_rejects``.  Raw values of PHI columns are never copied into rejects.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipelines.contract import BOOL, DATE, DECIMAL, INT, TABLES, TIMESTAMP, Column, Table


@dataclass(frozen=True)
class RowCheck:
    table: str
    column: str
    #: SQL condition over the raw (text) row that is TRUE when the row is bad
    bad_when: str
    reason: str


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


KIND_CHECKS = {
    DATE: ("parse_date({c}) IS NULL", "unparseable date (expected YYYY-MM-DD)"),
    INT: ("parse_int({c}) IS NULL", "not a whole number"),
    DECIMAL: ("parse_amount({c}) IS NULL", "not a number"),
    BOOL: ("parse_bool({c}) IS NULL", "not a boolean (expected true or false)"),
    TIMESTAMP: ("try_cast({c} AS TIMESTAMP) IS NULL", "unparseable timestamp"),
}

MEMBER_TABLES = ("pharmacy_claim", "medical_claim", "mtm_event", "dmp_arb", "member_status")

SPECIFIC_CHECKS: tuple[RowCheck, ...] = (
    RowCheck("eligibility", "enrollment_end_date",
             "parse_date(enrollment_end_date) < parse_date(enrollment_start_date)",
             "enrollment_end_date before enrollment_start_date"),
    RowCheck("pharmacy_claim", "ndc", "normalise_ndc(ndc) IS NULL",
             "NDC is not 11 digits or a hyphenated 10-digit form (4-4-2, 5-3-2, 5-4-1)"),
    RowCheck("dmp_arb", "arb_end_date", "parse_date(arb_end_date) < parse_date(arb_start_date)",
             "arb_end_date before arb_start_date"),
    RowCheck("member_status", "status_end_date",
             "parse_date(status_end_date) < parse_date(status_start_date)",
             "status_end_date before status_start_date"),
    *(
        RowCheck(t, "member_id",
                 "member_id IS NOT NULL AND member_id NOT IN (SELECT member_id FROM stg_known_member)",
                 "member unknown to eligibility")
        for t in MEMBER_TABLES
    ),
)


def generic_checks(table: Table) -> list[RowCheck]:
    checks = []
    for column in table.columns:
        checks.extend(_column_checks(table, column))
    return checks


def _column_checks(table: Table, column: Column) -> list[RowCheck]:
    c = column.name
    checks = []
    if column.required:
        checks.append(RowCheck(table.name, c, f"{c} IS NULL", "missing required value"))
    if column.kind in KIND_CHECKS:
        cond, reason = KIND_CHECKS[column.kind]
        checks.append(RowCheck(table.name, c, f"{c} IS NOT NULL AND {cond.format(c=c)}", reason))
    if column.minimum is not None or column.maximum is not None:
        value = "parse_int({c})" if column.kind == INT else "parse_amount({c})"
        out_of_range = " OR ".join(
            f"{value.format(c=c)} {op} {bound:g}"
            for op, bound in (("<", column.minimum), (">", column.maximum)) if bound is not None)
        checks.append(RowCheck(table.name, c, f"{c} IS NOT NULL AND ({out_of_range})", column.range_reason))
    if column.allowed:
        allowed = ", ".join(_q(v) for v in column.allowed)
        checks.append(
            RowCheck(table.name, c, f"{c} IS NOT NULL AND lower({c}) NOT IN ({allowed})",
                     f"unknown {c} (expected one of: {', '.join(column.allowed)})")
        )
    return checks


def checks_for(table: Table) -> list[RowCheck]:
    return generic_checks(table) + [c for c in SPECIFIC_CHECKS if c.table == table.name]


def _check_sql(table: Table) -> str:
    items, conditions = [], []
    for check in checks_for(table):
        conditions.append(f"({check.bad_when})")
        value = "NULL" if table.column(check.column).phi else f"left({check.column}, 60)"
        items.append(
            f"CASE WHEN {check.bad_when} THEN {{'column_name': {_q(check.column)}, "
            f"'reason': {_q(check.reason)}, 'value': {value}}} END"
        )
    # claim versions processed after the audit cut-off are not checked: they were not known then
    known = " AND known_at_cutoff(processed_at, (SELECT as_known_at FROM run_parameters))" if table.versioned else ""
    # one cheap OR over all checks finds the (few) bad rows; their problem lists are built afterwards
    return (
        f"SELECT {_q(table.name)} AS table_name, _file AS file, _row AS row_number, _seq, "
        f"unnest(problems, recursive := true) FROM ("
        f" SELECT _file, _row, _seq, list_filter([{', '.join(items)}], p -> p IS NOT NULL) AS problems"
        f" FROM (SELECT * FROM raw_{table.name} WHERE ({' OR '.join(conditions)}){known}))"
    )


def build_row_rejects(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``row_rejects`` (table_name, file, row_number, _seq, column_name, reason, value).

    Reads the raw tables and ``stg_known_member`` (the members a claim may belong to)."""
    con.execute(
        "CREATE OR REPLACE TABLE row_rejects (table_name VARCHAR, file VARCHAR, row_number BIGINT, "
        "_seq BIGINT, column_name VARCHAR, reason VARCHAR, value VARCHAR)"
    )
    for table in TABLES.values():
        con.execute(f"INSERT INTO row_rejects {_check_sql(table)}")
