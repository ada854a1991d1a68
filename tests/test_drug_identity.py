"""Drug identity on NDC-only claims (targeting-rules.md section 2; issue 11): the FDA-derived NDC map, its
precedence below plan imports and the curated map, the product fallback, combination names, unknown
ingredients, the weight-management flag and the run report -- on real staged and core tables."""

from __future__ import annotations

import csv
import datetime as dt

import duckdb
import polars as pl
import pytest

from pipelines.engine.models import create_declared, install_macros
from pipelines.reference.files import data_path
from pipelines.reference.identity_report import drug_identity_report, identity_warnings
from pipelines.reference.names import normalise_generic_name
from pipelines.run_state.run_context import RunContext
from tests.extract_builder import fill, member, write_extract
from tests.staging_harness import build
from tests.template_home import seeded_home

D = dt.date(2025, 9, 30)
DATES = (D - dt.timedelta(days=60), D - dt.timedelta(days=20))
CURATED_ATORVASTATIN = "00071015523"  # ndc_map.csv
FDA_ATORVASTATIN = "53808095101"  # only in the FDA-derived map (another labeler)
UNLISTED = "99990000101"  # labeler 9999x: in no map, no known product


def core(tmp_path, claims, members=("M1",), tables=("core_fill", "core_active_drug"), con=None):
    extract = write_extract(tmp_path / "extract", eligibility=[member(m) for m in members], pharmacy_claim=claims)
    ctx = RunContext.create(home=seeded_home(tmp_path / "home"), extract_dirs=[extract], as_of=D)
    con = con or ctx.connect()
    install_macros(con)
    done: set[str] = set()
    for table in tables:
        build(con, ctx, table, done)
    return con


def levels(con, member_id="M1"):
    return con.execute(
        "SELECT ndc, drug_key, identity_level, ndc_map FROM core_fill WHERE member_id = ? ORDER BY ALL",
        [member_id]).fetchall()


def test_fda_map_is_compact_unique_and_keys_equal_the_generic_name_keys():
    path = data_path("fda_ndc_map.parquet")
    assert path.stat().st_size < 4_000_000
    df = pl.read_parquet(path)
    assert df.height > 240_000 and df["ndc11"].n_unique() == df.height
    assert df["ndc11"].str.contains(r"^\d{11}$").all()
    pairs = df.select("substance_name", "drug_key").unique()
    stale = [(s, k) for s, k in pairs.iter_rows() if normalise_generic_name(s) != k]
    assert not stale, f"rebuild with tools/build_fda_ndc_map.py: {stale[:5]}"
    assert set(df["rx_otc"].unique()) >= {"rx", "otc"}
    assert df.filter(pl.col("ndc11") == "00169280015")["weight_management"].to_list() == [True]  # Saxenda
    assert df.filter(pl.col("ndc11").str.starts_with("001694132"))["weight_management"].any() is False  # Ozempic


def test_weight_management_products_are_nine_digit_products_of_their_drug():
    fda = pl.read_parquet(data_path("fda_ndc_map.parquet")).with_columns(p=pl.col("ndc11").str.slice(0, 9))
    with data_path("weight_management_products.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["drug_key"] for r in rows} == {"semaglutide", "tirzepatide", "liraglutide"}
    for row in rows:
        assert len(row["product_ndc9"]) == 9 and row["product_ndc9"].isdigit()
        listed = fda.filter(pl.col("p") == row["product_ndc9"])["drug_key"].unique().to_list()
        assert listed in ([], [row["drug_key"]]), row


def test_one_drug_by_fda_ndc_curated_ndc_and_generic_name_is_one_key(tmp_path):
    con = core(tmp_path, [
        fill("M1", DATES[0], CURATED_ATORVASTATIN),
        fill("M1", DATES[0], FDA_ATORVASTATIN),
        fill("M1", DATES[1], UNLISTED, generic_name="Atorvastatin Calcium 40 mg Tab"),
    ])
    assert levels(con) == [
        (CURATED_ATORVASTATIN, "atorvastatin", "ndc", "curated"),
        (FDA_ATORVASTATIN, "atorvastatin", "ndc", "fda_ndc_directory"),
        (UNLISTED, "atorvastatin", "generic_name", None),
    ]
    assert con.execute("SELECT drug_key FROM core_active_drug").fetchall() == [("atorvastatin",)]
    # every way of reaching it carries the ingredient's ATC code: it is dyslipidemia evidence
    assert con.execute("SELECT DISTINCT atc_codes FROM core_fill").fetchall() == [(["C10AA05"],)]


def test_precedence_plan_import_then_curated_then_fda(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    create_declared(con, "ref_ndc_import")
    con.execute("INSERT INTO ref_ndc_import VALUES (?, 'rosuvastatin', 'oral', NULL, NULL, 'plan_crosswalk', "
                "now())", [FDA_ATORVASTATIN])
    core(tmp_path, [], tables=("ref_ndc_identity",), con=con)
    got = dict(con.execute("SELECT ndc11, (drug_key, ndc_map) FROM ref_ndc_identity WHERE ndc11 IN (?, ?, ?)",
                           [FDA_ATORVASTATIN, CURATED_ATORVASTATIN, "53808095901"]).fetchall())
    assert got == {FDA_ATORVASTATIN: ("rosuvastatin", "plan_import"),
                   CURATED_ATORVASTATIN: ("atorvastatin", "curated"),  # also in the FDA map
                   "53808095901": ("atorvastatin", "fda_ndc_directory")}
    assert con.execute("SELECT count(*) = count(DISTINCT ndc11) FROM ref_ndc_identity").fetchone() == (True,)


@pytest.mark.parametrize(("name", "key", "atc"), [
    ("lisinopril-hydrochlorothiazide", "hydrochlorothiazide / lisinopril", "C09BA03"),
    ("amlodipine besylate-benazepril hydrochloride", "amlodipine / benazepril", "C09BB13"),
    ("triamterene-hydrochlorothiazide", "hydrochlorothiazide / triamterene", "C03EA01"),
    ("valsartan-hydrochlorothiazide", "hydrochlorothiazide / valsartan", "C09DA03"),
])
def test_hyphenated_combination_names_get_the_combination_and_its_evidence(tmp_path, name, key, atc):
    con = core(tmp_path, [fill("M1", d, UNLISTED, generic_name=name) for d in DATES],
               tables=("core_fill", "core_active_drug", "core_member_condition"))
    assert con.execute("SELECT DISTINCT drug_key, atc_codes FROM core_fill").fetchall() == [(key, [atc])]
    assert con.execute("SELECT count(*) FROM core_active_drug").fetchone() == (1,)
    assert con.execute("SELECT cond_hypertension FROM core_member_condition").fetchall() == [(1,)]


def test_carbidopa_levodopa_and_pramipexole_dihydrochloride_are_matched(tmp_path):
    con = core(tmp_path, [fill("M1", DATES[0], UNLISTED, generic_name="carbidopa-levodopa 25-100 mg tab"),
                          fill("M1", DATES[0], "99990000201", generic_name="pramipexole dihydrochloride")])
    got = con.execute("SELECT drug_key, atc_codes FROM core_fill ORDER BY 1").fetchall()
    assert got == [("carbidopa / levodopa", ["N04BA02"]), ("pramipexole", ["N04BC05"])]


def test_product_fallback_takes_the_products_ingredients_route_and_form(tmp_path):
    con = core(tmp_path, [
        fill("M1", DATES[0], "00378250099"),  # FDA product 0378-2500 (tamsulosin), package not listed
        fill("M1", DATES[1], "00071015599", generic_name="simvastatin"),  # curated product: before the name
        fill("M1", DATES[1], "00054327098"),  # fluticasone nasal (curated product, nasal route)
        fill("M1", DATES[1], "99991000101", generic_name="metformin"),  # no known product: by name
        fill("M1", DATES[1], "99991000201"),  # nothing known: nine digits
    ])
    assert levels(con) == [
        ("00054327098", "fluticasone", "ndc_product", "curated"),
        ("00071015599", "atorvastatin", "ndc_product", "curated"),
        ("00378250099", "tamsulosin", "ndc_product", "fda_ndc_directory"),
        ("99991000101", "metformin", "generic_name", None),
        ("99991000201", "ndc9:999910002", "ndc9", None),
    ]
    local = dict(con.execute("SELECT ndc, local_use FROM core_fill").fetchall())
    assert local["00054327098"] is True and local["00378250099"] is False


def test_unknown_ingredient_counts_once_per_ingredient_set_and_is_reported(tmp_path):
    con = core(tmp_path, [
        fill("M1", DATES[0], "00440207010"),  # phenazopyridine, two labelers in the FDA map
        fill("M1", DATES[1], "10135062001"),
        fill("M1", DATES[1], UNLISTED, generic_name="Phenazopyridine HCl 200 mg Tab"),
        fill("M2", DATES[1], "00440207010"),
    ], members=("M1", "M2"))
    drugs = con.execute("SELECT member_id, drug_key, maintenance FROM core_active_drug ORDER BY 1").fetchall()
    assert drugs == [("M1", "phenazopyridine", False), ("M2", "phenazopyridine", False)]
    report = drug_identity_report(con)
    assert report["top_unknown_ingredients"][0] == {"drug_key": "phenazopyridine", "fills": 4, "members": 2}
    assert con.execute("SELECT DISTINCT atc_codes FROM core_fill").fetchall() == [([],)]


def test_weight_management_flag_on_core_fill(tmp_path):
    con = core(tmp_path, [
        fill("M1", DATES[0], "00169280015"),  # Saxenda (FDA map, flagged by proprietary name)
        fill("M1", DATES[0], "00169452414"),  # Wegovy 2.4 mg (newer than the snapshot: product list)
        fill("M1", DATES[0], "00169413212"),  # Ozempic: a diabetes drug
        fill("M1", DATES[0], CURATED_ATORVASTATIN),
    ])
    got = con.execute("SELECT ndc, drug_key, identity_level, weight_management FROM core_fill ORDER BY 1").fetchall()
    assert got == [
        (CURATED_ATORVASTATIN, "atorvastatin", "ndc", False),
        ("00169280015", "liraglutide", "ndc", True),
        ("00169413212", "semaglutide", "ndc", False),
        ("00169452414", "semaglutide", "ndc_product", True),
    ]


def test_report_counts_levels_and_members_and_warns_above_five_percent(tmp_path):
    claims = [fill(f"M{i}", DATES[1], CURATED_ATORVASTATIN) for i in range(1, 11)]
    claims.append(fill("M1", DATES[1], "99991000201"))  # M1 has an unidentified active drug: 1 of 10
    con = core(tmp_path, claims, members=[f"M{i}" for i in range(1, 11)])
    report = drug_identity_report(con)
    assert report["fills_by_identity_level"] == {"ndc": 10, "ndc_product": 0, "generic_name": 0, "ndc9": 1,
                                                 "compound": 0}
    assert report["members_by_identity_level"]["ndc"] == 10 and report["members_by_identity_level"]["ndc9"] == 1
    assert report["share_members_with_unidentified_active_drug"] == 0.1
    assert "10.0% of members with an active drug (1 of 10)" in identity_warnings(report)[0]
    assert identity_warnings({**report, "share_members_with_unidentified_active_drug": 0.05}) == []
