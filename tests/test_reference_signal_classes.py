"""The drug reference flags every opioid and benzodiazepine of the Part D market (issue 13).

The FDA NDC Directory (public domain; ../shared/data/ref_ndc_fda_directory, the 2019-04-29 snapshot with its
excluded listings) is the market: every prescription product (not OTC) with an FDA approval (NDA, ANDA,
authorized generic, BLA: Part D covers approved drugs) whose FDA pharmacologic classes name an opioid agonist
(full, partial or mixed agonist-antagonist) and that carries a DEA schedule (II-V), or that is a benzodiazepine.
Each product's ingredient set, normalised as the pipeline normalises a generic name, must be a drug key of
the reference with its flag: a fill found by generic name alone still counts for the risk signals.
"""

from __future__ import annotations

import csv
import gzip

import pytest

from pipelines.reference import DATA_DIR, normalise_generic_name
from tests.shared_data import shared

FDA_PRODUCTS = ("data", "ref_ndc_fda_directory", "product_2019-04-29.txt.gz")
APPROVED = {"NDA", "ANDA", "NDA AUTHORIZED GENERIC", "BLA"}
SCHEDULES = {"CII", "CIII", "CIV", "CV"}
OPIOID_CLASSES = (
    "Opioid Agonist [EPC]",
    "Full Opioid Agonists [MoA]",
    "Opioid Agonists [MoA]",
    "Partial Opioid Agonist [EPC]",
    "Partial Opioid Agonists [MoA]",
    "Opioid Agonist/Antagonist [EPC]",
    "Partial Opioid Agonist/Antagonist [EPC]",
)
BENZODIAZEPINE_CLASS = "Benzodiazepine [EPC]"


def market() -> dict[str, dict[str, set[str]]]:
    """flag -> drug key -> the FDA substance names that make it (for the failure message)."""
    path = shared(*FDA_PRODUCTS)  # fails, naming the path, when ../shared/data is missing: never skips
    found: dict[str, dict[str, set[str]]] = {"opioid": {}, "benzodiazepine": {}}
    with gzip.open(path, "rt", encoding="cp1252", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["PRODUCTTYPENAME"] != "HUMAN PRESCRIPTION DRUG" or row["MARKETINGCATEGORYNAME"] not in APPROVED:
                continue
            classes = {c.strip() for c in row["PHARM_CLASSES"].split(",")}
            flags = []
            if row["DEASCHEDULE"] in SCHEDULES and classes & set(OPIOID_CLASSES):
                flags.append("opioid")
            if BENZODIAZEPINE_CLASS in classes:
                flags.append("benzodiazepine")
            if not flags or not row["SUBSTANCENAME"]:
                continue
            key = normalise_generic_name(" / ".join(row["SUBSTANCENAME"].split("; ")))
            for flag in flags:
                found[flag].setdefault(key, set()).add(row["SUBSTANCENAME"].lower())
    return found


@pytest.fixture(scope="module")
def reference() -> dict[str, dict[str, str]]:
    with (DATA_DIR / "drug_reference.csv").open(newline="", encoding="utf-8") as fh:
        return {r["drug_key"]: r for r in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def fda_market() -> dict[str, dict[str, set[str]]]:
    return market()


@pytest.mark.parametrize("flag", ["opioid", "benzodiazepine"])
def test_every_product_of_the_market_has_its_flag(flag, fda_market, reference):
    products = fda_market[flag]
    assert len(products) >= (30 if flag == "opioid" else 12), "the FDA snapshot looks truncated"
    missing = {k: sorted(v) for k, v in products.items() if k not in reference}
    unflagged = sorted(k for k in products if k in reference and reference[k][flag] != "1")
    assert missing == {}, f"{flag} products of the FDA directory without a drug reference key: {missing}"
    assert unflagged == [], f"drug reference keys not flagged {flag}: {unflagged}"


def test_the_issue_named_ingredients_are_flagged(reference):
    for key in ("hydrocodone", "codeine", "butorphanol", "levorphanol", "hydrocodone / ibuprofen"):
        assert reference[key]["opioid"] == "1" and reference[key]["cns_active"] == "1", key
    for key in ("midazolam", "flurazepam", "quazepam", "chlordiazepoxide / clidinium"):
        assert reference[key]["benzodiazepine"] == "1" and reference[key]["cns_active"] == "1", key
    # signal classes follow the drug class: the interaction table matches opioids and benzodiazepines by it
    for key, row in reference.items():
        if row["opioid"] == "1":
            assert row["drug_class"] == "opioid", key
        if row["benzodiazepine"] == "1":
            assert row["drug_class"] == "benzodiazepine", key
