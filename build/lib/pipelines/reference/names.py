"""Generic-name normalisation (targeting-rules.md section 2, "Drug identity").

Fills whose NDC is unknown are grouped by their normalised ``generic_name``, in the same key space as
the NDC map's ``drug_key``: so atorvastatin under an unknown NDC is the same drug as atorvastatin
found by NDC.  The rule:

* lower case; commas dropped; runs of whitespace folded to one space;
* ``/`` (with or without spaces) separates the parts of a combination;
* in each part, salt words after the first word are dropped -- unless the first word is itself a salt
  word (``potassium chloride``, ``calcium acetate``, ``sodium bicarbonate`` are drugs of their own);
* a part is then looked up in ``name_aliases.csv`` (WHO spellings, esters and salts the spec's list
  does not name, e.g. ``fluticasone propionate`` -> ``fluticasone``);
* the distinct parts are sorted and joined with `` / ``.

Dosage-form words (``er``, ``extended release``, ``tablet``) are *not* removed: names arriving with
them simply stay distinct keys, which is visible in the run's mapping report, not silently merged.
"""

from __future__ import annotations

import csv
import re
from functools import cache

from pipelines.reference.files import data_path

_SPACES = re.compile(r"\s+")
_PART_SEP = re.compile(r"\s*/\s*")


@cache
def salt_words() -> frozenset[str]:
    with data_path("salt_words.csv").open(newline="", encoding="utf-8") as fh:
        return frozenset(row["salt_word"].strip().lower() for row in csv.DictReader(fh))


@cache
def name_aliases() -> dict[str, str]:
    with data_path("name_aliases.csv").open(newline="", encoding="utf-8") as fh:
        return {row["name"].strip(): row["drug_key"].strip() for row in csv.DictReader(fh)}


def _normalise_part(part: str, salts: frozenset[str], aliases: dict[str, str]) -> str:
    if part in aliases:
        return aliases[part]
    words = part.split(" ")
    if words[0] not in salts:
        words = [words[0]] + [w for w in words[1:] if w not in salts]
    stripped = " ".join(words)
    return aliases.get(stripped, stripped)


def normalise_generic_name(name: str | None) -> str | None:
    """Return the drug key for a generic (ingredient) name, or None when there is no name."""
    if name is None:
        return None
    text = _SPACES.sub(" ", str(name).lower().replace(",", " ")).strip()
    if not text:
        return None
    salts, aliases = salt_words(), name_aliases()
    parts = {_normalise_part(p.strip(), salts, aliases) for p in _PART_SEP.split(text) if p.strip()}
    return " / ".join(sorted(parts)) or None
