"""The shipped reference files: shape, key consistency, and the clinical classes of flagged drugs."""

import csv
import filecmp
import gzip
from pathlib import Path

import pytest

from pipelines.reference import DATA_DIR, normalise_generic_name, reference_versions
from tests.shared_data import shared

SYNTH_CATALOG = Path(__file__).resolve().parents[1] / "pipelines" / "synth" / "drug_catalog.csv"
DRUG_COLUMNS = [
    "drug_key",
    "atc_codes",
    "drug_class",
    "maintenance",
    "pqa_statin",
    "pqa_ras",
    "pqa_diabetes_noninsulin",
    "pqa_insulin",
    "pqa_sacubitril_valsartan",
    "opioid",
    "benzodiazepine",
    "anticholinergic",
    "cns_active",
    "high_risk_elderly",
]


def read(name):
    with (DATA_DIR / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


DRUGS = {r["drug_key"]: r for r in read("drug_reference.csv")}
NDCS = read("ndc_map.csv")


def codes(key):
    return [c for c in DRUGS[key]["atc_codes"].split(";") if c]


def test_drug_reference_shape():
    with (DATA_DIR / "drug_reference.csv").open() as fh:
        assert fh.readline().strip().split(",") == DRUG_COLUMNS
    assert len(DRUGS) >= 350
    for key, row in DRUGS.items():
        assert normalise_generic_name(key) == key, key
        for col in DRUG_COLUMNS[3:]:
            assert row[col] in ("0", "1"), (key, col)
        for code in codes(key):
            assert len(code) in (5, 7), (key, code)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("sacubitril / valsartan", "C09DX04"),
        ("emtricitabine / tenofovir disoproxil", "J05AR03"),
        ("bictegravir / emtricitabine / tenofovir alafenamide", "J05AR20"),
        ("dolutegravir", "J05AJ03"),
        ("raltegravir", "J05AJ01"),
        ("tofacitinib", "L04AF01"),
        ("amlodipine / benazepril", "C09BB13"),
        ("fluticasone / salmeterol", "R03AK06"),
        ("budesonide / formoterol", "R03AK07"),
        ("entecavir", "J05AF10"),
        ("clonazepam", "N03AE01"),
    ],
)
def test_current_who_codes(key, expected):
    assert expected in codes(key)


REQUIRED_KEYS = [
    "atorvastatin",
    "metoprolol",
    "amlodipine",
    "potassium chloride",
    "fluticasone / salmeterol",
    "budesonide / formoterol",
    "entecavir",
    "tenofovir disoproxil",
    "timolol",
    "latanoprost",
    "fluticasone",
    "sevelamer",
    "calcium acetate",
    "lanthanum",
    "patiromer",
    "sodium zirconium cyclosilicate",
    "cinacalcet",
    "insulin glargine",
    "cabotegravir",
]


@pytest.mark.parametrize("key", REQUIRED_KEYS)
def test_required_keys_present(key):
    assert key in DRUGS


FLAG_CLASSES = {
    "pqa_statin": ("C10AA", "C10BA", "C10BX"),
    "pqa_ras": ("C09A", "C09B", "C09C", "C09D", "C09XA"),
    "pqa_sacubitril_valsartan": ("C09DX04",),
    "pqa_insulin": ("A10A",),
    "pqa_diabetes_noninsulin": ("A10B",),
    # opioid anaesthetics, and the opium-alkaloid cough products (hydrocodone, codeine and their
    # combinations): WHO classes single-ingredient hydrocodone and codeine as cough suppressants only
    "opioid": ("N02A", "N07BC", "N01AH", "R05DA03", "R05DA04", "R05DA20", "R05FA02"),
    # amitriptyline / chlordiazepoxide and chlordiazepoxide / clidinium have the combination's own code
    "benzodiazepine": ("N05BA", "N05CD", "N03AE01", "N06CA01", "A03CA02"),
}


@pytest.mark.parametrize("flag", sorted(FLAG_CLASSES))
def test_flagged_drugs_have_the_right_atc_class(flag):
    flagged = [k for k, r in DRUGS.items() if r[flag] == "1"]
    assert flagged
    # a US-only ingredient WHO has not classified (levorphanol) has no code to check
    wrong = [k for k in flagged if codes(k) and not any(c.startswith(FLAG_CLASSES[flag]) for c in codes(k))]
    assert wrong == []


@pytest.mark.parametrize("flag", sorted(FLAG_CLASSES))
def test_drugs_of_the_class_are_flagged(flag):
    prefixes = FLAG_CLASSES[flag]
    # PDC-DR leaves out alpha-glucosidase inhibitors (A10BF); PDC-RASA leaves out sacubitril/valsartan
    missing = [
        k
        for k in DRUGS
        if all(c.startswith(prefixes) for c in codes(k))
        and codes(k)
        and DRUGS[k][flag] == "0"
        and not (flag == "pqa_ras" and k == "sacubitril / valsartan")
        and not (flag == "pqa_diabetes_noninsulin" and all(c.startswith("A10BF") for c in codes(k)))
    ]
    assert missing == []


def test_other_flags_name_real_drugs():
    for flag in ("anticholinergic", "cns_active", "high_risk_elderly"):
        assert sum(r[flag] == "1" for r in DRUGS.values()) >= 10
    for key in ("oxybutynin", "amitriptyline", "diphenhydramine", "hydroxyzine", "paroxetine", "benztropine"):
        assert DRUGS[key]["anticholinergic"] == "1", key
    for key in ("glyburide", "zolpidem", "cyclobenzaprine", "amitriptyline", "alprazolam"):
        assert DRUGS[key]["high_risk_elderly"] == "1", key
    for key in ("gabapentin", "sertraline", "duloxetine", "quetiapine", "oxycodone", "zolpidem", "nortriptyline"):
        assert DRUGS[key]["cns_active"] == "1", key
    assert DRUGS["sacubitril / valsartan"]["pqa_ras"] == "0"


def test_ndc_map_shape_and_keys():
    with (DATA_DIR / "ndc_map.csv").open() as fh:
        assert fh.readline().strip() == "ndc11,drug_key,route,dosage_form,atc_code,source"
    seen = set()
    routes = {r["route"] for r in read("route_map.csv")}
    for row in NDCS:
        assert len(row["ndc11"]) == 11 and row["ndc11"].isdigit(), row
        assert row["ndc11"] not in seen
        seen.add(row["ndc11"])
        assert row["drug_key"] in DRUGS, row
        assert row["route"] in routes, row
        assert row["source"], row
        if row["atc_code"]:
            assert row["atc_code"] in codes(row["drug_key"]), row


def test_local_products_carry_their_local_code():
    by_key_route = {(r["drug_key"], r["route"]): r["atc_code"] for r in NDCS}
    assert by_key_route.get(("timolol", "ophthalmic")) == "S01ED01"
    assert by_key_route.get(("fluticasone", "nasal"), "").startswith("R01AD")


def test_route_map_local_use():
    rows = {r["route_text"]: r for r in read("route_map.csv")}
    for text in (
        "nasal",
        "ophthalmic",
        "auricular (otic)",
        "topical",
        "cutaneous",
        "rectal",
        "vaginal",
        "eye",
        "ear",
        "dermal",
    ):
        assert rows[text]["local_use"] == "1", text
    for text in ("oral", "respiratory (inhalation)", "inhalation", "transdermal", "subcutaneous"):
        assert rows[text]["local_use"] == "0", text


def test_icd_code_sets():
    with gzip.open(DATA_DIR / "icd10cm_codes.csv.gz", "rt") as fh:
        icd10 = set(fh.read().split()[1:])
    with gzip.open(DATA_DIR / "icd9cm_codes.csv.gz", "rt") as fh:
        icd9 = set(fh.read().split()[1:])
    assert {"E119", "I10", "F329", "U071", "Z7982"} <= icd10
    assert not any("." in c or c != c.upper() for c in icd10)
    assert {"25000", "4019", "V5861"} <= icd9


@pytest.mark.parametrize(
    "name",
    ["drug_condition_rules.csv", "core_condition_icd10.csv", "core_condition_icd9.csv", "cms_mtm_parameters.csv"],
)
def test_spec_reference_copies_identical(name):
    assert filecmp.cmp(DATA_DIR / name, shared("spec", "reference", name), shallow=False)


def test_reference_versions():
    versions = reference_versions()
    assert {"drug_reference.csv", "ndc_map.csv", "icd10cm_codes.csv.gz"} <= set(versions)
    assert all(len(v) == 12 for v in versions.values())


def test_synthetic_catalog_resolves():
    with SYNTH_CATALOG.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    catalog = [r for r in rows if r["drug_key"].strip() and r["in_reference"] != "false"]
    unknown = {r["ndc11"] for r in rows if r["in_reference"] == "false"}
    assert unknown and not unknown & {r["ndc11"] for r in NDCS}  # the fallbacks stay exercised
    by_ndc = {r["ndc11"]: r for r in NDCS}
    missing_ndc = [r["ndc11"] for r in catalog if r["ndc11"] not in by_ndc]
    assert missing_ndc == []
    # the catalog's key, normalised as the spec says, is the map's key for that NDC and a known drug
    wrong = [
        (r["ndc11"], r["drug_key"], by_ndc[r["ndc11"]]["drug_key"])
        for r in catalog
        if normalise_generic_name(r["drug_key"]) != by_ndc[r["ndc11"]]["drug_key"]
    ]
    assert wrong == []
    assert {normalise_generic_name(r["drug_key"]) for r in catalog} <= set(DRUGS)
