"""Approximate targeting on a generated extract: a sanity check of the synthetic generator.

Usage: ``python -m pipelines.synth.evaluate DIR YYYY-MM-DD``.

A rough re-implementation of targeting-rules.md good enough to check that the generator's output
exercises the rules in plausible proportions; the real computation lives in the pipeline.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl

from pipelines.synth import model as M
from pipelines.synth.catalog import CATALOG_PATH

#: ATC-driven evidence differs from the catalog's "treated condition" for a few products
RX_CONDITION_OVERRIDE = {"carvedilol": "hypertension", "metoprolol": "hypertension",
                         "spironolactone": None, "potassium chloride": None, "meloxicam": None,
                         "celecoxib": None, "sevelamer": None, "calcium acetate": None,
                         "cinacalcet": None, "emtricitabine / tenofovir alafenamide": None}  # fmt: skip
LOCAL = ("nasal", "ophthalmic", "otic", "topical", "rectal", "vaginal")


def read(d: Path, name: str) -> pl.DataFrame:
    p = d / f"{name}.csv"
    if p.exists():
        return pl.read_csv(p, infer_schema_length=0, try_parse_dates=False)
    return pl.read_parquet(d / f"{name}.parquet").cast(pl.String)


def evaluate(d: Path, as_of: date, threshold: float = 1623.0) -> pl.DataFrame:
    D = pl.lit(as_of)
    cat = pl.read_csv(CATALOG_PATH, infer_schema_length=0)
    prod = cat.unique("drug_name", keep="first").select(
        "drug_name", "drug_key", "route", pl.col("condition").alias("cat_cond")
    )
    prod = prod.with_columns(pl.col("cat_cond").alias("rx_cond"))
    key_over = {r["drug_name"]: r["drug_key"] for r in prod.iter_rows(named=True)}
    for dn, k in key_over.items():
        if k in RX_CONDITION_OVERRIDE:
            prod = prod.with_columns(
                pl.when(pl.col("drug_name") == dn)
                .then(pl.lit(RX_CONDITION_OVERRIDE[k]))
                .otherwise(pl.col("rx_cond"))
                .alias("rx_cond")
            )
    elig = read(d, "eligibility").with_columns(
        pl.col("enrollment_start_date").str.to_date(),
        pl.col("enrollment_end_date").str.to_date(),
        pl.col("death_date").str.to_date(),
    )
    rx = read(d, "pharmacy_claim").unique(maintain_order=True)
    rx = rx.with_row_index("_r").sort(["claim_id", "processed_at", "_r"], nulls_last=False)
    rx = rx.group_by("claim_id").last().filter(pl.col("claim_status") == "paid")
    rx = rx.filter((pl.col("part_d_covered") == "true") & (pl.col("drug_coverage_status_code") == "C"))
    rx = rx.with_columns(
        pl.col("fill_date").str.to_date(),
        pl.col("days_supply").cast(pl.Int32),
        pl.col("gross_drug_cost").cast(pl.Float64),
    ).filter(pl.col("fill_date") <= D)
    spans = elig.select("member_id", "enrollment_start_date", "enrollment_end_date")
    inspan = (
        rx.join(spans, on="member_id")
        .filter(
            (pl.col("fill_date") >= pl.col("enrollment_start_date"))
            & (pl.col("enrollment_end_date").is_null() | (pl.col("fill_date") <= pl.col("enrollment_end_date")))
        )
        .unique("claim_id")
    )
    rx = inspan.join(prod, on="drug_name", how="left")
    active = rx.filter(pl.col("fill_date") + pl.duration(days=pl.col("days_supply") - 1) >= D - timedelta(days=89))
    ndrugs = active.group_by("member_id").agg(pl.col("drug_name").n_unique().alias("part_d_drugs"))
    cost = (
        rx.filter(pl.col("fill_date") >= D - timedelta(days=89))
        .group_by("member_id")
        .agg((pl.col("gross_drug_cost").sum() * 365 / 90).alias("cost"))
    )
    rxc = (
        rx.filter(
            pl.col("rx_cond").is_in(list(M.CONDITIONS))
            & ~pl.col("route").is_in(list(LOCAL))
            & (pl.col("fill_date") >= D - timedelta(days=364))
        )
        .group_by("member_id", "rx_cond")
        .agg(pl.col("fill_date").n_unique().alias("k"))
        .filter(pl.col("k") >= 2)
        .select("member_id", pl.col("rx_cond").alias("cond"))
    )
    mc = read(d, "medical_claim")
    mc = mc.unique(maintain_order=True).with_row_index("_r").sort(["claim_id", "processed_at", "_r"])
    mc = mc.group_by("claim_id").last().filter(pl.col("claim_status") == "paid")
    mc = mc.with_columns(pl.col("claim_start_date").str.to_date()).filter(
        (pl.col("claim_start_date") <= D) & (pl.col("claim_start_date") > D - timedelta(days=730))
    )
    dx_cols = [c for c in mc.columns if c.startswith("diagnosis_code_")]
    long = mc.unpivot(index=["claim_id", "member_id", "claim_type", "claim_start_date"], on=dx_cols)
    long = long.filter(pl.col("value").is_not_null()).with_columns(pl.col("value").str.replace(".", "", literal=True))
    prefixes = (
        pl.read_csv(Path("/work/shared/spec/reference/core_condition_icd10.csv"))
        if Path("/work/shared/spec/reference/core_condition_icd10.csv").exists()
        else None
    )
    pairs = []
    for cond, codes in M.DX_CODES.items():
        for code in codes:
            pairs.append((code, cond))
    if prefixes is not None:
        pairs = [(c, cond) for c, cond in pairs if any(
            c.startswith(p) for p in prefixes.filter(pl.col("core_condition") == cond)["icd10cm_prefix"]
        )]  # fmt: skip
    cmap = pl.DataFrame(pairs, schema=["value", "cond"], orient="row")
    dx = long.join(cmap, on="value").filter(pl.col("claim_type") != "hospice")
    dx = (
        dx.group_by("member_id", "cond")
        .agg(
            pl.col("claim_type").is_in(["inpatient", "snf", "home_health"]).any().alias("ip"),
            pl.col("claim_start_date")
            .filter(pl.col("claim_type").is_in(["professional", "outpatient"]))
            .n_unique()
            .alias("op"),
        )
        .filter(pl.col("ip") | (pl.col("op") >= 2))
        .select("member_id", "cond")
    )
    st = read(d, "member_status").filter(pl.col("status") == "esrd")
    esrd = st.with_columns(pl.col("status_start_date").str.to_date(), pl.col("status_end_date").str.to_date())
    esrd = esrd.filter(
        (pl.col("status_start_date") <= D) & (pl.col("status_end_date").is_null() | (pl.col("status_end_date") >= D))
    )
    esrd = esrd.select("member_id", pl.lit("esrd").alias("cond"))
    conds = pl.concat([dx, rxc, esrd]).unique()
    wide = conds.group_by("member_id").agg(pl.col("cond").n_unique().alias("core_conditions"), pl.col("cond"))
    enrolled = (
        elig.filter(
            (pl.col("enrollment_start_date") <= D)
            & (pl.col("enrollment_end_date").is_null() | (pl.col("enrollment_end_date") >= D))
        )
        .group_by("member_id")
        .agg(pl.col("death_date").min())
        .filter(pl.col("death_date").is_null() | (pl.col("death_date") > D))
        .select("member_id")
    )
    out = (
        enrolled.join(ndrugs, on="member_id", how="left")
        .join(cost, on="member_id", how="left")
        .join(wide, on="member_id", how="left")
        .with_columns(
            pl.col("part_d_drugs").fill_null(0),
            pl.col("cost").fill_null(0.0),
            pl.col("core_conditions").fill_null(0),
        )
        .with_columns(
            ((pl.col("core_conditions") >= 3) & (pl.col("part_d_drugs") >= 8) & (pl.col("cost") >= threshold)).alias(
                "meets"
            )
        )
    )
    return out


def _share(mask: pl.Series) -> float:
    """Share of True in a boolean column (0 for an empty one)."""
    return float(mask.sum()) / mask.len() if mask.len() else 0.0


if __name__ == "__main__":
    import sys

    res = evaluate(Path(sys.argv[1]), date.fromisoformat(sys.argv[2]))
    print(f"enrolled members: {res.height}")
    print(f"3+ core conditions: {_share(res['core_conditions'] >= 3):.1%}")
    print(f"8+ Part D drugs: {_share(res['part_d_drugs'] >= 8):.1%}")
    print(f"cost >= threshold: {_share(res['cost'] >= 1623):.1%}")
    print(f"meets criteria (approx.): {_share(res['meets']):.1%}")
