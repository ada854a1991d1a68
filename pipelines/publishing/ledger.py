"""The MTM enrollment ledger: its table, and the seeded roster (``mtm ledger import`` / ``mtm ledger show``).

The ledger (member x contract x contract year) is the only state carried from run to run
(targeting-rules.md section 6).  Runs write it through ``sql/targeting/tgt_ledger_next.sql``; a plan that
goes live mid-year or changes vendor seeds it here from an authoritative roster (input-contract.md,
``mtm_enrollment_seed``).  Seeded rows are facts: no run changes them, a re-import of the same file changes
nothing, and a row that contradicts the ledger is refused, naming the member and the field, unless the
analyst says ``--replace``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from pipelines.engine.models import create_declared
from pipelines.ingest.contract import DATE, INT, MTM_ENROLLMENT_SEED

ENROLLMENT_SOURCES = ("run", "seed", "inferred_from_events", "rollover")

#: the facts a seed row states, compared with the ledger row it meets
SEED_FACTS = ("mtm_enrollment_date", "date_met_criteria", "targeting_reason", "opt_out_date", "opt_out_reason")
#: facts a run may leave empty (opt-outs are derived at every run; a row written before reasons were recorded
#: has none): a run-written row saying nothing is no contradiction
_DERIVED_BY_RUNS = ("targeting_reason", "opt_out_date", "opt_out_reason")


class SeedError(Exception):
    """The roster cannot be imported: bad rows (file, row, column) or contradictions (member, field)."""


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    """The ledger as sql/declared/mtm_enrollment_ledger.sql declares it (an older one gains the new columns)."""
    create_declared(con, "mtm_enrollment_ledger")


# -- reading a roster -----------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _read_text_rows(path: Path) -> tuple[list[str], list[tuple]]:
    """Every value as text (so a bad date is reported, not guessed), columns as in the file."""
    con = duckdb.connect()
    try:
        name = path.name.lower()
        if name.endswith(".parquet"):
            rel = con.sql(f"SELECT * FROM read_parquet('{path}')")
            cols = rel.columns
            rel = con.sql("SELECT " + ", ".join(f'CAST("{c}" AS VARCHAR)' for c in cols)
                          + f" FROM read_parquet('{path}')")
        elif name.endswith((".csv", ".csv.gz")):
            rel = con.sql(f"SELECT * FROM read_csv('{path}', all_varchar = true, header = true)")
            cols = rel.columns
        else:
            raise SeedError(f"{path}: a roster is a .csv, .csv.gz or .parquet file")
        return list(cols), rel.fetchall()
    except duckdb.Error as exc:
        raise SeedError(f"{path}: cannot be read: {exc}") from exc
    finally:
        con.close()


def _parse(kind: str, text: str) -> object:
    if kind == DATE:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError("not a YYYY-MM-DD date")
        return dt.date.fromisoformat(text)
    if kind == INT:
        if not re.fullmatch(r"[0-9]+", text):
            raise ValueError("not a whole number")
        return int(text)
    return text


def read_seed(path: Path) -> list[dict]:
    """The roster's rows, typed and checked against the contract; every problem named by row and column."""
    path = Path(path)
    columns, raw = _read_text_rows(path)
    by_name = {c.strip().lower(): i for i, c in enumerate(columns)}
    missing = [c.name for c in MTM_ENROLLMENT_SEED.columns if c.required and c.name not in by_name]
    if missing:
        raise SeedError(f"{path}: required column(s) missing: {', '.join(missing)}")
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    seen: dict[tuple, int] = {}
    for number, values in enumerate(raw, start=1):
        row: dict[str, Any] = {}
        for col in MTM_ENROLLMENT_SEED.columns:
            text = values[by_name[col.name]] if col.name in by_name else None
            text = text.strip() if isinstance(text, str) else text
            if text in (None, ""):
                if col.required:
                    problems.append(f"row {number}, column '{col.name}': required value is empty")
                row[col.name] = None
                continue
            if col.name == "contract_id":
                text = text.upper()
            if col.allowed and text.lower() not in col.allowed:
                problems.append(f"row {number}, column '{col.name}': {text!r} is not one of {list(col.allowed)}")
                continue
            try:
                row[col.name] = _parse(col.kind, text.lower() if col.allowed else text)
            except ValueError as exc:
                problems.append(f"row {number}, column '{col.name}': {text!r} is {exc}")
        if any(row.get(c) is None for c in MTM_ENROLLMENT_SEED.required_columns):
            continue
        row["date_met_criteria"] = row.get("date_met_criteria") or row["mtm_enrollment_date"]
        if row["mtm_enrollment_date"].year > row["contract_year"]:
            problems.append(f"row {number}, column 'mtm_enrollment_date': {row['mtm_enrollment_date']} is after "
                            f"contract year {row['contract_year']}")
        if (row.get("opt_out_date") is None) != (row.get("opt_out_reason") is None):
            problems.append(f"row {number}, columns 'opt_out_date'/'opt_out_reason': give both or neither")
        key = (row["member_id"], row["contract_id"], row["contract_year"])
        if key in seen:
            problems.append(f"row {number}: member {key[0]} contract {key[1]} year {key[2]} is also row {seen[key]}")
        seen[key] = number
        row["_row"] = number
        rows.append(row)
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise SeedError(f"{path}: {len(problems)} problem(s), nothing imported:\n  {shown}{more}")
    return rows


# -- importing ------------------------------------------------------------------------------------------

@dataclass
class ImportResult:
    read: int = 0
    inserted: int = 0
    unchanged: int = 0
    replaced: int = 0
    confirmed: int = 0
    contradictions: list[str] = field(default_factory=list)


def _contradictions(seed: dict, existing: dict) -> list[str]:
    out = []
    for name in SEED_FACTS:
        have, want = existing[name], seed.get(name)
        if have == want:
            continue
        if have is None and existing["enrollment_source"] != "seed" and name in _DERIVED_BY_RUNS:
            continue
        if want is None and name == "targeting_reason":  # a roster without reasons keeps the recorded one
            continue
        out.append(f"member {seed['member_id']} (contract {seed['contract_id']}, year {seed['contract_year']}): "
                   f"{name} is {have} in the ledger ({existing['enrollment_source']}), {want} in the roster")
    return out


def import_seed(con: duckdb.DuckDBPyConnection, path: Path, replace: bool = False) -> ImportResult:
    """Seed the ledger from a roster in one transaction; refuse contradictions unless ``replace``."""
    ensure_ledger(con)
    rows = read_seed(path)
    result = ImportResult(read=len(rows))
    names = ["member_id", "contract_id", "contract_year", *SEED_FACTS, "targeting_reason_source", "enrollment_source"]
    existing = {
        (r[0], r[1], r[2]): {**dict(zip(names, r, strict=True)), "enrollment_source": r[-1] or "run"}
        for r in con.execute(f"SELECT {', '.join(names)} FROM mtm_enrollment_ledger").fetchall()
    }
    to_write = []
    for row in rows:
        key = (row["member_id"], row["contract_id"], row["contract_year"])
        old = existing.get(key)
        if old is None:
            result.inserted += 1
            to_write.append(row)
            continue
        if not row.get("targeting_reason") and old["targeting_reason"]:
            # the reason recorded when the member enrolled is never recomputed (outputs.md, CMS record)
            row = {**row, "targeting_reason": old["targeting_reason"],
                   "_reason_source": old["targeting_reason_source"]}
        found = _contradictions(row, old)
        if found:
            result.contradictions += found
            result.replaced += 1
            to_write.append(row)
        elif old["enrollment_source"] != "seed":
            to_write.append(row)  # the roster confirms a run's row: from now on it is a seeded fact
            result.confirmed += 1
        else:
            result.unchanged += 1
    if result.contradictions and not replace:
        shown = "\n  ".join(result.contradictions[:20])
        more = f"\n  ... and {len(result.contradictions) - 20} more" if len(result.contradictions) > 20 else ""
        raise SeedError(f"{path}: {len(result.contradictions)} row(s) contradict the ledger, which is "
                        f"immutable; nothing imported (use --replace to overwrite them):\n  {shown}{more}")
    con.execute("BEGIN TRANSACTION")
    try:
        for row in to_write:
            con.execute("DELETE FROM mtm_enrollment_ledger WHERE member_id = ? AND contract_id = ? "
                        "AND contract_year = ?", [row["member_id"], row["contract_id"], row["contract_year"]])
            con.execute(
                "INSERT INTO mtm_enrollment_ledger (member_id, contract_id, contract_year, mtm_enrollment_date, "
                "date_met_criteria, enrollment_source, targeting_reason, opt_out_date, opt_out_reason, "
                "targeting_reason_source) VALUES (?, ?, ?, ?, ?, 'seed', ?, ?, ?, ?)",
                [row["member_id"], row["contract_id"], row["contract_year"], row["mtm_enrollment_date"],
                 row["date_met_criteria"], row.get("targeting_reason"), row.get("opt_out_date"),
                 row.get("opt_out_reason"),
                 row.get("_reason_source") or ("seed" if row.get("targeting_reason") else None)])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return result


def ledger_counts(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Ledger rows by contract, year and source (counts only: what `mtm ledger show` prints)."""
    ensure_ledger(con)
    return con.execute(
        "SELECT contract_id, contract_year, coalesce(enrollment_source, 'run') AS source, count(*) AS rows, "
        "count(opt_out_date) AS seeded_opt_outs, min(mtm_enrollment_date), max(mtm_enrollment_date) "
        "FROM mtm_enrollment_ledger GROUP BY ALL ORDER BY contract_year, contract_id, source"
    ).fetchall()


#: where each ledger row of the run's contract year comes from (issue 26 item 16), in summary order
LEDGER_ORIGINS = ("kept_from_earlier_runs", "seeded", "new_this_run_inferred_from_events", "new_this_run_rollover",
                  "new_this_run")

LEDGER_ORIGIN_SQL = """
WITH before AS (  -- the ledger as the earlier runs of this home left it (publishing has not committed yet)
    SELECT l.member_id, l.contract_id FROM mtm_enrollment_ledger AS l, run_parameters AS p
    WHERE l.contract_year = p.contract_year
),
rows AS (
    SELECT n.enrollment_source, e.mtm_enrolled, c.meets_criteria,
           CASE WHEN n.enrollment_source = 'seed' THEN 'seeded'
                WHEN b.member_id IS NOT NULL THEN 'kept_from_earlier_runs'
                WHEN n.enrollment_source = 'inferred_from_events' THEN 'new_this_run_inferred_from_events'
                WHEN n.enrollment_source = 'rollover' THEN 'new_this_run_rollover'
                ELSE 'new_this_run' END AS origin
    FROM tgt_ledger_next AS n
    LEFT JOIN before AS b ON b.member_id = n.member_id AND b.contract_id = n.contract_id
    LEFT JOIN tgt_mtm_enrollment AS e ON e.member_id = n.member_id AND e.contract_id = n.contract_id
    LEFT JOIN tgt_member_criteria AS c ON c.member_id = n.member_id AND c.contract_id = n.contract_id
)
SELECT origin, count(*), count(*) FILTER (WHERE mtm_enrolled),
       count(*) FILTER (WHERE mtm_enrolled AND NOT coalesce(meets_criteria, false))
FROM rows GROUP BY origin
"""


def ledger_origin(con: duckdb.DuckDBPyConnection) -> dict:
    """The contract year's ledger after this run, by where each row came from: kept from earlier runs of this
    home, seeded (`mtm ledger import`), or new in this run (inferred from service events, rolled over, or
    entered on this as-of date). Counts only.

    The ledger remembers: a member enrolled by an earlier run (a backfill, an earlier night) stays enrolled
    after no longer meeting the criteria, so the same as-of date gives more MTM enrollees on a home with
    history than on a fresh one. ``enrolled_not_meeting_criteria_now`` counts exactly those members."""
    origin = {name: {"rows": 0, "mtm_enrolled": 0, "enrolled_not_meeting_criteria_now": 0}
              for name in LEDGER_ORIGINS}
    for name, rows, enrolled, not_meeting in con.execute(LEDGER_ORIGIN_SQL).fetchall():
        origin[name] = {"rows": rows, "mtm_enrolled": enrolled, "enrolled_not_meeting_criteria_now": not_meeting}
    return origin
