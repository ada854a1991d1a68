"""The synthetic population's drug catalog (``drug_catalog.csv``): one product per drug_name with its NDCs.

Its own module so that the generator and ``mtm generate --ndc-only`` (which widens the NDC pools) both read
it without importing each other (issue 28: no import circle).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

CATALOG_PATH = Path(__file__).with_name("drug_catalog.csv")


@dataclass
class Catalog:
    names: list[str]  # product label (drug_name)
    drug_key: list[str]
    generic: list[str]
    route: list[str]
    condition: list[str]
    variants: list[list[str]]
    cost: np.ndarray
    brand: np.ndarray
    upd: np.ndarray
    ds1: np.ndarray
    ds2: np.ndarray
    ndc: list[list[str]]
    index: dict[str, int]


def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    df = pl.read_csv(path, infer_schema_length=0)
    names: list[str] = []
    rows: dict[str, dict] = {}
    for r in df.iter_rows(named=True):
        p = rows.get(r["drug_name"])
        if p is None:
            names.append(r["drug_name"])
            rows[r["drug_name"]] = {**r, "ndcs": [r["ndc11"]]}
        else:
            p["ndcs"].append(r["ndc11"])
    ps = [rows[n] for n in names]
    opts = [[int(x) for x in p["days_supply_options"].split("|")] for p in ps]
    return Catalog(
        names=names,
        drug_key=[p["drug_key"] or "" for p in ps],
        generic=[p["generic_name"] or "" for p in ps],
        route=[p["route"] for p in ps],
        condition=[p["condition"] for p in ps],
        variants=[[v for v in (p["generic_name_variants"] or "").split("|") if v] for p in ps],
        cost=np.array([float(p["unit_cost_30d"]) for p in ps]),
        brand=np.array([p["brand"] == "true" for p in ps]),
        upd=np.array([float(p["units_per_day"]) for p in ps]),
        ds1=np.array([o[0] for o in opts]),
        ds2=np.array([o[1] if len(o) > 1 else 0 for o in opts]),
        ndc=[p["ndcs"] for p in ps],
        index={n: i for i, n in enumerate(names)},
    )
