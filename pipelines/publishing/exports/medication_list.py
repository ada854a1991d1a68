"""The draft Personal Medication List in plain words (issue 26 item 14): what the member reads and the
pharmacist prints, from the run's ``member_medication_list`` rows.

- "Why I use it" is the drug class's usual purpose in plain words (``drug_class_purpose.csv``, one row per
  class of the drug reference), never the class code (``beta2_agonist_short`` -> "breathing (rescue inhaler)");
  the pharmacist confirms it with the member.
- A fill the drug reference could not identify reads "unidentified medicine (NDC ...)", never ``ndc9:...``.
- The claims carry the prescriber's NPI and no name: the page says so ("NPI ..., name not in the claims").
- A course that has ended is listed apart: a drug that is not a maintenance drug and whose last supply ran
  out before the as-of date (last fill date + days supply <= as-of date), like a 7-day antibiotic weeks ago.
  Maintenance drugs stay on the list when a refill is late: the gap is for the pharmacist to ask about.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
from pathlib import Path

PURPOSE_CSV = Path(__file__).with_name("drug_class_purpose.csv")
UNIDENTIFIED_PREFIXES = ("ndc9:", "ndc11:", "ndc:")


@functools.cache
def purposes() -> dict[str, str]:
    with PURPOSE_CSV.open(newline="") as fh:
        return {r["drug_class"]: r["purpose"] for r in csv.DictReader(fh)}


def purpose(drug_class: str | None) -> str:
    """The usual purpose of a drug class in plain words; a class without one reads as words, not a code."""
    if not drug_class:
        return ""
    return purposes().get(drug_class, drug_class.replace("_", " "))


def medicine_name(text: str | None) -> str:
    """A product or ingredient name; an unidentified NDC (``ndc9:709549903``) in words."""
    text = str(text or "")
    for prefix in UNIDENTIFIED_PREFIXES:
        if text.lower().startswith(prefix):
            return f"unidentified medicine (NDC {text[len(prefix):]})"
    return text


def _date(value) -> dt.date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def supply_end(row: dict) -> dt.date | None:
    """The last day the last fill covers (fill date + days supply - 1)."""
    day, days = _date(row.get("last_fill_date")), row.get("days_supply")
    if day is None or days in (None, ""):
        return None
    return day + dt.timedelta(days=int(days) - 1)


def has_ended(row: dict, as_of: dt.date) -> bool:
    end = supply_end(row)
    maintenance = str(row.get("maintenance", "")).lower() in ("true", "1", "yes")
    return end is not None and end < as_of and not maintenance


def plain_rows(rows: list[dict], as_of: dt.date | str) -> tuple[list[dict], list[dict]]:
    """(current, ended): each row with ``name``, ``ingredients_words``, ``purpose``, ``prescriber`` and
    ``supply_end`` in words, current drugs alphabetical, ended courses newest first."""
    as_of = _date(as_of) or dt.date.today()
    current: list[dict] = []
    ended: list[dict] = []
    for row in rows:
        npi = str(row.get("prescriber_npi") or "").strip()
        shown = {**row, "name": medicine_name(row.get("medication")),
                 "ingredients_words": medicine_name(row.get("ingredients")),
                 "purpose": purpose(row.get("drug_class")) or "to ask the member",
                 "prescriber": f"NPI {npi} (name not in the claims)" if npi else "not in the claims",
                 "supply_end": supply_end(row)}
        if shown["ingredients_words"] == shown["name"]:
            shown["ingredients_words"] = ""
        (ended if has_ended(row, as_of) else current).append(shown)
    current.sort(key=lambda r: r["name"].lower())
    ended.sort(key=lambda r: r["supply_end"] or dt.date.min, reverse=True)
    return current, ended
