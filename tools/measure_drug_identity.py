"""Measure drug identity (levels, share identified) on NDC lists from public data, through the pipeline's
own reference tables and ``core_fill`` model (maintainers' tool; figures for the issue-11 closing note).

    .venv/bin/python tools/measure_drug_identity.py [--shared ../shared/data] [--extract DIR ...]

Datasets: the GAMENet/MIMIC-III NDC list (one pseudo-fill per NDC), the BFD Synthea CCW ``pde.csv``, the
DE-SynPUF fixture's PDE file, and any canonical extract given with ``--extract`` (e.g. the output of
``mtm generate --ndc-only``).  Each row becomes a covered fill of its member; fills are identified exactly
as in a run.  "Members with an unidentified drug": members with at least one fill known only by the
nine-digit rule (over all their fills; there is no as-of window here).

Runs on the asset-graph layout (seeds, ``sql/reference`` models).
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import polars as pl  # noqa: E402

from pipelines.engine import steps  # noqa: E402
from pipelines.engine.models import build_model, build_order, catalog, create_declared, declared, install_macros  # noqa: E402
from pipelines.engine.seeds import load_seed, seeds  # noqa: E402
from pipelines.reference.ndc import normalise_ndc  # noqa: E402

LEVELS = ("ndc", "ndc_product", "generic_name", "ndc9", "compound")


def _rows_gamenet(shared: Path) -> list[tuple[str, str, str | None]]:
    with (shared / "ref_ndc_rxnorm_gamenet" / "ndc11_to_rxcui_mimic3.csv").open(newline="") as fh:
        return [(f"N{i}", r["ndc11"], None) for i, r in enumerate(csv.DictReader(fh))]


def _rows_bfd(shared: Path) -> list[tuple[str, str, str | None]]:
    with (shared / "bfd_rif_synthea_ccw" / "pde.csv").open(newline="") as fh:
        return [(r["BENE_ID"], r["PROD_SRVC_ID"], None) for r in csv.DictReader(fh, delimiter="|")]


def _rows_synpuf(shared: Path) -> list[tuple[str, str, str | None]]:
    path = next((shared / "desynpuf_etlcms_2bene").glob("*Prescription_Drug_Events*.csv"))
    with path.open(newline="") as fh:
        return [(r["DESYNPUF_ID"], r["PROD_SRVC_ID"], None) for r in csv.DictReader(fh)]


def _rows_extract(folder: Path) -> list[tuple[str, str, str | None]]:
    con = duckdb.connect()
    rel = con.read_csv(str(folder / "pharmacy_claim.csv"), all_varchar=True)
    name = "generic_name" if "generic_name" in rel.columns else "NULL"
    return con.execute(f"SELECT member_id, ndc, {name} FROM rel").fetchall()


def measure(rows: list[tuple[str, str, str | None]]) -> dict:
    """Identity levels of ``(member, ndc, generic_name)`` rows through the pipeline's own SQL."""
    con = duckdb.connect()
    install_macros(con)
    for seed in seeds().values():
        load_seed(con, seed)
    for name, table in declared().items():
        if table.persistent:
            create_declared(con, name)  # ref_ndc_import: empty (no plan imports)
    for model in build_order(catalog()):
        if model.layer == "reference":
            build_model(con, model)
    claims = pl.DataFrame(
        {
            "member_id": [m for m, _, _ in rows],
            "ndc": [normalise_ndc(n) or n for _, n, _ in rows],
            "generic_name": [g for _, _, g in rows],
        },
        schema=dict.fromkeys(("member_id", "ndc", "generic_name"), pl.String),
    )
    con.register("claims", claims)
    con.execute("CREATE TABLE raw_pharmacy_claim AS SELECT generic_name FROM claims")
    steps.load_generic_names(None, con)
    con.execute("CREATE TABLE run_parameters AS SELECT DATE '2100-01-01' AS as_of_date")
    con.execute("""CREATE TABLE stg_pharmacy_claim AS
        SELECT CAST(row_number() OVER () AS VARCHAR) AS claim_id, member_id, DATE '2020-01-01' AS fill_date,
               30 AS days_supply, 0::DECIMAL(18, 2) AS gross_drug_cost, ndc, generic_name,
               NULL::VARCHAR AS prescriber_npi, NULL::VARCHAR AS route, true AS part_d_covered,
               'C' AS drug_coverage_status_code
        FROM claims""")
    con.execute("""CREATE TABLE core_member_coverage AS SELECT DISTINCT member_id,
        DATE '1900-01-01' AS island_start, DATE '2100-01-01' AS island_end FROM stg_pharmacy_claim""")
    build_model(con, catalog()["core_fill"])
    fills = dict(con.execute("SELECT identity_level, count(*) FROM core_fill GROUP BY 1").fetchall())
    total = sum(fills.values())
    members, unidentified = con.execute(
        "SELECT count(DISTINCT member_id), count(DISTINCT member_id) FILTER (WHERE identity_level = 'ndc9') "
        "FROM core_fill"
    ).fetchone()
    known = con.execute(
        "SELECT count(*) FILTER (WHERE drug_key IN (SELECT drug_key FROM ref_drug)) FROM core_fill"
    ).fetchone()[0]
    return {
        "fills": total,
        "fills_by_level": {lvl: fills.get(lvl, 0) for lvl in LEVELS},
        "share_identified": round(1 - fills.get("ndc9", 0) / total, 4) if total else None,
        "share_in_drug_reference": round(known / total, 4) if total else None,
        "members": members,
        "members_with_unidentified_drug": unidentified,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Drug identity levels on public NDC data")
    parser.add_argument("--shared", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--extract", type=Path, action="append", default=[])
    args = parser.parse_args(argv)
    datasets = {
        "ref_ndc_rxnorm_gamenet": _rows_gamenet(args.shared),
        "bfd_rif_synthea_ccw/pde.csv": _rows_bfd(args.shared),
        "desynpuf_etlcms_2bene": _rows_synpuf(args.shared),
        **{str(folder): _rows_extract(folder) for folder in args.extract},
    }
    for name, rows in datasets.items():
        r = measure(rows)
        levels = ", ".join(f"{k} {v}" for k, v in r["fills_by_level"].items() if v)
        print(
            f"{name}: {r['fills']} fills ({levels}); identified {r['share_identified']:.1%}, "
            f"in the drug reference {r['share_in_drug_reference']:.1%}; members with an unidentified drug "
            f"{r['members_with_unidentified_drug']} of {r['members']}"
        )


if __name__ == "__main__":
    main()
