"""The declarative column expectations of each input table, derived from the input contract.

The rules are plain data (:class:`Check`) so they can be read, tested and listed without importing
Great Expectations; :func:`build_suite` turns them into a GX ``ExpectationSuite`` (GX is imported
lazily: it costs seconds).

The frames validated are the raw files as text, so some rules need a prepared view of a column,
made by :func:`prepare_frame` and named after the source column:

* coded and boolean columns are compared lower-cased (the contract's allowed values are lower case);
* number rules (days_supply 1..365, costs >= 0) run on ``"<column> (as number)"``, the text cast
  with ``pandas.to_numeric(errors="coerce")``: text that is not a number becomes null there and is
  caught by the column's numeric-format rule instead;
* PHI columns are masked before GX sees them (digits -> ``9``, letters -> ``a``), so unexpected
  values that GX renders into Data Docs show the *shape* of a bad value (``99999999a``) and never
  the value itself. The format rules (ISO date, not null) give the same verdict on the mask.
* blank (whitespace-only) text counts as missing, as an empty CSV field does.

The reject-rate threshold maps onto GX as ``mostly = 1 - threshold`` on every row-level rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pipelines.ingest.contract import BOOL, DATE, DECIMAL, INT, TIMESTAMP, Column, Table
from pipelines.run_state.settings import Validation

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from great_expectations import ExpectationSuite

DEFAULT_REJECT_RATE_THRESHOLD = Validation.model_fields["max_reject_rate"].default
DEFAULT_MOSTLY = 1 - DEFAULT_REJECT_RATE_THRESHOLD

ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
ISO_TIMESTAMP = (
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$"
)
INTEGER = r"^[+-]?\d+$"
DECIMAL_NUMBER = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$"
#: 11 digits, or the 10-digit hyphenated forms 4-4-2, 5-3-2, 5-4-1, plus the hyphenated 11-digit 5-4-2.
NDC = r"^(?:\d{11}|\d{4}-\d{4}-\d{2}|\d{5}-\d{3}-\d{2}|\d{5}-\d{4}-\d{1,2})$"
CONTRACT_ID = r"^[A-Z]\d{4}$"
#: boolean spellings accepted (compared lower-cased)
BOOL_TEXT = ("true", "false", "t", "f", "1", "0", "y", "n", "yes", "no")
#: text rules on named columns (beyond the rules the column's kind implies)
COLUMN_PATTERNS: dict[str, str] = {"ndc": NDC, "contract_id": CONTRACT_ID}
NUMBER_SUFFIX = " (as number)"
#: shown on each suite's page of the Data Docs
SUITE_NOTES = [
    "Derived from the input contract (pipelines/ingest/contract.py); validated on the raw text of the files.",
    "Row-level expectations use mostly = 1 - the reject-rate threshold.",
    "Coded and boolean columns are compared lower-cased; blank text counts as missing.",
    "Columns named '<column> (as number)' hold the column's text cast to a number (non-numbers are"
    " null there and fail the column's numeric-format expectation instead).",
    "PHI columns are masked before validation (digits -> 9, letters -> a): unexpected values shown"
    " for them are shapes, never the values.",
]


def number_column(name: str) -> str:
    """Name of the prepared numeric view of a text column."""
    return f"{name}{NUMBER_SUFFIX}"


@dataclass(frozen=True)
class Check:
    """One expectation: a GX expectation class name, the frame column it reads and its arguments."""

    expectation: str
    column: str | None
    kwargs: dict[str, Any] = field(default_factory=dict)
    #: row-level rules carry ``mostly``; table and schema rules do not
    row_level: bool = True
    #: the contract column the check is about (``column`` may be a prepared view of it)
    source: str | None = None


def _column_checks(col: Column) -> list[Check]:
    name = col.name
    checks: list[Check] = []
    if col.required:
        checks.append(Check("ExpectColumnValuesToNotBeNull", name, source=name))
    pattern = COLUMN_PATTERNS.get(name)
    if pattern is None:
        pattern = {DATE: ISO_DATE, TIMESTAMP: ISO_TIMESTAMP, INT: INTEGER, DECIMAL: DECIMAL_NUMBER}.get(
            col.kind
        )
    if pattern is not None:
        checks.append(Check("ExpectColumnValuesToMatchRegex", name, {"regex": pattern}, source=name))
    if col.allowed:
        checks.append(
            Check("ExpectColumnValuesToBeInSet", name, {"value_set": list(col.allowed)}, source=name)
        )
    elif col.kind == BOOL:
        checks.append(Check("ExpectColumnValuesToBeInSet", name, {"value_set": list(BOOL_TEXT)}, source=name))
    if col.minimum is not None or col.maximum is not None:
        low, high = col.minimum, col.maximum
        checks.append(
            Check(
                "ExpectColumnValuesToBeBetween",
                number_column(name),
                {"min_value": low, "max_value": high},
                source=name,
            )
        )
    return checks


def table_checks(table: Table, columns: Iterable[str] | None = None) -> list[Check]:
    """The checks of ``table``; ``columns`` = the columns present in the data (None: all of the contract).

    Every required column gets ``expect_column_to_exist`` whether present or not; the value rules of a
    column are only listed when the column is present (an absent optional column is allowed, an absent
    required one fails its existence check and nothing else).
    """
    present = None if columns is None else set(columns)
    checks = [Check("ExpectTableRowCountToBeBetween", None, {"min_value": 1}, row_level=False)]
    checks += [
        Check("ExpectColumnToExist", c.name, row_level=False, source=c.name)
        for c in table.columns
        if c.required
    ]
    for col in table.columns:
        if present is None or col.name in present:
            checks += _column_checks(col)
    return checks


def _check_mostly(mostly: float) -> float:
    if not 0 < mostly <= 1:
        raise ValueError(f"mostly must be in (0, 1], got {mostly!r}")
    return float(mostly)


def build_suite(
    table: Table, mostly: float = DEFAULT_MOSTLY, *, columns: Iterable[str] | None = None
) -> ExpectationSuite:
    """The GX expectation suite of one contract table (suite name = table name).

    ``mostly`` (= 1 - reject-rate threshold) goes on every row-level expectation. ``columns``: see
    :func:`table_checks`.
    """
    import great_expectations as gx
    import great_expectations.expectations as gxe

    mostly = _check_mostly(mostly)
    expectations = []
    for check in table_checks(table, columns):
        kwargs = dict(check.kwargs)
        if check.column is not None:
            kwargs["column"] = check.column
        if check.row_level and mostly < 1:
            kwargs["mostly"] = mostly
        expectations.append(getattr(gxe, check.expectation)(**kwargs))
    # passed to the constructor: ``add_expectation`` would need an active data context
    return gx.ExpectationSuite(
        name=table.name,
        expectations=expectations,
        meta={"contract_table": table.name, "grain": table.grain, "mostly": mostly},
        notes=SUITE_NOTES,
    )


def _mask(series: pd.Series) -> pd.Series:
    """Shape of each value: digits -> 9, letters (any script) -> a; punctuation and spaces kept."""
    return series.str.replace(r"\d", "9", regex=True).str.replace(r"[^\W\d_]", "a", regex=True)


def prepare_frame(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame GX validates: the contract columns that some check reads, prepared as described above.

    Extra (non-contract) columns are left out; PHI columns are masked; the input is not modified; the
    index becomes the 0-based row position. (Masking keeps digits-vs-letters and punctuation only, so
    it suits PHI columns whose rules are null / date / number formats, as in the contract today; a
    test guards that no PHI column has an allowed-values set or a letter-sensitive pattern.)
    """
    import pandas as pd

    wanted = {c.source for c in table_checks(table, frame.columns) if c.source is not None}
    frame = frame.reset_index(drop=True)  # row positions (0-based) are what the docs' row indexes show
    out: dict[str, pd.Series] = {}
    for col in table.columns:
        if col.name not in wanted or col.name not in frame.columns:
            continue
        s = frame[col.name].astype("str")  # null stays null in the pandas string dtype
        s = s.mask(s.str.strip() == "")
        if col.allowed or col.kind == BOOL:
            s = s.str.lower()
        if col.minimum is not None or col.maximum is not None:
            out[number_column(col.name)] = pd.to_numeric(s, errors="coerce")
        if col.phi:
            s = _mask(s)
        out[col.name] = s
    # keep the contract's column order, numeric views after their source column
    order = []
    for col in table.columns:
        if col.name in out:
            order.append(col.name)
            if number_column(col.name) in out:
                order.append(number_column(col.name))
    return pd.DataFrame({k: out[k] for k in order}, index=frame.index)
