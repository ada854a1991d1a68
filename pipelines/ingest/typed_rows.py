"""Typed rows: one pass from a delivered file to typed columns plus the row's problems.

Every input row is read once: its values are parsed to the contract's types and the row checks
(``pipelines.ingest.row_checks``) run on the parsed values in the same pass.  The result has the layout of
``sql/declared/staged_<table>.sql``: ``_file``, ``_row``, ``_seq``, the contract columns typed, and
``_problems`` (NULL for a good row).  Nothing downstream parses text again.

How a value is parsed depends on what the file delivers (docs/rules/input.md, issue 19):

* **Text** (every CSV column, text Parquet columns): trimmed, empty = missing, then the spec's parser
  (``sql/_macros.sql``): ISO ``YYYY-MM-DD`` real dates, whole numbers ``[+-]digits``, decimals, the
  boolean spellings, timestamps.  DuckDB's own typed CSV parse is *looser* than the contract for dates
  (``2025-9-1`` is accepted) and whole numbers (``30.5`` becomes 31, ``1e3``, ``0x1F``, ``1_000`` are
  accepted), so those columns are read as text and parsed by the contract's rule.
* **Typed Parquet** (DATE, integers, DECIMAL, BOOLEAN, TIMESTAMP): used as they are, with a typed guard
  where the text rule could still fail (a date outside years 1-9999, an integer beyond BIGINT, an amount
  beyond DECIMAL(18,4)).  Other typed values (a float for a whole number, an integer for a date) are
  judged as text, as before.
"""

from __future__ import annotations

from pipelines.ingest.contract import BOOL, DATE, DECIMAL, INT, TEXT, TIMESTAMP, Column, Table
from pipelines.ingest.row_checks import problems_sql

#: the SQL type each kind is stored as
SQL_TYPES = {TEXT: "VARCHAR", DATE: "DATE", INT: "BIGINT", DECIMAL: "DECIMAL(18, 4)", BOOL: "BOOLEAN",
             TIMESTAMP: "TIMESTAMP"}
PROBLEMS_TYPE = "STRUCT(column_name VARCHAR, reason VARCHAR, \"value\" VARCHAR)[]"

#: the contract's parser of each kind, applied to the delivered text
TEXT_PARSERS = {
    TEXT: "{raw}",
    DATE: "parse_date({raw})",
    INT: "parse_int({raw})",
    DECIMAL: "parse_amount({raw})",
    BOOL: "parse_bool({raw})",
    TIMESTAMP: "try_cast({raw} AS TIMESTAMP)",
}
#: columns with a parser of their own: the NDC is stored normalised to 11 digits (NULL when it is no NDC)
COLUMN_PARSERS = {"ndc": "normalise_ndc({raw})"}

_INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                  "UBIGINT", "UHUGEINT")
#: a typed Parquet value used as it is: kind -> (accepted source types, the typed guard)
TYPED_PARSERS = {
    DATE: (("DATE",), "CASE WHEN {raw} BETWEEN DATE '0001-01-01' AND DATE '9999-12-31' THEN {raw} END"),
    INT: (_INTEGER_TYPES, "try_cast({raw} AS BIGINT)"),
    DECIMAL: (("DECIMAL", *_INTEGER_TYPES), "try_cast({raw} AS DECIMAL(18, 4))"),
    BOOL: (("BOOLEAN",), "{raw}"),
    TIMESTAMP: (("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"), "CAST({raw} AS TIMESTAMP)"),
}


def is_typed(column: Column, source_type: str) -> bool:
    """A Parquet column whose type the pipeline uses as it is (no text round trip)."""
    accepted = TYPED_PARSERS.get(column.kind, ((), ""))[0]
    base = source_type.upper().split("(")[0].strip()
    return base in accepted


def parser(column: Column, raw: str, source_type: str = "VARCHAR") -> str:
    if column.name in COLUMN_PARSERS:
        return COLUMN_PARSERS[column.name].format(raw=raw)
    if is_typed(column, source_type):
        return TYPED_PARSERS[column.kind][1].format(raw=raw)
    return TEXT_PARSERS[column.kind].format(raw=raw)


def typed_select(table: Table, source_sql: str, source_types: dict[str, str] | None = None,
                 extra: str = "") -> str:
    """SELECT the typed rows of ``source_sql`` (a relation with ``_file, _row, _seq`` and one
    ``<column>__raw`` per contract column: trimmed text, or a typed Parquet value whose type is in
    ``source_types``).  ``extra`` adds leading columns (e.g. the delivery id)."""
    types = source_types or {}
    parsed = ", ".join(
        f"{parser(c, c.name + '__raw', types.get(c.name, 'VARCHAR'))}::{SQL_TYPES[c.kind]} AS {c.name}"
        for c in table.columns)
    raws = ", ".join(f"{c.name}__raw" for c in table.columns)
    columns = ", ".join(c.name for c in table.columns)
    lead = f"{extra}, " if extra else ""
    return (f"SELECT {lead}_file, _row, _seq, {columns}, {problems_sql(table)} AS _problems FROM ("
            f"SELECT _file, _row, _seq, {parsed}, {raws} FROM ({source_sql}))")


def typed_columns_ddl(table: Table) -> str:
    """The column list of a typed-row table (the declared staged_<table> and the per-run raw tables)."""
    cols = ", ".join(f"{c.name} {SQL_TYPES[c.kind]}" for c in table.columns)
    return f"_file VARCHAR, _row BIGINT, _seq BIGINT, {cols}, _problems {PROBLEMS_TYPE}"
