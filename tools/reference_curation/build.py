"""Rebuild ``drug_reference.csv``, ``ndc_map.csv`` and the ICD code sets from the hand curation.

Maintainer tool, not used at run time.  Inputs:

* ``drug_curation.csv`` (this folder): the project's own hand-made ingredient list -- drug key, class,
  maintenance flag, principal route and form, risk/PQA flags, and the ATC code(s) where they were
  chosen by hand (combinations, ingredients with many WHO codes).
* the shared, *look-up only* tables (``../shared/data``): WHO ATC 2026 (to look up and check each
  ingredient's current code) and the FDA-NDC -> RxNorm ingredient map (to find a few NDCs of each
  curated product), both CC BY-NC-SA: nothing is copied from them except the facts of the products
  curated here; GAMENet NDC -> RxCUI (MIT) and the public-domain ICD-10-CM / ICD-9-CM code lists.

Route per NDC: the FDA map carries no dosage form, so the route of an NDC comes from the curation:
an ingredient with one route in practice takes any labeler's NDCs; an ingredient also sold in other
forms (marked ``+`` in the curation, e.g. ``oral+``) takes only NDCs of labelers that make that form
only; a few multi-route ingredients have explicit labeler / product anchors below, and the rest ship
without NDCs (they resolve through the generic name).

Usage:  python -m tools.reference_curation.build [--shared ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import gzip
from collections import defaultdict
from pathlib import Path

from pipelines.reference.files import DATA_DIR
from pipelines.reference.names import normalise_generic_name

HERE = Path(__file__).resolve().parent
FLAG_COLUMNS = {
    "S": "pqa_statin",
    "R": "pqa_ras",
    "D": "pqa_diabetes_noninsulin",
    "I": "pqa_insulin",
    "V": "pqa_sacubitril_valsartan",
    "O": "opioid",
    "B": "benzodiazepine",
    "A": "anticholinergic",
    "C": "cns_active",
    "H": "high_risk_elderly",
}
DRUG_COLUMNS = ["drug_key", "atc_codes", "drug_class", "maintenance", *FLAG_COLUMNS.values()]
NDC_COLUMNS = ["ndc11", "drug_key", "route", "dosage_form", "atc_code", "source"]

#: labelers (5-digit NDC prefix) whose products are (in practice) oral solids only
ORAL_LABELERS = {
    "65862",
    "13668",
    "31722",
    "67877",
    "43547",
    "29300",
    "33342",
    "27241",
    "62332",
    "59746",
    "23155",
    "50228",
    "16714",
    "68382",
    "68180",
    "57664",
    "53746",
    "65162",
    "64380",
    "70010",
    "42806",
    "55111",
    "47335",
    "62756",
    "00228",
    "00185",
    "57237",
    "10135",
    "69238",
    "72205",
}
#: repackagers that relabel dispensed (overwhelmingly oral solid) products for pharmacies and clinics
ORAL_LABELERS |= {
    "50090",
    "43353",
    "63629",
    "63187",
    "68071",
    "55700",
    "61919",
    "70518",
    "54569",
    "54868",
    "68788",
    "43063",
    "55289",
    "53002",
    "60429",
    "51655",
    "35356",
    "49999",
    "33261",
    "52125",
    "71335",
    "21695",
}
OPHTHALMIC_LABELERS = {"61314", "24208", "17478", "00065", "50383", "60758", "00023", "70069"}
TOPICAL_LABELERS = {"51672", "00168", "45802", "00472"}
INJECTABLE_LABELERS = {"00409", "63323", "00517", "00641", "67457", "25021", "55150"}
NEBULISER_LABELERS = {"00487", "76204"}

#: drug_key -> list of (NDC prefix, route, dosage form); the first matching prefix wins
ANCHORS: dict[str, list[tuple[str, str, str]]] = {
    "fluticasone": [
        ("001730718", "inhalation", "aerosol"),
        ("001730719", "inhalation", "aerosol"),
        ("001730720", "inhalation", "aerosol"),
        ("001730600", "inhalation", "powder"),
        ("001730601", "inhalation", "powder"),
        ("001730602", "inhalation", "powder"),
        ("001730874", "inhalation", "powder"),
        ("001730875", "inhalation", "powder"),
        ("001730876", "inhalation", "powder"),
        ("001730453", "nasal", "spray"),
        ("001730753", "nasal", "spray"),
        ("00054", "nasal", "spray"),
        ("60505", "nasal", "spray"),
        ("64679", "nasal", "spray"),
        *[(lab, "topical", "cream") for lab in sorted(TOPICAL_LABELERS)],
    ],
    "albuterol": [
        ("593100579", "inhalation", "aerosol"),
        ("001730682", "inhalation", "aerosol"),
        *[(lab, "inhalation", "solution") for lab in sorted(NEBULISER_LABELERS)],
    ],
    "ipratropium": [
        ("005970087", "inhalation", "aerosol"),
        *[(lab, "inhalation", "solution") for lab in sorted(NEBULISER_LABELERS)],
    ],
    "budesonide": [("001860916", "inhalation", "powder"), ("001860917", "inhalation", "powder")],
    "beclomethasone": [("59310", "inhalation", "aerosol")],
    "semaglutide": [
        ("001694303", "oral", "tablet"),
        ("001694307", "oral", "tablet"),
        ("001694314", "oral", "tablet"),
        ("00169", "subcutaneous", "injection"),
    ],
    "fentanyl": [("00378", "transdermal", "patch"), ("50458", "transdermal", "patch")],
    "scopolamine": [("00067", "transdermal", "patch"), ("45802", "transdermal", "patch")],
    "testosterone": [("00051", "transdermal", "gel"), ("45802", "transdermal", "gel")],
    "lidocaine": [("63481", "transdermal", "patch")],
    "naloxone": [("69547", "nasal", "spray")],
    "nitroglycerin": [
        ("000710417", "sublingual", "tablet"),
        ("000710418", "sublingual", "tablet"),
        ("000710419", "sublingual", "tablet"),
    ],
    "cyanocobalamin": [(lab, "intramuscular", "injection") for lab in sorted(INJECTABLE_LABELERS)],
    **{
        k: [(lab, "ophthalmic", "") for lab in sorted(OPHTHALMIC_LABELERS)]
        for k in ("timolol", "prednisolone", "erythromycin", "tobramycin", "pilocarpine", "atropine")
    },
    **{
        k: [(lab, "topical", "") for lab in sorted(TOPICAL_LABELERS)]
        for k in ("triamcinolone", "betamethasone", "clotrimazole", "ketoconazole", "tretinoin")
    },
}
#: RxCUIs (clinical drugs) whose dose form is known: every NDC of that RxCUI takes the route
RXCUI_ANCHORS = {
    "859088": ("inhalation", "aerosol"),  # albuterol 0.09 MG/ACTUAT metered dose inhaler [Ventolin]
    "351136": ("inhalation", "solution"),  # albuterol 0.417 MG/ML inhalation solution
    "351109": ("inhalation", "suspension"),  # budesonide 0.25 MG/ML inhalation suspension
    "895996": ("inhalation", "aerosol"),  # fluticasone propionate 0.044 MG/ACTUAT MDI [Flovent]
}
#: ingredients whose NDCs cannot be told apart by route from the facts at hand: no NDCs shipped
NO_NDC = {
    "ofloxacin",
    "hydrocortisone / neomycin / polymyxin b",
    "carbamide peroxide",
    "mometasone",
    "ciclesonide",
    "abatacept",
    "tocilizumab",
    "golimumab",
    "ustekinumab",
    "leuprolide",
    "cabotegravir",
    "hydrocortisone",
    "bimatoprost",
    "butorphanol",  # nasal spray and injection under the same labelers
    "sufentanil",  # sublingual tablet and injection
}
#: US-only ingredients that WHO has not classified: shipped with no ATC code
NO_ATC = {"metaxalone", "levorphanol"}
#: route -> ATC prefixes that a product of that route carries (to pick the product's own code)
ROUTE_ATC_PREFIX = {
    "ophthalmic": ("S01",),
    "otic": ("S02",),
    "nasal": ("R01",),
    "inhalation": ("R03",),
    "topical": ("D",),
    "vaginal": ("G01", "G02"),
}
SOURCE_FAB = "FDA NDC Directory 2020-06-17 -> RxNorm ingredient (fabkury/ndc_map; looked up)"
SOURCE_GAMENET = "GAMENet ndc2rxnorm (MIT) -> RxNorm ingredient (looked up)"
SOURCE_PDE = "BFD Synthea PDE sample NDC -> RxNorm ingredient (looked up)"
PER_KEY = 8


def read_curation() -> list[dict]:
    with (HERE / "drug_curation.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def who_codes(shared: Path) -> tuple[dict[str, set[str]], set[str]]:
    by_name: dict[str, set[str]] = defaultdict(set)
    all_codes: set[str] = set()
    with (shared / "ref_atc_who" / "who_atc_ddd_2026-04-25.csv").open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            code = row["atc_code"]
            all_codes.add(code)
            if len(code) == 7:
                name = row["atc_name"].strip().lower()
                by_name[name].add(code)
                by_name[normalise_generic_name(name) or name].add(code)
    return by_name, all_codes


def build_drug_reference(shared: Path) -> list[dict]:
    by_name, all_codes = who_codes(shared)
    out, problems = [], []
    for cur in read_curation():
        key = cur["drug_key"]
        assert normalise_generic_name(key) == key, f"{key!r} is not a normalised drug key"
        looked_up = sorted(by_name.get((cur["who_name"] or key).lower(), set()))
        codes = cur["atc"].split(";") if cur["atc"] else looked_up
        missing = [c for c in codes if c not in all_codes]
        if (not codes and key not in NO_ATC) or missing:
            problems.append(f"{key}: codes {codes} missing {missing}")
        row = {
            "drug_key": key,
            "atc_codes": ";".join(codes),
            "drug_class": cur["drug_class"],
            "maintenance": cur["maintenance"],
        }
        for letter, col in FLAG_COLUMNS.items():
            row[col] = "1" if letter in cur["flags"] else "0"
        out.append(row)
    if problems:
        raise SystemExit("ATC problems:\n" + "\n".join(problems))
    return sorted(out, key=lambda r: r["drug_key"])


def fab_products(shared: Path) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """ndc11 -> (drug key of its ingredient set, rxcui); rxcui -> drug key."""
    parts: dict[str, set[str]] = defaultdict(set)
    rxcui: dict[str, str] = {}
    path = shared / "ref_ndc_fda_atc_fabkury" / "ndc11_rxcui_ingredient_atc_2020_06_17.csv.gz"
    with gzip.open(path, "rt", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["in_tty"] == "IN" and row["in_name"]:
                parts[row["ndc11"]].add(row["in_name"])
                rxcui[row["ndc11"]] = row["rxcui"]
    products = {n: (normalise_generic_name(" / ".join(sorted(p))) or "", rxcui[n]) for n, p in parts.items()}
    by_rxcui = {rx: key for key, rx in products.values() if rx}
    return products, by_rxcui


def route_for(ndc: str, key: str, cur: dict, rxcui: str) -> tuple[str, str] | None:
    """(route, dosage form) of this NDC of ``key``, or None when the route cannot be told."""
    if key in NO_NDC:
        return None
    if rxcui in RXCUI_ANCHORS:
        return RXCUI_ANCHORS[rxcui]
    if key in ANCHORS:
        for prefix, route, form in ANCHORS[key]:
            if ndc.startswith(prefix):
                return route, form or cur["dosage_form"]
        return None
    route = cur["route"]
    if route.endswith("+"):
        return (route[:-1], cur["dosage_form"]) if ndc[:5] in ORAL_LABELERS else None
    return route, cur["dosage_form"]


#: product codes whose own ATC code differs from the ingredient's first code of that route
PRODUCT_ATC = {"001730874": "R03BA09", "001730875": "R03BA09", "001730876": "R03BA09", "001730753": "R01AD12"}


def product_atc(codes: list[str], route: str, ndc: str = "") -> str:
    """The product's own ATC code: its ingredient's code for that route (curation order), else blank."""
    if ndc[:9] in PRODUCT_ATC:
        return PRODUCT_ATC[ndc[:9]]
    if len(codes) == 1:
        return codes[0]
    prefixes = ROUTE_ATC_PREFIX.get(route)
    if prefixes is None:  # systemic: the codes outside the local-use chapters
        local = tuple(p for ps in ROUTE_ATC_PREFIX.values() for p in ps)
        picked = [c for c in codes if not c.startswith(local)]
    else:
        picked = [c for c in codes if c.startswith(prefixes)]
    if prefixes is not None and picked:
        return picked[0]
    return picked[0] if len(picked) == 1 else ""


def build_ndc_map(shared: Path, drugs: list[dict]) -> list[dict]:
    curation = {c["drug_key"]: c for c in read_curation()}
    codes = {d["drug_key"]: d["atc_codes"].split(";") for d in drugs}
    products, by_rxcui = fab_products(shared)
    chosen: dict[str, dict] = {}

    def add(ndc: str, key: str, rxcui: str, source: str) -> bool:
        if ndc in chosen or key not in curation:
            return False
        rf = route_for(ndc, key, curation[key], rxcui)
        if rf is None:
            return False
        chosen[ndc] = {
            "ndc11": ndc,
            "drug_key": key,
            "route": rf[0],
            "dosage_form": rf[1],
            "atc_code": product_atc(codes[key], rf[0], ndc),
            "source": source,
        }
        return True

    # extra NDCs seen in the MIT / CC0 samples: all those of curated products
    with (shared / "ref_ndc_rxnorm_gamenet" / "ndc11_to_rxcui_mimic3.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            key, rx = products.get(row["ndc11"], (by_rxcui.get(row["rxcui"], ""), row["rxcui"]))
            add(row["ndc11"], key, rx, SOURCE_GAMENET)
    with (shared / "bfd_rif_synthea_ccw" / "pde.csv").open(newline="") as fh:
        for row in csv.DictReader(fh, delimiter="|"):
            ndc = row["PROD_SRVC_ID"]
            if ndc in products:
                add(ndc, products[ndc][0], products[ndc][1], SOURCE_PDE)
    # a few NDCs per curated product: distinct clinical drugs (strengths) first, then labelers
    by_key: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for ndc, (key, rx) in sorted(products.items()):
        if key in curation:
            by_key[key].append((ndc, rx))
    for key, items in by_key.items():
        taken, seen_rx, seen_lab = 0, set(), set()
        for pass_no in range(3):
            for ndc, rx in items:
                if taken >= PER_KEY:
                    break
                fresh = (rx not in seen_rx) if pass_no == 0 else (ndc[:5] not in seen_lab) if pass_no == 1 else True
                if fresh and add(ndc, key, rx, SOURCE_FAB):
                    taken += 1
                    seen_rx.add(rx)
                    seen_lab.add(ndc[:5])
    add_synthetic_catalog(chosen, products, codes)
    return sorted(chosen.values(), key=lambda r: r["ndc11"])


SYNTH_CATALOG = Path(__file__).resolve().parents[2] / "pipelines" / "synth" / "drug_catalog.csv"
SOURCE_SYNTH = "synthetic generator catalog"


def add_synthetic_catalog(chosen: dict[str, dict], products: dict, codes: dict[str, list[str]]) -> None:
    """Every NDC of the synthetic generator's catalog that names a drug must resolve through the map."""
    if not SYNTH_CATALOG.exists():
        return
    with SYNTH_CATALOG.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            key = normalise_generic_name(row["drug_key"])
            ndc = row["ndc11"]
            # NDCs the generator marks as unknown exercise the generic-name and nine-digit fallbacks
            if not key or ndc in chosen or row.get("in_reference", "true").strip().lower() == "false":
                continue
            if key not in codes:
                raise SystemExit(f"synthetic catalog drug {key!r} (NDC {ndc}) is not in the drug reference")
            real = products.get(ndc, ("", ""))[0] == key
            chosen[ndc] = {
                "ndc11": ndc,
                "drug_key": key,
                "route": row["route"],
                "dosage_form": "",
                "atc_code": product_atc(codes[key], row["route"], ndc),
                "source": SOURCE_FAB if real else SOURCE_SYNTH,
            }


#: the ICD-10-CM fiscal years of the two shipped code files; FY2025 lies between them and is not shipped
ICD10_FIRST_FY, ICD10_LAST_FY = 2024, 2026


def build_icd(shared: Path) -> None:
    codes10: set[str] = set()
    with (shared / "ref_icd10cm" / "icd10cm_codes_fy2024_billable.csv").open(newline="") as fh:
        billable_first = {r["code"].strip().upper() for r in csv.DictReader(fh)}
    codes10 |= billable_first
    with (shared / "ref_icd10cm" / "icd10cm_2026_april_all_codes.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    codes10 |= {r["code"].replace(".", "").strip().upper() for r in rows if r["level_type"] not in ("chapter", "block")}
    billable_last = {r["code"].replace(".", "").strip().upper() for r in rows if r["is_billable_leaf"] == "1"}
    build_icd_years(billable_first, billable_last)
    with (shared / "ref_icd9cm" / "icd9cm_dx_v32_fy2015.csv").open(newline="") as fh:
        codes9 = {r["dgns_cd"].strip().upper() for r in csv.DictReader(fh)}
    for name, codes in (("icd10cm_codes.csv.gz", codes10), ("icd9cm_codes.csv.gz", codes9)):
        # mtime=0: byte-identical output on every rebuild, so the version hash only moves with content
        with open(DATA_DIR / name, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
            gz.write(("code\n" + "".join(f"{c}\n" for c in sorted(codes) if c)).encode())


def build_icd_years(billable_first: set[str], billable_last: set[str]) -> None:
    """icd10cm_code_years.csv.gz: the billable codes not valid in every shipped fiscal year.

    A code billable in FY2024 but not FY2026 was deleted in FY2025 or FY2026: valid FY2024-FY2025; one
    billable in FY2026 but not FY2024 was added in FY2025 or FY2026: valid FY2025-FY2026 (the FY2025 code
    set is not available, so FY2025 claims get the benefit of the doubt either way)."""
    middle = ICD10_FIRST_FY + 1
    rows = [(c, ICD10_FIRST_FY, middle) for c in billable_first - billable_last]
    rows += [(c, middle, ICD10_LAST_FY) for c in billable_last - billable_first]
    with open(DATA_DIR / "icd10cm_code_years.csv.gz", "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb",
                                                                                 mtime=0) as gz:
        gz.write(("code,first_fy,last_fy\n" + "".join(f"{c},{a},{b}\n" for c, a, b in sorted(rows))).encode())


def write_csv(name: str, columns: list[str], rows: list[dict]) -> None:
    with (DATA_DIR / name).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / ".." / "shared" / "data")
    parser.add_argument("--skip-icd", action="store_true")
    args = parser.parse_args(argv)
    drugs = build_drug_reference(args.shared)
    write_csv("drug_reference.csv", DRUG_COLUMNS, drugs)
    ndcs = build_ndc_map(args.shared, drugs)
    write_csv("ndc_map.csv", NDC_COLUMNS, ndcs)
    if not args.skip_icd:
        build_icd(args.shared)
    print(f"drug_reference.csv: {len(drugs)} keys; ndc_map.csv: {len(ndcs)} NDCs")


if __name__ == "__main__":
    main()
