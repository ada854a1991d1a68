"""Run the real asset graph (as `mtm run` does) on a hand-built extract and read back what it published."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb

from dagster_project.run import run_pipeline
from pipelines.run_state.run_context import RunContext
from tests.extract_builder import write_extract
from tests.template_home import seeded_home

AS_OF = dt.date(2025, 9, 30)

# Real NDCs of the shipped map, one per drug.
NDC = {
    "atorvastatin": "00071015523",
    "lisinopril": "00006001954",
    "metformin": "00087606005",
    "amlodipine": "00054010022",
    "metoprolol": "16714085201",
    "furosemide": "00054329450",
    "sertraline": "00049005001",
    "donepezil": "00143974709",
    "alendronate": "00006003121",
    "albuterol": "00173032188",
    "sacubitril / valsartan": "00078065920",
    "fluticasone nasal": "00054327099",
    "sevelamer": "00615823939",
    "oxycodone": "00054039041",
    "alprazolam": "00009002901",
    "timolol eye drops": "17478028810",
}
EIGHT_DRUGS = ["atorvastatin", "lisinopril", "metformin", "amlodipine", "metoprolol", "furosemide",
               "sertraline", "donepezil"]


def without_expectations(settings: str) -> str:
    """Settings text with Great Expectations off (``gx_sample_rows = 0``): rule tests check rules, and the
    suites have tests of their own (test_quality_gx.py)."""
    if "gx_sample_rows" in settings:
        return settings
    if "[validation]" in settings:
        return settings.replace("[validation]", "[validation]\ngx_sample_rows = 0", 1)
    return settings + "\n[validation]\ngx_sample_rows = 0\n"


def run_extract(tmp_path: Path, as_of: dt.date = AS_OF, settings: str | None = None, home: Path | None = None,
                name: str = "extract", **tables) -> dict[str, dict]:
    extract = write_extract(tmp_path / name, **tables)
    settings_file = tmp_path / f"{name}_settings.toml"
    settings_file.write_text(without_expectations(settings or ""))
    ctx = RunContext.create(home=seeded_home(home or tmp_path / "home"), extract_dirs=[extract], as_of=as_of,
                            settings_file=settings_file)
    folder = run_pipeline(ctx)
    with (folder / "member_summary.csv").open(newline="") as fh:
        return {row["member_id"]: row for row in csv.DictReader(fh)}


def warehouse_rows(home: Path, sql: str) -> list[tuple]:
    """The rows ``sql`` returns from the warehouse of a run home, opened read-only."""
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def ledger(home: Path, *more_columns: str) -> list[tuple]:
    """The MTM enrollment ledger: member, contract, year, enrollment date, date met criteria (and more)."""
    columns = ", ".join(("member_id", "contract_id", "contract_year", "mtm_enrollment_date", "date_met_criteria",
                         *more_columns))
    return warehouse_rows(home, f"SELECT {columns} FROM mtm_enrollment_ledger ORDER BY ALL")


def merge_scenarios(*scenarios: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """One extract from several tests' scenarios (table -> rows), so that one real run serves them all.

    The rules are per member, so scenarios that use distinct member ids cannot see each other; a member id
    (or claim id) in two scenarios would let them, and is refused."""
    merged: dict[str, list[dict]] = {}
    owner: dict[str, int] = {}
    claims: set[str] = set()
    for number, scenario in enumerate(scenarios):
        members = {row["member_id"] for rows in scenario.values() for row in rows}
        shared = sorted(m for m in members if owner.get(m, number) != number)
        if shared:
            raise ValueError(f"member ids {shared} are in two scenarios: give each scenario its own members")
        owner |= dict.fromkeys(members, number)
        scenario_claims = {row["claim_id"] for rows in scenario.values() for row in rows if "claim_id" in row}
        if scenario_claims & claims:
            raise ValueError(f"claim ids {sorted(scenario_claims & claims)} are in two scenarios")
        claims |= scenario_claims
        for table, rows in scenario.items():
            merged.setdefault(table, []).extend(rows)
    return merged
