"""Build the shipped FDA-derived NDC map ``pipelines/reference/data/fda_ndc_map.parquet``.

    .venv/bin/python tools/build_fda_ndc_map.py [--fda ../shared/data/ref_ndc_fda_directory]

Source: the FDA National Drug Code Directory, 2019-04-29 snapshot with excluded listings (public domain;
see that folder's README).  One row per package NDC11 (243,941): the product's ingredient set as a drug
key -- SUBSTANCENAME parts (``;``-separated) run through the same generic-name normaliser as claims'
``generic_name`` (so the key equals the key the same drug gets by name; NONPROPRIETARYNAME when a product
has no SUBSTANCENAME) -- route (first ROUTENAME through ``route_map.csv``), dosage form, Rx/OTC, DEA
schedule, the package's marketing dates, whether the listing was excluded, and the product-level
``weight_management`` flag (GLP-1 products marketed for weight management, ``weight_management_products.csv``).

Rerun after changing ``names.py``, ``salt_words.csv``, ``dose_form_words.csv`` or ``name_aliases.csv``:
``tests/test_fda_ndc_map.py`` fails when a stored key no longer equals what the normaliser gives.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402

from pipelines.reference.files import data_path  # noqa: E402
from pipelines.reference.names import normalise_generic_name  # noqa: E402
from pipelines.reference.ndc import normalise_ndc  # noqa: E402

SNAPSHOT = "2019-04-29"
OUT = data_path("fda_ndc_map.parquet")
PRODUCT_TYPES = {"HUMAN PRESCRIPTION DRUG": "rx", "HUMAN OTC DRUG": "otc"}


def read_fda(path: Path) -> list[dict[str, str]]:
    """A tab-separated FDA file (cp1252, CRLF, no quoting) as dicts of stripped text."""
    with gzip.open(path, "rb") as fh:
        text = fh.read().decode("cp1252", errors="replace")
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE)
    return [{k.strip(): (v or "").strip() for k, v in row.items()} for row in reader]


def _date(text: str) -> date | None:
    return date(int(text[:4]), int(text[4:6]), int(text[6:8])) if len(text) == 8 else None


def _routes() -> dict[str, str]:
    with data_path("route_map.csv").open(newline="", encoding="utf-8") as fh:
        return {r["route_text"].strip().lower(): r["route"] for r in csv.DictReader(fh)}


def _weight_management() -> tuple[set[str], set[str]]:
    """(proprietary names, product NDC9s) of GLP-1 products marketed for weight management."""
    names, ndc9s = set(), set()
    with data_path("weight_management_products.csv").open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            names.add(row["proprietary_name"].strip().lower())
            ndc9s.add(row["product_ndc9"].strip())
    return names, ndc9s


def substance_text(product: dict[str, str]) -> str:
    """The product's ingredient names, ' / '-joined (SUBSTANCENAME, else NONPROPRIETARYNAME)."""
    parts = [p.strip() for p in product["SUBSTANCENAME"].split(";") if p.strip()]
    return " / ".join(parts).lower() if parts else product["NONPROPRIETARYNAME"].lower()


def product_row(product: dict[str, str], routes: dict[str, str], wm: tuple[set[str], set[str]]) -> dict:
    substances = substance_text(product)
    first_route = product["ROUTENAME"].split(";")[0].strip().lower()
    labeler, code = product["PRODUCTNDC"].split("-")
    ndc9 = labeler.zfill(5) + code.zfill(4)
    return {
        "drug_key": normalise_generic_name(substances),
        "substance_name": substances,
        "route": routes.get(first_route, first_route or None),
        "dosage_form": product["DOSAGEFORMNAME"].lower() or None,
        "rx_otc": PRODUCT_TYPES.get(product["PRODUCTTYPENAME"], product["PRODUCTTYPENAME"].lower() or None),
        "dea_schedule": product["DEASCHEDULE"] or None,
        "excluded_listing": product["NDC_EXCLUDE_FLAG"] == "E",
        "weight_management": product["PROPRIETARYNAME"].lower() in wm[0] or ndc9 in wm[1],
    }


def build(fda_dir: Path) -> pl.DataFrame:
    products = {p["PRODUCTID"]: p for p in read_fda(fda_dir / f"product_{SNAPSHOT}.txt.gz")}
    routes, wm = _routes(), _weight_management()
    cache: dict[str, dict] = {}
    best: dict[str, tuple] = {}
    for pkg in read_fda(fda_dir / f"package_{SNAPSHOT}.txt.gz"):
        ndc11 = normalise_ndc(pkg["NDCPACKAGECODE"])
        product = products[pkg["PRODUCTID"]]
        if ndc11 is None:
            raise ValueError(f"package NDC {pkg['NDCPACKAGECODE']!r} does not normalise")
        row = cache.get(pkg["PRODUCTID"]) or cache.setdefault(pkg["PRODUCTID"], product_row(product, routes, wm))
        start, end = _date(pkg["STARTMARKETINGDATE"]), _date(pkg["ENDMARKETINGDATE"])
        # an NDC11 listed twice (19 of them): the active listing wins, then the later marketing start
        rank = (not row["excluded_listing"], start or date.min)
        if ndc11 not in best or rank > best[ndc11][0]:
            best[ndc11] = (rank, {"ndc11": ndc11, **row, "marketing_start": start, "marketing_end": end})
    rows = [best[k][1] for k in sorted(best)]
    return pl.DataFrame(rows, schema={
        "ndc11": pl.String, "drug_key": pl.String, "substance_name": pl.String, "route": pl.String,
        "dosage_form": pl.String, "rx_otc": pl.String, "dea_schedule": pl.String,
        "excluded_listing": pl.Boolean, "weight_management": pl.Boolean,
        "marketing_start": pl.Date, "marketing_end": pl.Date,
    })


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fda", type=Path, default=ROOT.parent / "shared" / "data" / "ref_ndc_fda_directory")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    df = build(args.fda)
    df.write_parquet(args.out, compression="zstd", compression_level=19, statistics=False)
    print(f"{args.out}: {df.height} NDC11s, {df['drug_key'].n_unique()} ingredient sets, "
          f"{args.out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
