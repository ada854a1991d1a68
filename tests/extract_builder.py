"""Hand-built canonical extracts for rule tests: a few rows per table, written as real CSV files."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from pipelines.ingest.contract import TABLES

DEFAULT_ELIGIBILITY = {
    "contract_id": "H1234",
    "pbp_id": "001",
    "enrollment_start_date": "2024-01-01",
    "birth_date": "1950-06-15",
    "sex": "F",
    "first_name": "Ada",
    "last_name": "Test",
    "phone": "555-0100",
}


def write_table(folder: Path, table: str, rows: list[dict], columns: list[str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if columns is None:
        columns = [c.name for c in TABLES[table].columns if c.required]
        for row in rows:
            columns += [k for k in row if k not in columns]
    path = folder / f"{table}.csv"
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return path


def member(member_id: str, **overrides) -> dict:
    return {"member_id": member_id, **DEFAULT_ELIGIBILITY, **overrides}


_claim_counter = iter(range(1, 10**9))


def fill(member_id: str, fill_date: dt.date | str, ndc: str = "00071015523", days_supply: int = 30,
         cost: float = 10.0, **extra) -> dict:
    return {
        "claim_id": extra.pop("claim_id", f"RX{next(_claim_counter):08d}"),
        "member_id": member_id,
        "fill_date": str(fill_date),
        "ndc": ndc,
        "days_supply": days_supply,
        "gross_drug_cost": cost,
        **extra,
    }


def medical(member_id: str, claim_type: str, start: dt.date | str, *codes: str, **extra) -> dict:
    row = {
        "claim_id": extra.pop("claim_id", f"MC{next(_claim_counter):08d}"),
        "member_id": member_id,
        "claim_type": claim_type,
        "claim_start_date": str(start),
        **extra,
    }
    for i, code in enumerate(codes, start=1):
        row[f"diagnosis_code_{i}"] = code
    return row


def write_extract(folder: Path, eligibility: list[dict], pharmacy_claim: list[dict] | None = None,
                  **tables: list[dict]) -> Path:
    write_table(folder, "eligibility", eligibility)
    write_table(folder, "pharmacy_claim", pharmacy_claim or [])
    for name, rows in tables.items():
        if rows is not None:
            write_table(folder, name, rows)
    return folder
