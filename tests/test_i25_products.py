"""Issue 25 items 1, 2, 5, 6, 7 on the SQL models where the rules are written (tests/model_harness.py):
which products a measure counts (one "systemic" rule), the classes of combination products and biosimilar
names, SUPD's age, drugs and exclusions, COB's opioids and exclusions, the Poly-ACH list and Poly-CNS.
Each test names the member that showed the defect and asserts the fixed value. D = 2025-09-30, MY 2025.
The shipped reference tables (drug reference, NDC maps, cited seeds) are the real ones."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import re

import duckdb
import pytest

from pipelines.reference.files import DATA_DIR
from pipelines.reference.names import normalise_generic_name

D = dt.date.fromisoformat
_ids = itertools.count(1)


def fill(member_id: str, drug_key: str, day: str, days_supply: int = 30, *, atc: tuple[str, ...] = (),
         route: str | None = "oral", local_use: bool = False, systemic: bool = True) -> dict:
    """A counted fill as core_fill holds it (identity already found)."""
    start = D(day)
    return {"claim_id": f"C{next(_ids):06d}", "member_id": member_id, "fill_date": start,
            "days_supply": days_supply, "last_covered_day": start + dt.timedelta(days=days_supply - 1),
            "drug_key": drug_key, "atc_codes": list(atc), "route": route, "local_use": local_use,
            "systemic": systemic, "weight_management": False, "fill_status": "counted"}


def year_fills(model, fills: list[dict]) -> list[dict]:
    """core_year_fill built from ``fills``, each member enrolled in H1234 all year (the contract of a fill is
    the one whose span covers its date: issue 25 item 12)."""
    spans = [{"member_id": m, "contract_id": "H1234", "span_start": D("2024-01-01"), "span_end": D("2025-12-31"),
              "_seq": 1} for m in sorted({f["member_id"] for f in fills})]
    return model("core_year_fill", core_fill=fills, core_member_span=spans)


def monthly(member_id: str, drug_key: str, months: range = range(3, 8), **kw) -> list[dict]:
    """Fills on the 1st of each month (30 days each): March .. July by default."""
    return [fill(member_id, drug_key, f"2025-{m:02d}-01", **kw) for m in months]


def year_member(member_id: str, birth: str = "1950-06-15", age: int = 74) -> dict:
    return {"member_id": member_id, "contract_id": "H1234", "birth_date": D(birth), "age": age,
            "period_end": D("2025-09-30"), "period_open": True, "hospice": False, "esrd": False}


def measure(model, measure_model: str, fills: list[dict], members: list[dict], **given) -> dict[str, dict]:
    """core_fill -> core_year_fill -> qm_safety_overlap -> the measure model, each built by the harness."""
    year_fill = year_fills(model, fills)
    reads = {"core_year_fill": year_fill, "qm_member_year": members, **given}
    if measure_model in ("qm_cob_member", "qm_poly_member"):
        reads["qm_safety_overlap"] = model("qm_safety_overlap", core_year_fill=year_fill, qm_member_year=members)
    return {(r["member_id"], r["measure_id"]): r for r in model(measure_model, **reads)}  # type: ignore[misc]


def year_fill_of(model, *fills: dict) -> dict[str, dict]:
    return {r["claim_id"]: r for r in year_fills(model, list(fills))}


def product(model, ndc: str, generic_name: str | None = None, route: str | None = None) -> dict:
    (row,) = model("core_fill_product", stg_pharmacy_claim=[
        {"claim_id": "X", "member_id": "M", "fill_date": D("2025-06-01"), "ndc": ndc, "generic_name": generic_name,
         "route": route, "days_supply": 30}])
    return row


# ---------------------------------------------------------------- item 1: one "systemic" rule

@pytest.mark.parametrize(("ndc", "drug_key", "local_use", "systemic"), [
    ("00054309036", "butorphanol", True, True),     # nasal spray, N02AF01: systemic exposure
    ("00591298539", "promethazine", True, True),    # suppositories, R06AD02 (its only local code is skin)
    ("00054327099", "fluticasone", True, False),    # nasal spray, R01AD08: a local preparation
])
def test_one_product_rule_decides_systemic(model, ndc, drug_key, local_use, systemic):
    row = product(model, ndc)
    assert (row["drug_key"], row["local_use"], row["systemic"]) == (drug_key, local_use, systemic)


def test_nasal_butorphanol_with_alprazolam_is_a_cob_numerator_member(model):
    # was: no COB row (the measure dropped the nasal spray by route while the risk signal counted it)
    fills = (monthly("BUT", "butorphanol", atc=("N02AF01",), route="nasal", local_use=True)
             + monthly("BUT", "alprazolam", atc=("N05BA12",)))
    rows = measure(model, "qm_cob_member", fills, [year_member("BUT")])
    r = rows[("BUT", "cob")]
    assert (r["in_denominator"], r["in_numerator"], r["overlap_days"]) == (True, True, 150)


def test_rectal_promethazine_counts_for_poly_ach(model):
    # was: not in Poly-ACH (rectal route); promethazine suppositories are systemic (R06AD02)
    fills = (monthly("PRO", "promethazine", atc=("R06AD02",), route="rectal", local_use=True)
             + monthly("PRO", "oxybutynin", atc=("G04BD04",)))
    r = measure(model, "qm_poly_member", fills, [year_member("PRO")])[("PRO", "poly_ach")]
    assert (r["in_denominator"], r["in_numerator"], r["overlap_days"]) == (True, True, 150)


def test_a_local_preparation_still_does_not_count(model):
    fills = (monthly("EYE", "atropine", atc=("S01FA01",), route="ophthalmic", local_use=True, systemic=False)
             + monthly("EYE", "oxybutynin", atc=("G04BD04",)))
    r = measure(model, "qm_poly_member", fills, [year_member("EYE")])[("EYE", "poly_ach")]
    assert (r["in_numerator"], r["overlap_days"]) == (False, 0)


# ---------------------------------------------------------------- item 2: combinations and biosimilars

@pytest.mark.parametrize(("drug_key", "flag"), [
    ("canagliflozin / metformin", "pqa_diabetes_noninsulin"),
    ("alogliptin / pioglitazone", "pqa_diabetes_noninsulin"),
    ("fosinopril / hydrochlorothiazide", "pqa_ras"),
    ("trandolapril / verapamil", "pqa_ras"),
    ("aliskiren / hydrochlorothiazide", "pqa_ras"),
    ("azilsartan / chlorthalidone", "pqa_ras"),
])
def test_a_combination_without_a_curated_row_keeps_its_ingredients_classes(model, drug_key, flag):
    # was: core_year_fill inner-joined the curated reference, so these fills carried no class at all
    (r,) = year_fills(model, [fill("CMB", drug_key, "2025-03-01")])
    assert r[flag] is True


def test_metformin_to_invokamet_switch_is_adherent(model):
    # was: PDC-DR 51% (Invokamet fills fell out of the class) and an adherence gap, every day being covered
    # metformin every 30 days from 1 January (to 30 April), then Invokamet every 30 days from 1 May
    fills = ([fill("INV", "metformin", day, atc=("A10BA02",)) for day in ("2025-01-01", "2025-01-31", "2025-03-02",
                                                                          "2025-04-01")]
             + [fill("INV", "canagliflozin / metformin", day) for day in ("2025-05-01", "2025-05-31", "2025-06-30",
                                                                        "2025-07-30", "2025-08-29", "2025-09-28")])
    year_fill = year_fills(model, fills)
    rows = model("qm_pdc_member", core_year_fill=year_fill, qm_member_year=[year_member("INV")])
    (r,) = [r for r in rows if r["measure_id"] == "pdc_dr"]
    assert (r["days_covered"], r["days_in_period"], r["in_numerator"]) == (273, 273, True)


def test_biosimilar_suffix_is_dropped_when_normalising():
    # was: "insulin glargine-yfgn" (Semglee) became a key of its own: no insulin class, no diabetes evidence
    assert normalise_generic_name("insulin glargine-yfgn") == "insulin glargine"
    assert normalise_generic_name("INSULIN GLARGINE-YFGN 100 UNIT/ML PEN") == "insulin glargine"
    assert normalise_generic_name("adalimumab-adaz") == "adalimumab"
    assert normalise_generic_name("lisinopril-hctz") == "hydrochlorothiazide / lisinopril"  # still a combination


def test_a_semglee_fill_is_insulin(model):
    (r,) = year_fills(model, [fill("SEM", normalise_generic_name("insulin glargine-yfgn"),
                                                    "2025-03-01", route="subcutaneous")])
    assert (r["pqa_insulin"], r["supd_diabetes"]) == (True, True)


def shipped_map_keys() -> set[str]:
    """Every drug key of the shipped NDC maps (curated ndc_map.csv and the FDA-derived map)."""
    with duckdb.connect() as con:
        return {k for (k,) in con.execute(
            "SELECT drug_key FROM read_csv(?, all_varchar = true) UNION "
            "SELECT drug_key FROM read_parquet(?)",
            [str(DATA_DIR / "ndc_map.csv"), str(DATA_DIR / "fda_ndc_map.parquet")]).fetchall() if k}


def test_the_shipped_map_keys_carry_no_biologic_suffix():
    # was: bevacizumab-awwb, erenumab-aooe, risankizumab-rzaa ... were keys of their own in the FDA map
    suffixed = sorted(k for k in shipped_map_keys()
                      if re.search(r"[a-z]-[a-z]{4}$", k) and normalise_generic_name(k) != k)
    assert suffixed == []
    assert "bevacizumab" in shipped_map_keys()


# PQA classes by WHO ATC code (the classes of PROVENANCE.md): a key with a code of the class carries its flag
PQA_CLASS_ATC = {
    "pqa_statin": (("C10AA", "C10BA", "C10BX"), ()),
    "pqa_ras": (("C09A", "C09B", "C09C", "C09D", "C09XA"), ("C09DX04",)),  # sacubitril/valsartan has its own
    "pqa_diabetes_noninsulin": (("A10B",), ("A10BF", "A10BX05")),  # alpha-glucosidase inhibitors, pramlintide
    "pqa_insulin": (("A10A",), ()),
}


def test_every_map_key_with_a_pqa_atc_code_carries_the_class(model):
    """Every drug key of the shipped maps whose ATC code (the NDC map's product code, the curated code, or
    for a key without a curated row the curated codes of its ingredients, read here from the CSV files)
    falls in a PQA class carries that class in ref_drug."""
    curated = {r["drug_key"]: [c for c in r["atc_codes"].split(";") if c]
               for r in csv.DictReader((DATA_DIR / "drug_reference.csv").open())}
    product_codes: dict[str, set[str]] = {}
    for r in csv.DictReader((DATA_DIR / "ndc_map.csv").open()):
        if r["atc_code"]:
            product_codes.setdefault(r["drug_key"], set()).add(r["atc_code"])
    map_keys = shipped_map_keys()
    drugs = {r["drug_key"]: r for r in model("ref_drug")}

    def codes(key: str) -> set[str]:
        if key in curated:
            return set(curated[key]) | product_codes.get(key, set())
        return {c for part in key.split(" / ") for c in curated.get(part, [])}

    missing = []
    checked = 0
    for key in sorted(map_keys):
        key_codes = codes(key)
        for flag, (prefixes, exceptions) in PQA_CLASS_ATC.items():
            in_class = [c for c in key_codes if c.startswith(prefixes) and not c.startswith(exceptions)]
            if not in_class or (flag == "pqa_diabetes_noninsulin" and any(c.startswith("A10A") for c in key_codes)):
                continue  # an insulin / GLP-1 combination is an insulin (PDC-DR excludes its users)
            checked += 1
            if not (key in drugs and drugs[key][flag]):
                missing.append((key, flag, in_class))
    assert missing == []
    assert checked > 100  # statins, RAS antagonists, diabetes drugs and insulins of both maps


# ---------------------------------------------------------------- item 5: SUPD

@pytest.mark.parametrize(("member_id", "birth", "age_jan_1", "in_supd"), [
    ("S39", "1985-06-01", 39, True),    # 40 on 31 December: was left out (age taken on 1 January)
    ("S75", "1949-06-01", 75, False),   # 76 on 31 December: was measured
    ("S40", "1985-01-01", 40, True),
])
def test_supd_age_is_taken_on_31_december(model, member_id, birth, age_jan_1, in_supd):
    fills = monthly(member_id, "metformin", atc=("A10BA02",))
    rows = measure(model, "qm_supd_member", fills, [year_member(member_id, birth, age_jan_1)])
    assert ((member_id, "supd") in rows) is in_supd


def test_acarbose_is_a_supd_diabetes_drug(model):
    # was: acarbose (A10BF01) is not a PDC-DR drug and so was no SUPD diabetes drug either
    fills = monthly("ACA", "acarbose", atc=("A10BF01",)) + [fill("ACA", "atorvastatin", "2025-04-01")]
    rows = measure(model, "qm_supd_member", fills, [year_member("ACA")])
    r = rows[("ACA", "supd")]
    assert (r["in_denominator"], r["in_numerator"]) == (True, True)
    (pdc,) = [f for f in year_fills(model, monthly("ACA", "acarbose", atc=("A10BF01",)))][:1]
    assert (pdc["supd_diabetes"], pdc["pqa_diabetes_noninsulin"]) == (True, False)  # still not PDC-DR


@pytest.mark.parametrize("code", ["N970", "Z3183", "O0900", "Z331", "Z391"])
def test_fertility_and_pregnancy_exclude_from_supd(model, code):
    rows = model("qm_member_exclusion_dx", stg_diagnosis=[
        {"member_id": "FER", "code": code, "icd_version": "10", "claim_start_date": D("2025-04-02")}])
    assert [(r["measure_id"], r["exclusion_reason"]) for r in rows] == [("supd", "pregnancy_lactation")]


# ---------------------------------------------------------------- item 6: COB opioids and exclusions

@pytest.mark.parametrize(("drug_key", "route", "atc", "is_opioid"), [
    ("buprenorphine / naloxone", "sublingual", ("N07BC51",), False),   # opioid use disorder
    ("buprenorphine", "sublingual", ("N02AE01", "N07BC01"), False),    # Subutex-type: opioid use disorder
    ("buprenorphine", "transdermal", ("N02AE01", "N07BC01"), True),    # Butrans: analgesic
    ("morphine", "injection", ("N02AA01",), False),                    # injectables are not counted
    ("hydrocodone", "oral", ("R05DA03",), True),                       # WHO lists it as an antitussive only
    ("acetaminophen / hydrocodone", "oral", ("N02AJ22",), True),
    ("tramadol", "oral", ("N02AX02",), True),
    ("methadone", "oral", ("N07BC02",), True),                         # not buprenorphine: an analgesic here
])
def test_cob_opioids(model, drug_key, route, atc, is_opioid):
    (r,) = year_fills(model, [fill("OPI", drug_key, "2025-03-01", atc=atc, route=route)])
    assert r["pqa_opioid"] is is_opioid


def test_buprenorphine_for_opioid_use_disorder_is_not_a_cob_member(model):
    # was: a COB numerator member (buprenorphine / naloxone counted as an opioid)
    fills = (monthly("OUD", "buprenorphine / naloxone", atc=("N07BC51",), route="sublingual")
             + monthly("OUD", "alprazolam", atc=("N05BA12",)))
    assert ("OUD", "cob") not in measure(model, "qm_cob_member", fills, [year_member("OUD")])


def test_palliative_care_excludes_from_cob(model):
    fills = monthly("PAL", "oxycodone", atc=("N02AA05",)) + monthly("PAL", "alprazolam", atc=("N05BA12",))
    exclusions = model("qm_member_exclusion_dx", stg_diagnosis=[
        {"member_id": "PAL", "code": "Z515", "icd_version": "10", "claim_start_date": D("2025-05-02")}])
    rows = measure(model, "qm_cob_member", fills, [year_member("PAL")], qm_member_exclusion_dx=exclusions)
    r = rows[("PAL", "cob")]
    assert (r["in_denominator"], r["exclusion_reason"]) == (False, "palliative_care")


# ---------------------------------------------------------------- item 7: Poly-ACH list, Poly-CNS

def test_beers_table_7_seed_is_cited():
    rows = list(csv.DictReader((DATA_DIR / "beers_2023_strong_anticholinergics.csv").open()))
    assert all(r["source"].startswith("AGS Beers Criteria 2023 Table 7") for r in rows)
    assert {"prochlorperazine", "trifluoperazine", "disopyramide", "dimenhydrinate", "doxylamine",
            "homatropine"} <= {r["ingredient"] for r in rows}


@pytest.mark.parametrize("drug_key", ["prochlorperazine", "trifluoperazine", "disopyramide", "dimenhydrinate",
                                      "doxylamine / pyridoxine", "homatropine methylbromide / hydrocodone"])
def test_beers_anticholinergics_are_flagged(model, drug_key):
    # was: missing from the reference, or flagged 0
    drugs = {r["drug_key"]: r for r in model("ref_drug")}
    assert drugs[drug_key]["anticholinergic"] is True


def test_prochlorperazine_with_oxybutynin_is_a_poly_ach_numerator_member(model):
    fills = monthly("PCZ", "prochlorperazine", atc=("N05AB04",)) + monthly("PCZ", "oxybutynin", atc=("G04BD04",))
    r = measure(model, "qm_poly_member", fills, [year_member("PCZ")])[("PCZ", "poly_ach")]
    assert (r["in_numerator"], r["overlap_days"]) == (True, 150)


def test_lithium_is_not_a_cns_active_drug_for_poly_cns(model):
    fills = (monthly("LIT", "lithium", atc=("D11AX04", "N05AN01", "V04CX11"))
             + monthly("LIT", "sertraline", atc=("N06AB06",)) + monthly("LIT", "gabapentin", atc=("N03AX12",)))
    r = measure(model, "qm_poly_member", fills, [year_member("LIT")])[("LIT", "poly_cns")]
    assert (r["in_numerator"], r["overlap_days"]) == (False, 0)
    with_quetiapine = fills + monthly("LIT", "quetiapine", atc=("N05AH04",))
    r = measure(model, "qm_poly_member", with_quetiapine, [year_member("LIT")])[("LIT", "poly_cns")]
    assert (r["in_numerator"], r["overlap_days"]) == (True, 150)
