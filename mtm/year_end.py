"""`mtm report`: the year-end submission files of one contract (quality measures and the CMS MTM file).

A run folder holds the measures of its own as-of date. A year-end submission needs the year as it ended,
from the ledger the warehouse kept across the year's runs and from every event recorded for the year,
including events that arrived after the last run of the year. So the report re-runs the measure models
on a *copy* of the warehouse (the real one and the published runs are never touched):

* as of 31 December of the year when the home already has a published run dated after it (its
  delivery holds the whole year), else as of the latest published run of the year (the year is not over);
* with the extract, source and settings of the newest published run on or after that date (the
  delivery that knows most about the year; claims and events dated after the as-of date are ignored);
* with the warehouse's enrollment ledger as it stands: enrollment dates never move, and re-running a
  published date changes nothing.

The files are filtered to the contract and written to ``--out`` (default ``<home>/reports/<contract>-<year>``)
with ``report.json`` saying which date, run and extract they come from and which CMS fields no row filled:
quality_measures.csv and quality_measure_members.parquet with exact counts (the plan's own quality team),
the CMS beneficiary-level file (review copy and the contract's submission file in the CMS layout),
cms_mtm_problems.csv (enrollees left out) and cms_mtm_validation.csv (rows that would fail a CMS edit).
``--shareable`` (default folder ``<contract>-<year>-shareable``) writes what may be shared outside the plan
(targeting-rules.md section 10): quality_measures.csv with small cells suppressed, nothing member-level.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

from pipelines.engine.db import scalar
from pipelines.publishing.exports.measures import write_cms_submission, write_quality_files
from pipelines.publishing.run_lock import run_lock
from pipelines.run_state.run_context import RunContext


def published_runs(home: Path) -> list[dict]:
    """Manifests of the complete published runs of a home, oldest first."""
    runs = []
    for folder in sorted((home / "runs").glob("[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]")):
        path = folder / "run_manifest.json"
        if path.exists():
            manifest = json.loads(path.read_text())
            if manifest.get("status") == "complete":
                runs.append(manifest)
    return runs


def choose_run(home: Path, year: int) -> tuple[dt.date, dict]:
    """The as-of date of the report and the run whose extract and settings it re-uses."""
    runs = published_runs(home)
    of_year = [m for m in runs if m["as_of_date"].startswith(f"{year}-")]
    if not of_year:
        raise ValueError(f"no published run of {year} in {home / 'runs'}: run `mtm run` for that year first")
    year_end = dt.date(year, 12, 31)
    later = [m for m in runs if dt.date.fromisoformat(m["as_of_date"]) >= year_end]
    as_of = year_end if later else dt.date.fromisoformat(of_year[-1]["as_of_date"])
    return as_of, (later or of_year)[-1]


def write_report(home: Path, contract_id: str, year: int, out: Path | None = None, shareable: bool = False) -> Path:
    home = home.resolve()
    as_of, source_run = choose_run(home, year)
    suffix = "-shareable" if shareable else ""
    out = (out or home / "reports" / f"{contract_id}-{year}{suffix}").resolve()
    cms: dict = {}
    blank: list[str] = []
    with tempfile.TemporaryDirectory(prefix="mtm-report-") as scratch:
        scratch_home = Path(scratch) / "home"
        scratch_home.mkdir()
        with run_lock(home):  # no run writes the warehouse while it is copied
            shutil.copy2(home / "warehouse.duckdb", scratch_home / "warehouse.duckdb")
        ctx = RunContext.create(home=scratch_home, extract_dirs=source_run["extract_dirs"], as_of=as_of,
                                settings_file=source_run.get("settings_file"), source=source_run.get("source",
                                                                                                     "canonical"))
        from dagster_project.run import run_pipeline  # the same asset graph `mtm run` materialises

        run_pipeline(ctx)
        con = ctx.connect()
        try:
            contracts = {r[0] for r in con.execute("SELECT DISTINCT contract_id FROM quality_measures").fetchall()}
            if contract_id not in contracts:
                raise ValueError(f"contract {contract_id} has no members in {year} as of {as_of} "
                                 f"(contracts: {', '.join(sorted(contracts)) or 'none'})")
            out.mkdir(parents=True, exist_ok=True)
            where = f"contract_id = '{contract_id.replace(chr(39), '')}'"
            rows = write_quality_files(con, out, where, shareable=shareable)
            if not shareable:  # member-level files never leave the plan
                cms = write_cms_submission(con, out, where)
                blank = cms.pop("blank_fields")
                rows["cms_mtm_beneficiary_file"] = scalar(
                    con, f"SELECT count(*) FROM cms_mtm_beneficiary_file WHERE {where}")
        finally:
            con.close()
    (out / "report.json").write_text(json.dumps({
        "contract_id": contract_id, "measurement_year": year, "as_of_date": as_of.isoformat(),
        "source_run": source_run["as_of_date"], "extract_dirs": source_run["extract_dirs"],
        "settings_file": source_run.get("settings_file"), "rows": rows, "cms_mtm_blank_fields": blank,
        "cms_mtm": cms, "shareable": shareable,
        "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }, indent=2))
    return out
