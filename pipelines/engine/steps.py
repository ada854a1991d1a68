"""The steps of the pipeline that are Python rather than SQL, declared as data with what they read.

Everything else is a SQL model (``pipelines.engine.models``).  Each step here takes the run's context and a
DuckDB connection, builds the tables it ``produces`` and returns their row counts; the Dagster layer
turns each into an asset whose dependencies are ``reads``, so the lineage in the UI is the real one:

* ``ingest``           extract files (canonical reader or a source adapter) -> ``raw_<table>``
* ``run_parameters``   the plan settings and the as-of date -> the one-row ``run_parameters`` table
* ``ref_generic_name`` each distinct generic name -> its normalised drug key (the rule lives in Python)
* ``row_rejects``      the input contract's row checks over the raw tables
* exports              the run folder's files (``pipelines.publishing.exports.files``)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from pipelines.engine.db import scalar
from pipelines.engine.models import create_declared
from pipelines.ingest.contract import TABLES
from pipelines.ingest.extract_files import recorded_event_files
from pipelines.ingest.readers import ingest_extract
from pipelines.ingest.row_checks import build_row_rejects
from pipelines.run_state import run_facts as run_report
from pipelines.run_state.errors import InputFileError
from pipelines.run_state.run_context import RunContext
from pipelines.run_state.run_parameters import RunParameters, run_parameters_ddl
from pipelines.run_state.settings import signal_weight_rows

RAW_TABLES = tuple(f"raw_{name}" for name in TABLES) + ("raw_known_member",)


@dataclass(frozen=True)
class Step:
    name: str
    layer: str
    produces: tuple[str, ...]
    reads: tuple[str, ...]
    run: Callable[[RunContext, duckdb.DuckDBPyConnection], dict[str, int]]
    description: str
    kinds: frozenset[str] = field(default_factory=lambda: frozenset({"duckdb"}))


def ingest(ctx: RunContext, con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Read the extract into raw_<table> (every column as text) through the source's reader."""
    from pipelines.ingest.adapters import read_source

    if ctx.source != "canonical":
        report = read_source(ctx, con)
    elif ctx.delivery is not None:
        report = ingest_delivery(ctx, con)
    else:
        report = ingest_extract(con, ctx.extract_dirs, extra_sources=recorded_event_files(ctx.home), run_id=ctx.run_id)
    for key, value in (("input_files", report.files), ("rows_in", report.rows_in),
                       ("absent_tables", report.absent_tables), ("warnings", ingest_warnings(ctx, report))):
        run_report.record(con, ctx.run_id, "ingest", key, value)
    rows = {f"raw_{name}": report.rows_in.get(name, 0) for name in TABLES}
    rows["raw_known_member"] = scalar(con, "SELECT count(*) FROM raw_known_member")
    return rows


def ingest_delivery(ctx: RunContext, con: duckdb.DuckDBPyConnection):
    """mtm run --delivery: only the new folder is read; the earlier ones come from the stored staging."""
    from pipelines.ingest.staging_store import committed_extract

    stored, refused = committed_extract(con)
    if refused or [str(d) for d in ctx.extract_dirs[:-1]] != stored or ctx.extract_dirs[-1] != ctx.delivery:
        raise InputFileError(str(ctx.delivery), "cannot be added to the stored staging "
                             f"({refused or 'the stored extract folders changed since the run was planned'})",
                             expected="a full read: mtm run --extract ... --extract DELIVERY")
    return ingest_extract(con, [ctx.delivery], extra_sources=recorded_event_files(ctx.home), run_id=ctx.run_id,
                          delivery_run=True)


def ingest_warnings(ctx: RunContext, report) -> list[str]:
    """What the run could not evaluate, said plainly in the manifest and on the console."""
    warnings = list(getattr(report, "notes", []))
    if "dmp_arb" in report.absent_tables and ctx.as_of.year >= 2022:
        warnings.append(
            "no dmp_arb file was delivered: at-risk beneficiaries of the Drug Management Program "
            "(targeting reason 02) were NOT evaluated"
        )
    if "medical_claim" in report.absent_tables:
        warnings.append("no medical_claim file was delivered: chronic conditions come from drugs "
                        "(and ESRD status) only, as for a standalone PDP")
    return warnings


def write_run_parameters(ctx: RunContext, con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The declared one-row table the SQL models read D and the settings from."""
    absent = run_report.facts(con, ctx.run_id).get("absent_tables", [])
    row = RunParameters.of(ctx.settings, ctx.as_of, member_status_delivered="member_status" not in absent,
                           as_known_at=ctx.as_known_at).values()
    con.execute(run_parameters_ddl())
    columns = ", ".join(row)
    con.execute(f"INSERT INTO run_parameters ({columns}) VALUES ({', '.join('?' for _ in row)})", list(row.values()))
    create_declared(con, "run_signal_weight")
    weights = signal_weight_rows(ctx.settings)
    con.executemany("INSERT INTO run_signal_weight (signal, weight) VALUES (?, ?)", weights)
    return {"run_parameters": 1, "run_signal_weight": len(weights)}


def load_generic_names(ctx: RunContext, con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Normalise each distinct generic_name once (in Python, the one definition of the rule)."""
    from pipelines.reference import normalise_generic_name

    names = [r[0] for r in con.execute(
        "SELECT DISTINCT generic_name FROM raw_pharmacy_claim WHERE generic_name IS NOT NULL").fetchall()]
    con.execute("CREATE OR REPLACE TABLE ref_generic_name (generic_name VARCHAR, drug_key VARCHAR)")
    rows = [(n, key) for n in names if (key := normalise_generic_name(n))]
    if rows:
        con.executemany("INSERT INTO ref_generic_name VALUES (?, ?)", rows)
    return {"ref_generic_name": len(rows)}


def row_rejects(ctx: RunContext, con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    build_row_rejects(con)
    run_report.record(con, ctx.run_id, "row_rejects", "audit_cutoff", audit_cutoff_report(ctx, con))
    return {"row_rejects": scalar(con, "SELECT count(*) FROM row_rejects")}


def audit_cutoff_report(ctx: RunContext, con: duckdb.DuckDBPyConnection) -> dict:
    """With --as-known-at: how many claim versions of each table were processed after it (and ignored)."""
    if ctx.as_known_at is None:
        return {"as_known_at": None}
    ignored = {name: scalar(con, f"SELECT count(*) FROM raw_{name} "
                                 "WHERE NOT known_at_cutoff(processed_at, (SELECT as_known_at FROM run_parameters))")
               for name, table in TABLES.items() if table.versioned}
    return {"as_known_at": ctx.as_known_at.isoformat(sep=" "), "versions_processed_later_ignored": ignored}


STEPS: tuple[Step, ...] = (
    Step("ingest", "ingest", RAW_TABLES, (), ingest,
         "The extract file(s) as delivered (canonical, DE-SynPUF or Synthea layout), typed by the input contract "
         "with each row's problems, file name and row number, kept in the home's staging store (staged_<table>; "
         "a delivery run reads only the new folder); raw_known_member lists members a source knows without a span."),
    Step("run_parameters", "reference", ("run_parameters", "run_signal_weight"), ("raw_member_status",),
         write_run_parameters,
         "The as-of date D and the plan settings in force (pipelines/run_state/run_parameters.py), and the weight of "
         "each medication-risk signal (sql/declared/run_signal_weight.sql)."),
    Step("ref_generic_name", "reference", ("ref_generic_name",), ("raw_pharmacy_claim",), load_generic_names,
         "Each distinct generic_name of the fills -> its drug key (targeting-rules.md section 2 name rule)."),
    Step("row_rejects", "staging", ("row_rejects",), (*RAW_TABLES[:-1], "stg_known_member", "run_parameters"),
         row_rejects,
         "Every bad input row: the input contract's checks (pipelines/ingest/row_checks.py) over the raw tables."),
)
