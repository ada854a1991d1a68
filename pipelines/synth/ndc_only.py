"""``mtm generate --ndc-only``: an extract as most Part D data are, NDC alone (no generic_name, no drug_name).

Each catalog product's NDC pool is widened with packages of *other* products of the same ingredient set
and route from the shipped FDA NDC Directory map (fda_ndc_map.parquet, 2019-04-29): other labelers and
repackagers, beyond the curated NDCs. One slot per product is a package code of a listed product that the
directory does not list (as with a package marketed after the snapshot), so the product fallback is
exercised too. Members keep one NDC per regimen mostly, as in the default extract.
"""

from __future__ import annotations

import csv
from dataclasses import replace

import polars as pl

from pipelines.reference.files import data_path
from pipelines.synth.catalog import Catalog

#: FDA products (distinct labeler + product codes) added to each catalog product's NDC pool
EXTRA_PRODUCTS = 5


def _curated_ndcs() -> set[str]:
    with data_path("ndc_map.csv").open(newline="", encoding="utf-8") as fh:
        return {row["ndc11"] for row in csv.DictReader(fh)}


def widen_ndc_pools(cat: Catalog) -> Catalog:
    """The catalog with each product's NDCs extended by FDA-directory products of the same drug and route."""
    fda = pl.read_parquet(data_path("fda_ndc_map.parquet"), columns=["ndc11", "drug_key", "route", "excluded_listing"])
    curated = _curated_ndcs()
    listed = set(fda["ndc11"].to_list()) | curated
    curated_products = {n[:9] for n in curated}
    candidates = (
        fda.filter(~pl.col("excluded_listing") & ~pl.col("ndc11").str.slice(0, 9).is_in(list(curated_products)))
        .with_columns(product=pl.col("ndc11").str.slice(0, 9))
        .sort("ndc11")
        .group_by(["drug_key", "route", "product"], maintain_order=True)
        .agg(pl.col("ndc11").first())
    )
    pools: dict[tuple[str, str], list[str]] = {}
    for key, route, _product, ndc in candidates.iter_rows():
        pools.setdefault((key, route), []).append(ndc)
    widened = []
    for ndcs, key, route in zip(cat.ndc, cat.drug_key, cat.route, strict=True):
        extra = pools.get((key, route), [])
        step = max(1, len(extra) // EXTRA_PRODUCTS)
        chosen = extra[::step][:EXTRA_PRODUCTS]
        unlisted = next((p[:9] + f"{k:02d}" for p in chosen for k in range(99, 0, -1)
                         if p[:9] + f"{k:02d}" not in listed), None)
        widened.append(ndcs + chosen + ([unlisted] if unlisted else []))
    return replace(cat, ndc=widened)
