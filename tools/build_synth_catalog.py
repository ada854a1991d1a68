"""Developer tool: (re)build ``drug_catalog.csv`` from the curated drug list below.

Not imported at run time.  NDCs were looked up (look-up only, nothing else copied) in the FDA NDC
directory 2020-06-17 → RxNorm ingredient map (``ref_ndc_fda_atc_fabkury``, CC BY-NC-SA: only the
~150 package NDCs we use are shipped, as plain facts about real products) and, where possible, picked
among the NDCs of the MIT ``ref_ndc_rxnorm_gamenet`` table.  Run:

    python -m tools.build_synth_catalog /work/shared/data

Columns of the catalog: see README.md in this folder.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ORAL_LABELERS = (
    "00093", "00378", "68180", "65862", "68382", "31722", "16729", "43547", "69097", "13668",
    "55111", "65162", "29300", "33342", "60505", "00591", "00904", "57664", "62332", "67877",
    "00228", "00172", "00603", "50111", "00185", "53746", "00527", "51991", "64380", "10135",
)  # fmt: skip

# drug_key, generic_name, drug_name, route, condition, days_supply_options, unit_cost_30d, brand,
# units_per_day, ndcs (tuple of explicit NDCs) or labelers (tuple of labeler prefixes, "" = oral default),
# n_ndcs, generic_name_variants (| separated)
D = []


def add(key, gname, dname, cond, cost, route="oral", ds="30|90", brand=False, upd=1.0, ndcs=(),
        labelers=ORAL_LABELERS, n=2, variants=""):  # fmt: skip
    D.append(dict(drug_key=key, generic_name=gname, drug_name=dname, route=route, condition=cond,
                  days_supply_options=ds, unit_cost_30d=cost, brand=brand, units_per_day=upd,
                  ndcs=ndcs, labelers=labelers, n=n, variants=variants))  # fmt: skip


# hypertension
add("lisinopril", "lisinopril", "Lisinopril Tablet", "hypertension", 6.2)
add(
    "amlodipine",
    "amlodipine besylate",
    "Amlodipine Besylate Tablet",
    "hypertension",
    7.1,
    variants="Amlodipine Besylate|AMLODIPINE BESYLATE|amlodipine",
)
add(
    "losartan",
    "losartan potassium",
    "Losartan Potassium Tablet",
    "hypertension",
    9.4,
    variants="Losartan Potassium|losartan potassium tablet",
)
add("hydrochlorothiazide", "hydrochlorothiazide", "Hydrochlorothiazide Tablet", "hypertension", 5.3)
add(
    "metoprolol",
    "metoprolol succinate",
    "Metoprolol Succinate ER Tablet",
    "hypertension",
    12.5,
    variants="Metoprolol Succinate ER|metoprolol tartrate",
)
add("valsartan", "valsartan", "Valsartan Tablet", "hypertension", 14.0)
add("chlorthalidone", "chlorthalidone", "Chlorthalidone Tablet", "hypertension", 11.0)
add("olmesartan", "olmesartan medoxomil", "Olmesartan Medoxomil Tablet", "hypertension", 15.0)
add(
    "amlodipine / benazepril",
    "amlodipine besylate / benazepril hydrochloride",
    "Amlodipine-Benazepril Capsule",
    "hypertension",
    15.5,
)
add(
    "hydrochlorothiazide / lisinopril",
    "lisinopril / hydrochlorothiazide",
    "Lisinopril-Hydrochlorothiazide Tablet",
    "hypertension",
    8.4,
)
add("carvedilol", "carvedilol", "Carvedilol Tablet", "heart_failure", 8.2)
add("hydralazine", "hydralazine hydrochloride", "Hydralazine HCl Tablet", "hypertension", 10.0)
add("clonidine", "clonidine hydrochloride", "Clonidine HCl Tablet", "hypertension", 8.0, upd=2)
# dyslipidemia
add(
    "atorvastatin",
    "atorvastatin calcium",
    "Atorvastatin Calcium Tablet",
    "dyslipidemia",
    9.1,
    variants="Atorvastatin Calcium|ATORVASTATIN CALCIUM|atorvastatin",
)
add(
    "atorvastatin",
    "atorvastatin calcium",
    "Lipitor",
    "dyslipidemia",
    345.0,
    brand=True,
    labelers=("00071",),
    n=1,
)
add("rosuvastatin", "rosuvastatin calcium", "Rosuvastatin Calcium Tablet", "dyslipidemia", 10.5)
add("simvastatin", "simvastatin", "Simvastatin Tablet", "dyslipidemia", 5.2)
add("pravastatin", "pravastatin sodium", "Pravastatin Sodium Tablet", "dyslipidemia", 8.3)
add("ezetimibe", "ezetimibe", "Ezetimibe Tablet", "dyslipidemia", 12.0)
add("fenofibrate", "fenofibrate", "Fenofibrate Tablet", "dyslipidemia", 19.0)
# diabetes
add(
    "metformin",
    "metformin hydrochloride",
    "Metformin HCl Tablet",
    "diabetes",
    6.0,
    upd=2,
    variants="Metformin HCl|METFORMIN HCL ER|metformin hcl",
)
add("glipizide", "glipizide", "Glipizide Tablet", "diabetes", 6.5)
add("glimepiride", "glimepiride", "Glimepiride Tablet", "diabetes", 7.0)
add("pioglitazone", "pioglitazone hydrochloride", "Pioglitazone HCl Tablet", "diabetes", 9.0)
add(
    "sitagliptin",
    "sitagliptin phosphate",
    "Januvia",
    "diabetes",
    525.0,
    brand=True,
    ndcs=("00006027731", "00006011231"),
)
add(
    "empagliflozin",
    "empagliflozin",
    "Jardiance",
    "diabetes",
    610.0,
    brand=True,
    ndcs=("00597015230", "00597015330"),
)
add(
    "dulaglutide",
    "dulaglutide",
    "Trulicity Pen",
    "diabetes",
    925.0,
    brand=True,
    route="subcutaneous",
    ds="28",
    upd=0.0857,
    ndcs=("00002143380",),
)
add(
    "semaglutide",
    "semaglutide",
    "Ozempic Pen",
    "diabetes",
    960.0,
    brand=True,
    route="subcutaneous",
    ds="28",
    upd=0.0536,
    ndcs=("00169413212",),
)
add(
    "insulin glargine",
    "insulin glargine",
    "Lantus",
    "diabetes",
    330.0,
    brand=True,
    route="subcutaneous",
    ds="30",
    upd=0.5,
    ndcs=("00088222033", "00088221905"),
)
# mental health
add(
    "sertraline",
    "sertraline hydrochloride",
    "Sertraline HCl Tablet",
    "mental_health",
    7.0,
    variants="Sertraline HCl|SERTRALINE HCL",
)
add("escitalopram", "escitalopram oxalate", "Escitalopram Oxalate Tablet", "mental_health", 8.0)
add("citalopram", "citalopram hydrobromide", "Citalopram HBr Tablet", "mental_health", 6.0)
add("fluoxetine", "fluoxetine hydrochloride", "Fluoxetine HCl Capsule", "mental_health", 6.5)
add("paroxetine", "paroxetine hydrochloride", "Paroxetine HCl Tablet", "mental_health", 9.0)
add("bupropion", "bupropion hydrochloride", "Bupropion HCl XL Tablet", "mental_health", 16.0)
add("trazodone", "trazodone hydrochloride", "Trazodone HCl Tablet", "mental_health", 7.0)
add("mirtazapine", "mirtazapine", "Mirtazapine Tablet", "mental_health", 10.0)
add("duloxetine", "duloxetine hydrochloride", "Duloxetine HCl DR Capsule", "mental_health", 12.0)
add("quetiapine", "quetiapine fumarate", "Quetiapine Fumarate Tablet", "mental_health", 12.0)
add("aripiprazole", "aripiprazole", "Aripiprazole Tablet", "mental_health", 15.0)
add("lithium", "lithium carbonate", "Lithium Carbonate Capsule", "mental_health", 12.0, upd=2)
# bone / arthritis
add("alendronate", "alendronate sodium", "Alendronate Sodium Tablet", "bone_arthritis", 8.0, upd=0.1334)
add(
    "hydroxychloroquine",
    "hydroxychloroquine sulfate",
    "Hydroxychloroquine Sulfate Tablet",
    "bone_arthritis",
    15.0,
    upd=2,
)
add(
    "methotrexate",
    "methotrexate sodium",
    "Methotrexate Tablet",
    "bone_arthritis",
    14.0,
    upd=0.8,
    labelers=("00054", "00555", "16729", "51079"),
)
add("raloxifene", "raloxifene hydrochloride", "Raloxifene HCl Tablet", "bone_arthritis", 25.0)
add("meloxicam", "meloxicam", "Meloxicam Tablet", "pain", 6.0)
add("celecoxib", "celecoxib", "Celecoxib Capsule", "pain", 15.0)
# heart failure
add(
    "furosemide",
    "furosemide",
    "Furosemide Tablet",
    "heart_failure",
    5.0,
    labelers=("00054", "00378", "00603", "00172", "00093"),
)
add("torsemide", "torsemide", "Torsemide Tablet", "heart_failure", 10.0)
add("spironolactone", "spironolactone", "Spironolactone Tablet", "heart_failure", 9.0)
add(
    "digoxin",
    "digoxin",
    "Digoxin Tablet",
    "heart_failure",
    15.0,
    labelers=("00527", "00378", "00115", "00143", "00904"),
)
add(
    "sacubitril / valsartan",
    "sacubitril / valsartan",
    "Entresto",
    "heart_failure",
    610.0,
    brand=True,
    upd=2,
    ndcs=("00078065920", "00078077720"),
)
# respiratory
add(
    "albuterol",
    "albuterol sulfate",
    "ProAir HFA",
    "respiratory",
    62.0,
    route="inhalation",
    ds="30",
    upd=0.0,
    ndcs=("59310057922", "00173068220"),
    variants="Albuterol Sulfate HFA",
)
add(
    "tiotropium",
    "tiotropium bromide",
    "Spiriva HandiHaler",
    "respiratory",
    520.0,
    brand=True,
    route="inhalation",
    ds="30",
    ndcs=("00597007541",),
)
add(
    "fluticasone / salmeterol",
    "fluticasone propionate / salmeterol xinafoate",
    "Advair Diskus",
    "respiratory",
    410.0,
    brand=True,
    route="inhalation",
    ds="30",
    upd=2,
    ndcs=("00173069500", "00173069600"),
)
add(
    "budesonide / formoterol",
    "budesonide / formoterol fumarate",
    "Symbicort",
    "respiratory",
    385.0,
    brand=True,
    route="inhalation",
    ds="30",
    upd=0.0,
    ndcs=("00186037020", "00186037220"),
)
add("montelukast", "montelukast sodium", "Montelukast Sodium Tablet", "respiratory", 9.0)
# alzheimers
add("donepezil", "donepezil hydrochloride", "Donepezil HCl Tablet", "alzheimers", 8.0)
add("memantine", "memantine hydrochloride", "Memantine HCl Tablet", "alzheimers", 12.0, upd=2)
# HIV
add(
    "bictegravir / emtricitabine / tenofovir alafenamide",
    "bictegravir sodium / emtricitabine / tenofovir alafenamide fumarate",
    "Biktarvy",
    "hiv_aids",
    3950.0,
    brand=True,
    ndcs=("61958250101",),
)
add("dolutegravir", "dolutegravir sodium", "Tivicay", "hiv_aids", 2150.0, brand=True, ndcs=("49702022813",))
add(
    "emtricitabine / tenofovir alafenamide",
    "emtricitabine / tenofovir alafenamide fumarate",
    "Descovy",
    "hiv_aids",
    2100.0,
    brand=True,
    ndcs=("61958200201",),
)
# ESRD / CKD
add(
    "sevelamer",
    "sevelamer carbonate",
    "Sevelamer Carbonate Tablet",
    "esrd",
    95.0,
    upd=3,
    labelers=("69097", "68462", "00955", "65862", "60505"),
)
add(
    "calcium acetate",
    "calcium acetate",
    "Calcium Acetate Capsule",
    "esrd",
    22.0,
    upd=6,
    labelers=("00054", "53808", "68382", "00093", "65862", "60505"),
)
add("cinacalcet", "cinacalcet hydrochloride", "Cinacalcet HCl Tablet", "esrd", 85.0)
# frequent other chronic drugs
add("omeprazole", "omeprazole", "Omeprazole DR Capsule", "ppi", 6.0)
add("pantoprazole", "pantoprazole sodium", "Pantoprazole Sodium DR Tablet", "ppi", 7.0)
add(
    "levothyroxine",
    "levothyroxine sodium",
    "Levothyroxine Sodium Tablet",
    "thyroid",
    11.0,
    labelers=("00378", "00527", "00781"),
)
add("gabapentin", "gabapentin", "Gabapentin Capsule", "neuropathy", 10.0, upd=3)
add("tamsulosin", "tamsulosin hydrochloride", "Tamsulosin HCl Capsule", "bph", 10.0)
add("finasteride", "finasteride", "Finasteride Tablet", "bph", 8.0)
add(
    "potassium chloride",
    "potassium chloride",
    "Potassium Chloride ER Tablet",
    "hf_adjunct",
    12.0,
    labelers=("00245", "62037", "00832", "68382", "00591"),
)
add(
    "apixaban",
    "apixaban",
    "Eliquis",
    "anticoagulation",
    560.0,
    brand=True,
    upd=2,
    ndcs=("00003089421", "00003089321"),
)
add(
    "warfarin",
    "warfarin sodium",
    "Warfarin Sodium Tablet",
    "anticoagulation",
    6.0,
    labelers=("00093", "00555", "51079", "00056"),
)
add("clopidogrel", "clopidogrel bisulfate", "Clopidogrel Tablet", "antiplatelet", 6.0)
add("allopurinol", "allopurinol", "Allopurinol Tablet", "gout", 7.0)
add(
    "latanoprost",
    "latanoprost",
    "Latanoprost Ophthalmic Solution",
    "glaucoma",
    14.0,
    route="ophthalmic",
    ds="30|90",
    upd=0.0,
    labelers=("24208", "61314", "17478", "47335"),
)
add(
    "latanoprost",
    "latanoprost",
    "Xalatan",
    "glaucoma",
    125.0,
    brand=True,
    route="ophthalmic",
    ds="30",
    upd=0.0,
    ndcs=("00013830304",),
)
add(
    "timolol",
    "timolol maleate",
    "Timolol Maleate Ophthalmic Solution",
    "glaucoma",
    12.0,
    route="ophthalmic",
    ds="30|90",
    upd=0.0,
    ndcs=("61314022605", "61314022705"),
)
add(
    "fluticasone",
    "fluticasone propionate",
    "Fluticasone Propionate Nasal Spray",
    "allergy",
    12.0,
    route="nasal",
    ds="30",
    upd=0.0,
    ndcs=("60505082901", "00054327099"),
)
# anticholinergic / CNS
add("oxybutynin", "oxybutynin chloride", "Oxybutynin Chloride ER Tablet", "anticholinergic", 10.0)
add("amitriptyline", "amitriptyline hydrochloride", "Amitriptyline HCl Tablet", "anticholinergic", 6.0)
add("hydroxyzine", "hydroxyzine hydrochloride", "Hydroxyzine HCl Tablet", "anticholinergic", 8.0, upd=2)
add("meclizine", "meclizine hydrochloride", "Meclizine HCl Tablet", "anticholinergic", 6.0, upd=2)
add("zolpidem", "zolpidem tartrate", "Zolpidem Tartrate Tablet", "sleep", 8.0)
add("tramadol", "tramadol hydrochloride", "Tramadol HCl Tablet", "opioid", 8.0, upd=3, ds="30")
add(
    "oxycodone",
    "oxycodone hydrochloride",
    "Oxycodone HCl Tablet",
    "opioid",
    26.0,
    upd=4,
    ds="30",
    labelers=("10702", "00406", "00228", "00591", "00603"),
)
add(
    "acetaminophen / hydrocodone",
    "hydrocodone bitartrate / acetaminophen",
    "Hydrocodone-Acetaminophen Tablet",
    "opioid",
    16.0,
    upd=4,
    ds="30",
    labelers=("00406", "00591", "10702", "00603", "00093"),
)
add(
    "alprazolam",
    "alprazolam",
    "Alprazolam Tablet",
    "benzodiazepine",
    6.0,
    upd=2,
    ds="30",
    labelers=("00591", "00228", "00378", "00093", "16729"),
)
add(
    "lorazepam",
    "lorazepam",
    "Lorazepam Tablet",
    "benzodiazepine",
    7.0,
    upd=2,
    ds="30",
    labelers=("00591", "00228", "00378", "00093", "16729"),
)
add("clonazepam", "clonazepam", "Clonazepam Tablet", "benzodiazepine", 6.0, upd=2, ds="30")
add(
    "cyclobenzaprine",
    "cyclobenzaprine hydrochloride",
    "Cyclobenzaprine HCl Tablet",
    "acute",
    6.0,
    upd=3,
    ds="10",
)
# acute
add("amoxicillin", "amoxicillin", "Amoxicillin Capsule", "acute", 5.0, upd=3, ds="10")
add("azithromycin", "azithromycin", "Azithromycin Tablet", "acute", 8.0, upd=1.2, ds="5")
add("cephalexin", "cephalexin", "Cephalexin Capsule", "acute", 6.0, upd=4, ds="7")
add("ciprofloxacin", "ciprofloxacin hydrochloride", "Ciprofloxacin HCl Tablet", "acute", 6.0, upd=2, ds="7")
add(
    "amoxicillin / clavulanate",
    "amoxicillin / clavulanate potassium",
    "Amoxicillin-Clavulanate Tablet",
    "acute",
    15.0,
    upd=2,
    ds="10",
)
add(
    "nitrofurantoin",
    "nitrofurantoin monohydrate / macrocrystals",
    "Nitrofurantoin Capsule",
    "acute",
    15.0,
    upd=2,
    ds="5|7",
)
add("prednisone", "prednisone", "Prednisone Tablet", "acute", 4.0, upd=2, ds="5|7")
add("benzonatate", "benzonatate", "Benzonatate Capsule", "acute", 6.0, upd=3, ds="7")
# not Part D: excluded / OTC
add("sildenafil", "sildenafil citrate", "Sildenafil Tablet", "excluded_e", 20.0, ds="30", n=1)
add(
    "loratadine",
    "loratadine",
    "Loratadine Tablet (OTC)",
    "otc_o",
    4.0,
    ds="30",
    n=1,
    labelers=("00904", "00536", "45802", "00113"),
)

COMPOUNDS = [
    ("compound: gabapentin / ketoprofen / lidocaine cream", "topical"),
    ("compound: omeprazole oral suspension", "oral"),
]
# Real-looking NDCs that are in no reference map (checked): resolved by generic_name, or not at all.
UNMAPPED = [
    ("70954990101", "atorvastatin", "atorvastatin calcium", "Atorvastatin 40mg (repackaged)",
     "dyslipidemia", 9.1),
    ("70954990201", "lisinopril", "Lisinopril", "Lisinopril 10mg (repackaged)", "hypertension", 6.2),
    ("70954990301", "", "", "Vitamin Compound Tablet", "unknown", 9.0),
]  # fmt: skip


def build(data: Path, out: Path) -> None:
    import polars as pl

    fab = pl.read_csv(
        data / "ref_ndc_fda_atc_fabkury" / "ndc11_rxcui_ingredient_atc_2020_06_17.csv.gz",
        infer_schema_length=0,
    ).filter(pl.col("in_name").is_not_null())
    gm = set(pl.read_csv(data / "ref_ndc_rxnorm_gamenet" / "ndc11_to_rxcui_mimic3.csv", infer_schema_length=0)["ndc11"])
    keys = fab.group_by("ndc11").agg(
        pl.col("rxcui").first(),
        pl.col("in_name").filter(pl.col("in_tty") == "MIN").first().alias("min"),
        pl.col("in_name").filter(pl.col("in_tty") == "IN").unique().sort().alias("ins"),
    )
    keys = keys.with_columns(pl.coalesce(pl.col("min"), pl.col("ins").list.join(" / ")).alias("key")).sort("ndc11")
    all_ndc = set(fab["ndc11"]) | gm
    rows = []
    for d in D:
        cand = keys.filter(pl.col("key") == d["drug_key"])
        if d["ndcs"]:
            picked = list(d["ndcs"])
            found = set(cand["ndc11"])
            missing = [n for n in picked if n not in found]
            assert not missing, (d["drug_key"], missing)
        else:
            picked, rx = [], set()
            for lab in d["labelers"]:
                c = cand.filter(pl.col("ndc11").str.starts_with(lab))
                c = c.with_columns(pl.col("ndc11").is_in(list(gm)).alias("gm")).sort(
                    ["gm", "ndc11"], descending=[True, False]
                )
                for ndc, rxcui in c.select("ndc11", "rxcui").rows():
                    if rxcui not in rx:
                        picked.append(ndc)
                        rx.add(rxcui)
                        break
                if len(picked) >= d["n"]:
                    break
            assert picked, d["drug_key"]
        for ndc in picked:
            rows.append(
                dict(
                    ndc11=ndc, drug_key=d["drug_key"], generic_name=d["generic_name"],
                    drug_name=d["drug_name"], route=d["route"], condition=d["condition"],
                    days_supply_options=d["days_supply_options"],
                    unit_cost_30d=f"{d['unit_cost_30d']:.2f}", brand=str(d["brand"]).lower(),
                    units_per_day=d["upd"] if "upd" in d else d["units_per_day"],
                    generic_name_variants=d["variants"], in_reference="true",
                )
            )  # fmt: skip
    for gname, route in COMPOUNDS:
        rows.append(dict(ndc11="00000000000", drug_key="", generic_name=gname,
                         drug_name=gname.split(": ")[1].title(), route=route, condition="compound",
                         days_supply_options="30", unit_cost_30d="85.00", brand="false",
                         units_per_day=0.0, generic_name_variants="", in_reference="false"))  # fmt: skip
    for ndc, key, gname, dname, cond, cost in UNMAPPED:
        assert ndc not in all_ndc, ndc
        rows.append(dict(ndc11=ndc, drug_key=key, generic_name=gname, drug_name=dname,
                         route="oral", condition=cond, days_supply_options="30",
                         unit_cost_30d=f"{cost:.2f}", brand="false", units_per_day=1.0,
                         generic_name_variants="", in_reference="false"))  # fmt: skip
    with out.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"{len(rows)} rows -> {out}")


if __name__ == "__main__":
    build(Path(sys.argv[1]), Path(__file__).resolve().parents[1] / "pipelines" / "synth" / "drug_catalog.csv")
