"""Words, not codes, wherever a caller or a pharmacist looks (issue 26 items 7 and 8).

The CSV files keep their machine names and codes (a documented contract, outputs.md); the portal's pages
read their labels here. The words are data (``labels.csv``, each with its source): services, medication-risk
flags, enrollment sources, and the one-line reason a caller reads out (``call_reason``). Language names come
from the CLDR through Babel (``en`` -> English), never from a hand-kept list.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

LABELS_CSV = Path(__file__).with_name("labels.csv")


@functools.cache
def labels() -> dict[tuple[str, str], str]:
    """(kind, code) -> label."""
    with LABELS_CSV.open(newline="") as fh:
        return {(r["kind"], r["code"]): r["label"] for r in csv.DictReader(fh)}


def label(kind: str, code: str | None) -> str:
    """The label of a code; an unknown code is shown as it is (a new code must never vanish from a page)."""
    if code in (None, ""):
        return ""
    return labels().get((kind, str(code)), str(code))


def flags(codes: str | None) -> str:
    """``drug_interaction;duplicate_therapy`` -> "medicines that interact; two medicines of the same kind"."""
    return "; ".join(label("risk_flag", c.strip()) for c in str(codes or "").split(";") if c.strip())


@functools.cache
def language(code: str | None) -> str:
    """``es`` -> Spanish (CLDR English names); an unknown or malformed code is shown as it is."""
    if not code:
        return ""
    from babel import Locale, UnknownLocaleError

    try:
        name = Locale.parse(str(code).strip().replace("-", "_")).get_language_name("en")
    except (UnknownLocaleError, ValueError, TypeError):
        return str(code)
    return name or str(code)


def call_reason(service: str, part_d_drugs, risk_flags: str | None) -> str:
    """The one line a caller reads out: "a free review of your 14 medicines with a pharmacist, part of your
    drug plan". The pharmacist's text (``reasons``) stays with the clinical detail."""
    template = labels().get(("call_reason", service))
    if template is None:
        return label("service", service)
    try:
        count = int(part_d_drugs)
    except (TypeError, ValueError):
        count = 0
    drugs = f"{count} medicines" if count > 1 else "medicines"
    text = template.format(drugs=drugs)
    if str(risk_flags or "").strip():
        text += labels()[("call_reason", "risk")]
    return text[0].upper() + text[1:]
