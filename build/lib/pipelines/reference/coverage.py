"""How much of real NDC traffic the shipped NDC map resolves (rerun after changing the map).

    python -m pipelines.reference.coverage [--shared ../shared/data]

Measures (a) the share of the 4,204 GAMENet/MIMIC-III NDCs and (b) the share of PDE rows in the BFD
Synthea CCW sample (pipe-delimited, NDC in PROD_SRVC_ID) that ``ndc_map.csv`` resolves.  Note that
GAMENet NDCs were one of the sources of the map, so (a) says how many of them belong to curated
ingredients with a known route, not how an unseen formulary would fare.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from pipelines.reference.files import data_path
from pipelines.reference.ndc import normalise_ndc


def shipped_ndcs() -> set[str]:
    with data_path("ndc_map.csv").open(newline="", encoding="utf-8") as fh:
        return {row["ndc11"] for row in csv.DictReader(fh)}


def share(values: list[str], known: set[str]) -> tuple[int, int, float]:
    hits = sum(1 for v in values if normalise_ndc(v) in known)
    return hits, len(values), (hits / len(values) if values else 0.0)


def measure(shared: Path) -> dict[str, tuple[int, int, float]]:
    known = shipped_ndcs()
    with (shared / "ref_ndc_rxnorm_gamenet" / "ndc11_to_rxcui_mimic3.csv").open(newline="") as fh:
        gamenet = [row["ndc11"] for row in csv.DictReader(fh)]
    with (shared / "bfd_rif_synthea_ccw" / "pde.csv").open(newline="") as fh:
        pde = [row["PROD_SRVC_ID"] for row in csv.DictReader(fh, delimiter="|")]
    return {"gamenet_ndcs": share(gamenet, known), "bfd_synthea_pde_rows": share(pde, known)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="NDC map coverage")
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / ".." / "shared" / "data")
    args = parser.parse_args(argv)
    for name, (hits, total, rate) in measure(args.shared).items():
        print(f"{name}: {hits}/{total} = {rate:.1%}")


if __name__ == "__main__":
    main()
