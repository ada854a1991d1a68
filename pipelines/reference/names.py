"""Generic-name normalisation (targeting-rules.md section 2, "Drug identity").

Fills whose NDC is unknown are grouped by their normalised ``generic_name``, in the same key space as
the NDC maps' ``drug_key`` (the FDA-derived map runs every SUBSTANCENAME through this same function):
so atorvastatin under an unknown NDC is the same drug as atorvastatin found by NDC.  The rule:

* lower case; commas and bracketed text (``(as besylate)``, ``[Norvasc]``) dropped; whitespace folded;
* strengths dropped (``500 mg``, ``5-325 mg``, ``10 mg/ml``, ``0.05%``, ``24 hr``), *before* the parts are
  split, so ``mg/ml`` does not read as a combination;
* the parts of a combination are separated by ``/``, `` and `` and `` with ``; a hyphen separates parts only
  when every part it makes is a known ingredient of the drug reference (``lisinopril-hydrochlorothiazide``
  splits, ``omega-3-acid ethyl esters`` and ``pegfilgrastim-jmdb`` do not);
* in each part, dosage-form words (``dose_form_words.csv``: ``er``, ``tab``, ``capsule``, ...) after the
  first word are dropped, and so are salt words (``salt_words.csv``: the spec's list plus the documented
  additions) -- unless the first word is itself a salt word, in which case the salt words stay
  (``potassium chloride``, ``calcium acetate``, ``sodium bicarbonate`` are drugs of their own); the first
  word is never dropped;
* a biosimilar or unbranded biologic name loses the FDA four-letter suffix (``insulin glargine-yfgn`` ->
  ``insulin glargine``, ``adalimumab-adaz`` -> ``adalimumab``): a last hyphen followed by exactly four
  letters ending the name (dosage-form words after it aside), when the hyphen does not join known
  ingredients (``lisinopril-hctz`` still splits);
* a part is then looked up in ``name_aliases.csv`` (WHO spellings, esters and salts the spec's list
  does not name, e.g. ``fluticasone propionate`` -> ``fluticasone``);
* the distinct parts are sorted and joined with `` / `` (the drug reference's combination keys).

A part that is already a drug key of the reference (``polyethylene glycol 3350``) is kept as it is.
"""

from __future__ import annotations

import csv
import re
from functools import cache

from pipelines.reference.files import data_path

_SPACES = re.compile(r"\s+")
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_UNIT = r"(?:mg|mcg|µg|g|gm|gram|grams|ml|l|%|units?|iu|meq|mmol|hrs?|h|hour|actuation|act|spray|puffs?|dose)"
_NUMBER = r"\d[\d.,]*"
#: a strength: number(s), optional unit, optional "/ number unit" (10 mg/ml, 5-325 mg, 100 units/ml, 24 hr)
_STRENGTH = re.compile(
    rf"(?<![\w-]){_NUMBER}(?:\s*-\s*{_NUMBER})*\s*{_UNIT}?(?:\s*/\s*(?:{_NUMBER})?\s*{_UNIT})*(?![\w-])"
)
_INSULIN_U = re.compile(r"(?<![\w-])u-?\d+(?![\w-])")  # insulin concentration u-100 / u100
_PART_SEP = re.compile(r"\s*/\s*|\s+and\s+|\s+with\s+")
#: the FDA's four-letter suffix of biosimilar and unbranded biologic names (insulin glargine-yfgn)
_BIOLOGIC_SUFFIX = re.compile(r"(?<=[a-z])-[a-z]{4}$")


def _read_column(name: str, column: str) -> frozenset[str]:
    with data_path(name).open(newline="", encoding="utf-8") as fh:
        return frozenset(row[column].strip().lower() for row in csv.DictReader(fh))


@cache
def salt_words() -> frozenset[str]:
    return _read_column("salt_words.csv", "salt_word")


@cache
def dose_form_words() -> frozenset[str]:
    return _read_column("dose_form_words.csv", "word")


@cache
def name_aliases() -> dict[str, str]:
    with data_path("name_aliases.csv").open(newline="", encoding="utf-8") as fh:
        return {row["name"].strip(): row["drug_key"].strip() for row in csv.DictReader(fh)}


@cache
def known_ingredients() -> frozenset[str]:
    """Every drug key of the reference and every single ingredient of its combination keys."""
    keys = _read_column("drug_reference.csv", "drug_key")
    return frozenset(keys | {p for k in keys for p in k.split(" / ")} | set(name_aliases().values()))


def _normalise_part(part: str) -> str:
    aliases, known = name_aliases(), known_ingredients()
    if part in aliases:
        return aliases[part]
    if part in known:
        return part
    salts, forms = salt_words(), dose_form_words()
    first, *rest = part.split(" ")
    rest = [w for w in rest if w not in forms]
    if first not in salts:
        rest = [w for w in rest if w not in salts]
    stripped = " ".join([first, *rest])
    return aliases.get(stripped, stripped)


def _drop_biologic_suffix(part: str) -> str:
    """``insulin glargine-yfgn`` -> ``insulin glargine`` (section 2: the FDA four-letter suffix is dropped)."""
    words = part.split(" ")
    last = len(words) - 1  # the name's last word: dosage-form words after it (pen, vial) do not count
    while last > 0 and words[last] in dose_form_words():
        last -= 1
    words[last] = _BIOLOGIC_SUFFIX.sub("", words[last])
    return " ".join(words)


def _split_hyphenated(part: str) -> list[str]:
    """``lisinopril-hydrochlorothiazide`` -> both parts, only when every part is a known ingredient;
    otherwise a biologic's four-letter suffix is dropped (``pegfilgrastim-jmdb`` -> ``pegfilgrastim``)."""
    if "-" not in part or part in known_ingredients() or part in name_aliases():
        return [_normalise_part(part)]
    pieces = [p.strip() for p in part.split("-")]
    keys = [_normalise_part(p) for p in pieces if p]
    if len(keys) > 1 and all(k in known_ingredients() for k in keys):
        return keys
    return [_normalise_part(_drop_biologic_suffix(part))]


def normalise_generic_name(name: str | None) -> str | None:
    """Return the drug key for a generic (ingredient) name, or None when there is no name."""
    if name is None:
        return None
    text = _BRACKETS.sub(" ", str(name).lower().replace(",", " "))
    if not _SPACES.sub("", text):
        return None
    if _SPACES.sub(" ", text).strip() in known_ingredients():
        return _SPACES.sub(" ", text).strip()
    text = _INSULIN_U.sub(" ", _STRENGTH.sub(" ", text))
    text = _SPACES.sub(" ", text).strip()
    parts: set[str] = set()
    for raw in _PART_SEP.split(text):
        raw = raw.strip(" -")
        if raw:
            parts.update(k for k in _split_hyphenated(raw) if k)
    return " / ".join(sorted(parts)) or None
