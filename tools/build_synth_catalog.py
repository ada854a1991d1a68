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

# The curated drug list (synth_catalog_drugs.csv beside this file, one row per product): drug_key, generic_name,
# drug_name, condition, unit_cost_30d, route, days_supply_options, brand, units_per_day, ndcs (explicit NDCs,
# | separated) or labelers (labeler prefixes, | separated; "oral" = ORAL_LABELERS), n (NDCs to pick),
# generic_name_variants (| separated)
DRUG_LIST = Path(__file__).with_name("synth_catalog_drugs.csv")


def _drug(row: dict) -> dict:
    return dict(drug_key=row["drug_key"], generic_name=row["generic_name"], drug_name=row["drug_name"],
                route=row["route"], condition=row["condition"], days_supply_options=row["days_supply_options"],
                unit_cost_30d=float(row["unit_cost_30d"]), brand=row["brand"] == "true",
                units_per_day=float(row["units_per_day"]), ndcs=tuple(n for n in row["ndcs"].split("|") if n),
                labelers=ORAL_LABELERS if row["labelers"] == "oral" else tuple(row["labelers"].split("|")),
                n=int(row["n"]), variants=row["variants"])


with DRUG_LIST.open(newline="", encoding="utf-8") as _fh:
    D = [_drug(row) for row in csv.DictReader(_fh)]

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
