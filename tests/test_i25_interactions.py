"""Issue 25 items 8 and 9: the interaction pairs a medication review looks for first, the Beers RAS +
potassium-sparing pair only with chronic kidney disease stage 3a or worse, skeletal muscle relaxants in the
CNS polypharmacy signal, and duplicate therapy (dual antiplatelet therapy is not a duplicate; 14 days
together). Each rule on the one model where it is written (tgt_drug_interaction, tgt_risk_signal), from
given rows; the fills carry the shipped drug reference's class, flags and ATC codes. D = 2025-09-30.
"""

from __future__ import annotations

import csv
import datetime as dt

import duckdb
import pytest

from pipelines.reference import DATA_DIR

D = dt.date(2025, 9, 30)


def _reference() -> dict[str, dict[str, str]]:
    with (DATA_DIR / "drug_reference.csv").open(newline="", encoding="utf-8") as fh:
        return {r["drug_key"]: r for r in csv.DictReader(fh)}


REFERENCE = _reference()
FLAGS = ("opioid", "benzodiazepine", "anticholinergic", "cns_active", "high_risk_elderly")


def day(n: int) -> dt.date:
    return D - dt.timedelta(days=n)


def sfill(member_id: str, drug_key: str, start: int, supply: int) -> dict:
    """A tgt_signal_interval row: `drug_key` filled on D - start for `supply` days (its covered days, cut at D),
    with its reference row (a key the curated reference does not know, such as chlorzoxazone, has no class,
    flags or codes)."""
    ref = REFERENCE.get(drug_key)
    end = min(day(start) + dt.timedelta(days=supply - 1), D)
    return {"member_id": member_id, "drug_key": drug_key,
            "atc_codes": [c for c in (ref["atc_codes"] if ref else "").split(";") if c],
            "cover_start": day(start), "cover_end": end, "last_fill_date": day(start),
            "first_recent_start": day(start) if end >= day(89) else None,
            "drug_class": ref["drug_class"] if ref else None,
            **{f: (ref[f] == "1") if ref else None for f in FLAGS}}


def person(member_id: str, age: int = 75, esrd: bool = False) -> dict:
    return {"member_id": member_id, "contract_id": "H1234", "age": age, "sex": "F", "enrolled": True,
            "esrd": esrd, "birth_date": dt.date(D.year - age, 1, 1)}


def dx(member_id: str, code: str, days_before: int, version: str = "10") -> dict:
    return {"claim_id": f"{member_id}-{code}-{days_before}", "member_id": member_id, "claim_type": "professional",
            "claim_start_date": day(days_before), "icd_version": version, "code": code}


def pair(member_id: str, a: str, b: str) -> list[dict]:
    """Both drugs covered D-20 .. D-1 (20 days together)."""
    return [sfill(member_id, a, 20, 30), sfill(member_id, b, 20, 20)]


def interactions(model, fills: list[dict], diagnoses: list[dict] | None = None,
                 members: list[dict] | None = None) -> dict[str, list[dict]]:
    ids = sorted({f["member_id"] for f in fills})
    rows = model("tgt_drug_interaction", tgt_signal_interval=fills, stg_diagnosis=diagnoses or [],
                 core_member=members or [person(m) for m in ids])
    out: dict[str, list[dict]] = {m: [] for m in ids}
    for r in rows:
        out[r["member_id"]].append(r)
    return out


# -- item 8: ACE inhibitor + sacubitril / valsartan -------------------------------------------------------

def test_ace_inhibitor_with_sacubitril_valsartan_is_contraindicated(model):
    # before issue 25: DDI01 "hyperkalaemia", moderate (0.5); now DDI30, angioedema, contraindicated (1.0),
    # also when the member has CKD and the RAS + potassium-sparing row applies to the same pair
    fills = pair("ARNI", "lisinopril", "sacubitril / valsartan") + pair("ARNICKD", "enalapril",
                                                                       "sacubitril / valsartan")
    got = interactions(model, fills, diagnoses=[dx("ARNICKD", "N184", 100)])
    for member_id in ("ARNI", "ARNICKD"):
        (row,) = got[member_id]
        assert (row["interaction_id"], row["severity"], row["severity_factor"], row["risk"]) == (
            "DDI30", "contraindicated", 1.0, "angioedema"), row


# -- item 8: the Beers RAS + potassium-sparing pair needs CKD stage 3a+ ----------------------------------

def test_ras_with_potassium_sparing_only_with_ckd_stage_3a_or_worse(model):
    members = ["NOCKD", "CKD2", "CKD3A", "CKD4OLD", "CKD5", "ICD9", "DIALYSIS", "ESRD", "CKDFUTURE"]
    fills = [f for m in members for f in pair(m, "lisinopril", "spironolactone")]
    diagnoses = [
        dx("CKD2", "N182", 30),          # stage 2: not 3a
        dx("CKD3A", "N1831", 700),       # stage 3a, 700 days ago: inside dx_lookback_days (730)
        dx("CKD4OLD", "N184", 730),      # stage 4 on D-730: outside D-729 .. D
        dx("CKD5", "N185", 10),
        dx("ICD9", "5853", 400, version="9"),
        dx("DIALYSIS", "Z992", 60),
        dx("CKDFUTURE", "N184", -5),     # dated after D: ignored
    ]
    people = [person(m, esrd=(m == "ESRD")) for m in members]
    got = interactions(model, fills, diagnoses, people)
    flagged = {m for m, rows in got.items() if rows}
    # before issue 25 every one of these members had the pair (245 of 530 interaction rows on the sample)
    assert flagged == {"CKD3A", "CKD5", "ICD9", "DIALYSIS", "ESRD"}
    for m in flagged:
        (row,) = got[m]
        assert (row["interaction_id"], row["severity"]) == ("DDI01", "moderate")


def test_the_ckd_lookback_is_the_condition_lookback_setting(model):
    fills = pair("CKD3A", "losartan", "spironolactone")
    assert interactions(model, fills, [dx("CKD3A", "N1832", 700)])["CKD3A"]
    rows = model("tgt_drug_interaction", params={"dx_lookback_days": 365}, tgt_signal_interval=fills,
                 stg_diagnosis=[dx("CKD3A", "N1832", 700)], core_member=[person("CKD3A")])
    assert rows == []


# -- item 8: the pairs a medication review looks for first ----------------------------------------------

REVIEW_PAIRS = [  # (object, precipitant, interaction id, severity)
    ("warfarin", "fluconazole", "DDI31", "major"),
    ("warfarin", "voriconazole", "DDI31", "major"),          # a key only the FDA map knows
    ("warfarin", "clopidogrel", "DDI32", "major"),
    ("apixaban", "ticagrelor", "DDI32", "major"),
    ("rivaroxaban", "prasugrel", "DDI32", "major"),
    ("warfarin", "sulfamethoxazole / trimethoprim", "DDI09", "major"),
    ("colchicine", "clarithromycin", "DDI33", "major"),
    ("simvastatin", "itraconazole", "DDI20", "contraindicated"),
    ("lovastatin", "clarithromycin", "DDI20", "contraindicated"),
    ("digoxin", "amiodarone", "DDI34", "major"),
    ("spironolactone", "sulfamethoxazole / trimethoprim", "DDI35", "major"),
    ("hydrochlorothiazide / spironolactone", "sulfamethoxazole / trimethoprim", "DDI35", "major"),
    ("lisinopril", "sulfamethoxazole / trimethoprim", "DDI36", "major"),
    ("losartan", "sulfamethoxazole / trimethoprim", "DDI36", "major"),
    ("methotrexate", "sulfamethoxazole / trimethoprim", "DDI19", "major"),
    ("tramadol", "sertraline", "DDI37", "major"),
    ("acetaminophen / tramadol", "duloxetine", "DDI37", "major"),
]


def test_each_review_pair_is_flagged_with_its_severity(model):
    fills = [f for i, (a, b, _, _) in enumerate(REVIEW_PAIRS) for f in pair(f"P{i:02d}", a, b)]
    got = interactions(model, fills)
    for i, (a, b, interaction_id, severity) in enumerate(REVIEW_PAIRS):
        rows = got[f"P{i:02d}"]
        assert [(r["interaction_id"], r["severity"], {r["object_drug"], r["precipitant_drug"]}) for r in rows] == [
            (interaction_id, severity, {a, b})], (a, b, rows)


def test_every_new_row_names_its_source(model):
    rows = {r["interaction_id"]: r for r in model("ref_drug_interaction")}
    for interaction_id in ("DDI30", "DDI31", "DDI32", "DDI33", "DDI34", "DDI35", "DDI36", "DDI37"):
        assert rows[interaction_id]["source"] and rows[interaction_id]["signal"] == "drug_interaction"
    assert rows["DDI01"]["requires_condition"] == "ckd_3a_plus"
    assert {r["requires_condition"] for r in rows.values()} == {"", "ckd_3a_plus"}
    conditions = {r["condition"] for r in model("ref_interaction_condition")}
    assert conditions == {"ckd_3a_plus"}


# Every ingredient named by the new pairs (and the Beers muscle relaxants) is found from a real NDC of the
# shipped FDA map: the NDC resolves to a drug key carrying that ingredient, and the ATC side of a row
# (ACE inhibitors C09A, ARBs C09C, SNRIs N06AX..) is on the product.
NDC_PRODUCTS = {  # product (drug key of the FDA map) -> the ingredient a row names
    **{k: k for k in (
        "warfarin", "fluconazole", "itraconazole", "ketoconazole", "posaconazole", "voriconazole",
        "isavuconazonium", "miconazole", "apixaban", "rivaroxaban", "dabigatran", "edoxaban", "clopidogrel",
        "prasugrel", "ticagrelor", "ticlopidine", "colchicine", "clarithromycin", "digoxin", "amiodarone",
        "spironolactone", "trimethoprim", "methotrexate", "tramadol", "carisoprodol", "chlorzoxazone",
        "cyclobenzaprine", "metaxalone", "methocarbamol", "orphenadrine", "lisinopril", "losartan",
        "sertraline", "duloxetine", "venlafaxine")},
    "sacubitril / valsartan": "sacubitril",
    "sulfamethoxazole / trimethoprim": "trimethoprim",
    "acetaminophen / tramadol": "tramadol",
    "aspirin / carisoprodol": "carisoprodol",
}
NDC_ATC = {"lisinopril": "C09A", "losartan": "C09C", "sacubitril / valsartan": "C09D", "sertraline": "N06AB",
           "duloxetine": "N06AX21", "venlafaxine": "N06AX16"}


def _fda_ndc(drug_key: str) -> str:
    """A prescription NDC of the shipped FDA map of that product (by mouth when it is sold so)."""
    found = duckdb.execute(
        "SELECT ndc11 FROM read_parquet(?) WHERE drug_key = ? AND coalesce(rx_otc, '') <> 'OTC' "
        "ORDER BY route = 'oral' DESC, route = 'buccal' DESC, ndc11 LIMIT 1",
        [str(DATA_DIR / "fda_ndc_map.parquet"), drug_key]).fetchone()
    assert found, f"no NDC of {drug_key} in the shipped FDA map"
    return found[0]


def test_each_ingredient_is_found_from_a_real_ndc_of_the_shipped_maps(model):
    ndcs = {product: _fda_ndc(product) for product in NDC_PRODUCTS}
    claims = [{"claim_id": f"C{i}", "member_id": "M", "fill_date": D, "ndc": ndc, "days_supply": 30}
              for i, ndc in enumerate(ndcs.values())]
    rows = {r["ndc"]: r for r in model("core_fill_product", stg_pharmacy_claim=claims)}
    for product, ndc in ndcs.items():
        row = rows[ndc]
        assert row["identity_level"] == "ndc", (product, ndc, row)
        assert NDC_PRODUCTS[product] in row["drug_key"].split(" / "), (product, ndc, row["drug_key"])
        if product in NDC_ATC:
            assert any(c.startswith(NDC_ATC[product]) for c in row["atc_codes"]), (product, ndc, row["atc_codes"])


# -- item 8: skeletal muscle relaxants in the CNS polypharmacy signal ------------------------------------

def signals(model, fills: list[dict], members: list[dict] | None = None) -> dict[tuple[str, str], dict]:
    ids = sorted({f["member_id"] for f in fills})
    rows = model("tgt_risk_signal", tgt_signal_interval=fills, core_member=members or [person(m) for m in ids])
    return {(r["member_id"], r["signal"]): r for r in rows}


def test_skeletal_muscle_relaxants_count_as_cns_active_for_the_signal(model):
    fills = [sfill("SMR", "sertraline", 60, 60), sfill("SMR", "gabapentin", 60, 60),
             sfill("SMR", "cyclobenzaprine", 40, 30),
             sfill("SMRFDA", "sertraline", 60, 60), sfill("SMRFDA", "gabapentin", 60, 60),
             sfill("SMRFDA", "chlorzoxazone", 40, 30),                # not in the curated reference
             sfill("BACLOFEN", "sertraline", 60, 60), sfill("BACLOFEN", "gabapentin", 60, 60),
             sfill("BACLOFEN", "baclofen", 40, 30)]                   # an antispastic, not on the Beers list
    got = signals(model, fills)
    # before issue 25 no member had the signal (cyclobenzaprine is not flagged cns_active)
    s = got[("SMR", "cns_polypharmacy")]
    assert (s["drugs"], s["overlap_days"], s["detail"]) == (
        "cyclobenzaprine + gabapentin + sertraline", 30, "3 CNS-active drugs together 30 days")
    assert got[("SMRFDA", "cns_polypharmacy")]["drugs"] == "chlorzoxazone + gabapentin + sertraline"
    assert ("BACLOFEN", "cns_polypharmacy") not in got
    # the PQA Poly-CNS measure keeps the drug reference's flag: the relaxant is not flagged there
    assert REFERENCE["cyclobenzaprine"]["cns_active"] == "0"


# -- item 9: duplicate therapy -------------------------------------------------------------------------

def test_aspirin_with_a_p2y12_inhibitor_is_dual_antiplatelet_therapy_not_a_duplicate(model):
    fills = [sfill("DAPT", "aspirin", 60, 60), sfill("DAPT", "clopidogrel", 60, 60),
             sfill("PAD", "cilostazol", 60, 60), sfill("PAD", "clopidogrel", 60, 60),
             sfill("TWOP2Y12", "clopidogrel", 60, 60), sfill("TWOP2Y12", "ticagrelor", 30, 30)]
    got = signals(model, fills)
    # before issue 25: "duplicate antiplatelet: aspirin + clopidogrel"
    assert ("DAPT", "duplicate_therapy") not in got
    assert ("PAD", "duplicate_therapy") not in got
    s = got[("TWOP2Y12", "duplicate_therapy")]
    assert (s["signal_group"], s["drugs"], s["overlap_days"]) == ("p2y12_inhibitor", "clopidogrel + ticagrelor", 30)
    assert s["detail"] == "duplicate p2y12 inhibitor: clopidogrel + ticagrelor"


def test_a_duplicate_needs_14_days_together_a_switch_is_not_one(model):
    fills = [
        # atorvastatin D-60..D-31, simvastatin from D-44: 14 days together (D-44..D-31)
        sfill("DAYS14", "atorvastatin", 60, 30), sfill("DAYS14", "simvastatin", 44, 44),
        # a switch: simvastatin from D-43, 13 days with the old supply (D-43..D-31)
        sfill("SWITCH13", "atorvastatin", 60, 30), sfill("SWITCH13", "simvastatin", 43, 43),
        # a switch a few days into the old supply (before issue 25 flagged from one day together)
        sfill("SWITCH3", "lisinopril", 60, 30), sfill("SWITCH3", "enalapril", 33, 33),
    ]
    got = signals(model, fills)
    s = got[("DAYS14", "duplicate_therapy")]
    assert (s["signal_group"], s["overlap_days"], s["first_day"], s["last_day"]) == ("statin", 14, day(44), day(31))
    assert ("SWITCH13", "duplicate_therapy") not in got
    assert ("SWITCH3", "duplicate_therapy") not in got


def test_the_signal_thresholds_are_reference_data(model):
    rules = {r["signal"]: r for r in model("ref_risk_signal_rule")}
    assert {s: (r["window_days"], r["min_kinds"], r["min_days"]) for s, r in rules.items()} == {
        "opioid_benzodiazepine": (365, 2, 30), "anticholinergic_burden": (365, 2, 30),
        "cns_polypharmacy": (365, 3, 30), "duplicate_therapy": (90, 2, 14),
        "drug_interaction": (90, 2, 7)}  # issue 28: the interaction window is data too (7 = the setting's default)
    assert all(r["source"] for r in rules.values())


@pytest.mark.parametrize("drug_class", ["insulin", "hiv_antiretroviral", "antiplatelet"])
def test_classes_combined_by_design_are_not_compared_as_a_whole(model, drug_class):
    rows = [r for r in model("ref_duplicate_therapy_class") if r["drug_class"] == drug_class and r["atc_prefix"] == ""]
    assert [r["duplicate_group"] for r in rows] == [""]
