"""``mtm generate --ndc-only``: claims identified by NDC alone, NDCs beyond the curated map."""

import csv
import datetime as dt

import polars as pl
from click.testing import CliRunner

from mtm.cli import main
from pipelines.reference.files import data_path
from pipelines.synth import generate


def test_ndc_only_extract_has_no_names_and_draws_fda_directory_products(tmp_path):
    out = tmp_path / "x"
    result = CliRunner().invoke(main, ["generate", "--members", "400", "--seed", "3", "--out", str(out),
                                       "--as-of", "2025-09-30", "--ndc-only"])
    assert result.exit_code == 0, result.output
    claims = pl.read_csv(out / "pharmacy_claim.csv", infer_schema_length=0)
    assert "generic_name" not in claims.columns and "drug_name" not in claims.columns
    with data_path("ndc_map.csv").open(newline="") as fh:
        curated = {r["ndc11"] for r in csv.DictReader(fh)}
    fda = set(pl.read_parquet(data_path("fda_ndc_map.parquet"), columns=["ndc11"])["ndc11"])
    ndcs = claims["ndc"]
    beyond = ndcs.is_in(list(fda - curated)).mean()
    assert beyond > 0.3  # most regimens sit on another labeler's package
    unlisted_of_known_product = ndcs.filter(~ndcs.is_in(list(fda | curated)) & (ndcs != "00000000000"))
    products = {n[:9] for n in fda | curated}
    assert unlisted_of_known_product.str.slice(0, 9).is_in(list(products)).sum() > 0
    again = tmp_path / "y"
    generate(members=400, seed=3, out_dir=again, as_of=dt.date(2025, 9, 30), ndc_only=True)
    assert (again / "pharmacy_claim.csv").read_bytes() == (out / "pharmacy_claim.csv").read_bytes()
