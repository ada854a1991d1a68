"""The synthetic population generator (pipelines.synth): layout, determinism, realism."""

from __future__ import annotations

import hashlib
import tomllib
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from pipelines.ingest.contract import TABLES
from pipelines.synth import generate, load_catalog
from pipelines.synth import model as M
from pipelines.synth.catalog import CATALOG_PATH
from pipelines.synth.evaluate import evaluate
from tests.shared_data import shared

AS_OF = date(2025, 9, 30)


def _read(d: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(d / f"{name}.csv", infer_schema_length=0)


@pytest.fixture(scope="module")
def pop(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("synth5k")
    counts = generate(5000, 11, d, AS_OF)
    assert counts["pharmacy_claim"] > 100_000
    return d


@pytest.fixture(scope="module")
def rx(pop) -> pl.DataFrame:
    return _read(pop, "pharmacy_claim")


@pytest.fixture(scope="module")
def elig(pop) -> pl.DataFrame:
    return _read(pop, "eligibility").with_columns(
        pl.col("enrollment_start_date", "enrollment_end_date", "birth_date", "death_date").str.to_date()
    )


def _digest(d: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.iterdir())}


# ---------------------------------------------------------------------------------------------
def test_same_seed_gives_byte_identical_files(tmp_path):
    for fmt in ("csv", "parquet"):
        a = generate(400, 5, tmp_path / f"a_{fmt}", AS_OF, fmt=fmt)
        b = generate(400, 5, tmp_path / f"b_{fmt}", AS_OF, fmt=fmt)
        assert a == b
        assert _digest(tmp_path / f"a_{fmt}") == _digest(tmp_path / f"b_{fmt}")
    generate(400, 6, tmp_path / "c", AS_OF)
    assert _digest(tmp_path / "c")["pharmacy_claim.csv"] != _digest(tmp_path / "a_csv")["pharmacy_claim.csv"]


def test_files_and_extract_toml(pop):
    names = {p.name for p in pop.iterdir()}
    assert names == {f"{t}.csv" for t in TABLES} | {"extract.toml"}
    meta = tomllib.loads((pop / "extract.toml").read_text())
    assert meta["as_of_date"] == "2025-09-30"
    assert meta["generator"]["members"] == 5000 and meta["generator"]["seed"] == 11


def test_every_contract_column_present_in_order(pop):
    for name, table in TABLES.items():
        header = (pop / f"{name}.csv").open().readline().strip().split(",")
        assert header == [c.name for c in table.columns], name
    # all 25 diagnosis positions in the medical claims file
    assert "diagnosis_code_25" in _read(pop, "medical_claim").columns


def test_value_formats(pop, rx, elig):
    assert rx["ndc"].str.contains(r"^\d{11}$").all()
    assert rx["ndc"].str.starts_with("0").any()  # leading zeros survive
    assert elig["zip_code"].str.starts_with("0").any()
    assert elig["zip_code"].str.contains(r"^\d{5}$").all()
    for col in ("fill_date",):
        assert rx[col].str.contains(r"^\d{4}-\d{2}-\d{2}$").all()
    assert rx["processed_at"].drop_nulls().str.contains(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$").all()
    assert rx["prescriber_npi"].str.contains(r"^\d{10}$").all()
    assert rx["pharmacy_npi"].str.contains(r"^\d{10}$").all()
    assert elig["member_id"].str.contains(r"^M\d{9}$").all()
    assert (
        elig["mbi"]
        .str.contains(
            r"^[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d[AC-HJKMNP-RT-Y]{2}\d{2}$"
        )
        .all()
    )  # noqa: E501
    assert elig["contract_id"].str.contains(r"^[HSR]\d{4}$").all()
    assert set(elig["contract_id"]) == {c[0] for c in M.CONTRACTS}
    assert set(elig["pbp_id"]) <= {"001", "002", "003"}
    assert set(elig["sex"]) <= {"M", "F", "U"}
    ds = rx["days_supply"].cast(pl.Int32)
    assert ds.min() >= 1 and ds.max() <= 365
    money = rx.select(pl.col("gross_drug_cost", "patient_pay_amount", "plan_paid_amount").cast(pl.Float64))
    assert (money.min_horizontal() >= 0).all()
    assert ((money["patient_pay_amount"] + money["plan_paid_amount"] - money["gross_drug_cost"]).abs() < 0.011).all()
    assert rx["gross_drug_cost"].str.contains(r"^\d+\.\d{2}$").all()


def test_parquet_types(tmp_path):
    counts = generate(300, 3, tmp_path, AS_OF, fmt="parquet")
    assert counts["eligibility"] >= 300
    rx = pq.read_schema(tmp_path / "pharmacy_claim.parquet")
    assert str(rx.field("fill_date").type) == "date32[day]"
    assert str(rx.field("gross_drug_cost").type).startswith("decimal")
    assert str(rx.field("days_supply").type) == "int32"
    assert str(rx.field("part_d_covered").type) == "bool"
    assert str(rx.field("processed_at").type).startswith("timestamp")
    assert "string" in str(rx.field("ndc").type)
    df = pl.read_parquet(tmp_path / "pharmacy_claim.parquet")
    assert df["ndc"].str.contains(r"^\d{11}$").all()
    el = pq.read_schema(tmp_path / "eligibility.parquet")
    assert str(el.field("enrollment_end_date").type) == "date32[day]"


def test_catalog():
    cat = pl.read_csv(CATALOG_PATH, infer_schema_length=0)
    for col in ("ndc11", "drug_key", "generic_name", "drug_name", "route", "condition",
                "days_supply_options", "unit_cost_30d", "brand"):  # fmt: skip
        assert col in cat.columns
    assert cat["ndc11"].str.contains(r"^\d{11}$").all()
    assert 100 <= cat.height <= 250
    real = cat.filter(pl.col("in_reference") == "true")
    assert real["ndc11"].n_unique() == real.height
    assert (real["drug_key"] == real["drug_key"].str.to_lowercase()).all()
    assert "amlodipine / benazepril" in set(cat["drug_key"])
    assert "00000000000" in set(cat["ndc11"])
    fab = shared("data", "ref_ndc_fda_atc_fabkury", "ndc11_rxcui_ingredient_atc_2020_06_17.csv.gz")
    if fab.exists():
        known = set(pl.read_csv(fab, columns=["ndc11"], infer_schema_length=0)["ndc11"])
        assert set(real["ndc11"]) <= known
        assert not set(cat.filter(pl.col("in_reference") == "false")["ndc11"]) & known
    # every product the model refers to is in the catalog
    c = load_catalog()
    names = [k for _, ch in sum(M.SLOTS.values(), []) for k in ch] + list(M.ACUTE) + list(M.HIV_ALTERNATIVE)
    names += [k for _, ch, _ in M.OTHER_SLOTS for k in ch] + list(M.CHRONIC_OPIOID[1]) + list(M.BENZO[2])
    assert set(names) <= set(c.names)


def test_icd_codes_are_real():
    ICD10_FY24 = shared("data", "ref_icd10cm", "icd10cm_codes_fy2024_billable.csv")
    ICD10_ALL = shared("data", "ref_icd10cm", "icd10cm_2026_april_all_codes.csv")
    billable = set(pl.read_csv(ICD10_FY24, infer_schema_length=0)["code"])
    allc = set(pl.read_csv(ICD10_ALL, infer_schema_length=0)["code"])
    used = [k for d in M.DX_CODES.values() for k in d] + list(M.NOISE_CODES) + list(M.HOSPICE_CODES)
    assert set(used) <= billable
    assert not set(M.INVALID_CODES) & allc
    prefixes = pl.read_csv(shared("spec", "reference", "core_condition_icd10.csv"))
    for cond, codes in M.DX_CODES.items():
        pre = prefixes.filter(pl.col("core_condition") == cond)["icd10cm_prefix"].to_list()
        assert all(any(c.startswith(p) for p in pre) for c in codes), cond


# ---------------------------------------------------------------------------------------------
def test_age_sex_language_mix(elig):
    m = elig.unique("member_id")
    age = m.select(((pl.lit(AS_OF) - pl.col("birth_date")).dt.total_days() / 365.25).alias("a"))["a"]
    assert 0.08 <= (age < 65).mean() <= 0.16
    assert 1 <= (age < 18).sum() <= 10
    assert 0.40 <= ((age >= 65) & (age < 75)).mean() <= 0.62
    assert 0.08 <= (age >= 85).mean() <= 0.25
    assert 0.50 <= (m["sex"] == "F").mean() <= 0.60
    lang = m["preferred_language"].value_counts().sort("count", descending=True)
    assert lang["preferred_language"][0] == "en" and {"es", "zh", "vi"} <= set(lang["preferred_language"])


def test_prevalence_and_targeting_are_plausible(pop):
    o = evaluate(pop, AS_OF, threshold=1623.0)
    n = o.height
    rates = o.explode("cond")["cond"].value_counts().with_columns(pl.col("count") / n)
    r = dict(rates.drop_nulls().iter_rows())
    bounds = {"hypertension": (0.50, 0.68), "dyslipidemia": (0.38, 0.56), "diabetes": (0.22, 0.36),
              "mental_health": (0.13, 0.26), "bone_arthritis": (0.14, 0.30),
              "heart_failure": (0.07, 0.16), "respiratory": (0.09, 0.20), "alzheimers": (0.04, 0.11),
              "esrd": (0.003, 0.02), "hiv_aids": (0.0005, 0.008)}  # fmt: skip
    for cond, (lo, hi) in bounds.items():
        assert lo <= r.get(cond, 0) <= hi, (cond, r.get(cond))
    meets = o["meets"].mean()
    assert 0.08 <= meets <= 0.18, meets
    # all three criteria bind somewhere
    assert o.filter((pl.col("core_conditions") >= 3) & (pl.col("part_d_drugs") >= 8) & ~pl.col("meets")).height > 0
    assert 2 <= o["part_d_drugs"].mean() <= 7


def test_versions_reversals_duplicates(rx):
    n_claims = rx["claim_id"].n_unique()
    rev = rx.filter(pl.col("claim_status") == "reversed")
    assert 0.01 <= rev.height / n_claims <= 0.03
    per = rx.group_by("claim_id").agg(
        pl.len().alias("k"),
        pl.col("gross_drug_cost").n_unique().alias("costs"),
        (pl.col("claim_status") == "reversed").any().alias("rev"),
        pl.col("claim_status").last().alias("last"),
    )
    readj = per.filter((pl.col("costs") > 1) & ~pl.col("rev"))
    assert 0.01 <= readj.height / n_claims <= 0.03
    # reversed and then paid again (latest version paid)
    assert per.filter(pl.col("rev") & (pl.col("last") == "paid")).height > 0
    dups = rx.height - rx.unique().height
    assert 0 < dups < 0.01 * rx.height
    # versions come later than the original
    v = rx.filter(pl.col("claim_id").is_in(rev["claim_id"].implode()))
    first = v.group_by("claim_id").agg(pl.col("processed_at").drop_nulls().min().alias("p0"))
    assert (rev.join(first, on="claim_id")["processed_at"] >= rev.join(first, on="claim_id")["p0"]).all()
    assert rx["processed_at"].null_count() > 0  # a few versions without a timestamp


def test_drug_realism(rx):
    cat = pl.read_csv(CATALOG_PATH, infer_schema_length=0)
    assert set(rx["ndc"]) <= set(cat["ndc11"])
    assert {"30", "90"} <= set(rx["days_supply"])
    assert set(rx["route"].drop_nulls()) >= {"oral", "ophthalmic", "nasal", "inhalation", "subcutaneous"}
    assert rx["route"].null_count() > 0
    comp = rx.filter(pl.col("ndc") == "00000000000")
    assert comp.height > 0 and comp["generic_name"].null_count() < 0.1 * comp.height
    unmapped = set(cat.filter(pl.col("in_reference") == "false")["ndc11"]) - {"00000000000"}
    assert rx.filter(pl.col("ndc").is_in(list(unmapped))).height > 0
    assert rx.filter(pl.col("part_d_covered") == "false").height > 0
    assert {"C", "E", "O"} == set(rx["drug_coverage_status_code"])
    gn = set(rx["generic_name"].drop_nulls())
    assert {"atorvastatin calcium", "Atorvastatin Calcium", "Metformin HCl"} <= gn
    assert rx["generic_name"].null_count() > 0
    assert rx["refill_number"].cast(pl.Int32).max() >= 3
    assert rx["drug_name"].is_in(["Entresto", "Lantus", "Eliquis", "Biktarvy", "Lipitor"]).sum() > 0
    assert rx.filter(pl.col("drug_name") == "Entresto").height > 0
    # brand costs dwarf generic costs
    g = rx.with_columns(pl.col("gross_drug_cost").cast(pl.Float64), pl.col("days_supply").cast(pl.Int32))
    per30 = g.group_by("drug_name").agg((pl.col("gross_drug_cost") / pl.col("days_supply") * 30).median())
    d = dict(per30.iter_rows())
    assert d["Eliquis"] > 10 * d["Lisinopril Tablet"]


def test_opioid_benzo_overlap_and_anticholinergics(rx):
    opi = {"Tramadol HCl Tablet", "Hydrocodone-Acetaminophen Tablet", "Oxycodone HCl Tablet"}
    benzo = {"Alprazolam Tablet", "Lorazepam Tablet", "Clonazepam Tablet"}
    who = rx.group_by("member_id").agg(
        pl.col("drug_name").is_in(list(opi)).sum().alias("o"),
        pl.col("drug_name").is_in(list(benzo)).sum().alias("b"),
        pl.col("drug_name").is_in(["Oxybutynin Chloride ER Tablet", "Amitriptyline HCl Tablet",
                                   "Paroxetine HCl Tablet", "Hydroxyzine HCl Tablet"]).sum().alias("ach"),
    )  # fmt: skip
    assert who.filter((pl.col("o") >= 3) & (pl.col("b") >= 3)).height >= 5
    assert who.filter(pl.col("ach") >= 4).height >= 5


def test_adherence_varies(rx):
    """Some members are adherent, some far below 80% PDC for statins."""
    st = rx.filter(pl.col("drug_name").str.contains("Atorvastatin|Rosuvastatin|Simvastatin|Pravastatin"))
    st = (
        st.filter(pl.col("claim_status") == "paid")
        .unique("claim_id")
        .with_columns(pl.col("fill_date").str.to_date(), pl.col("days_supply").cast(pl.Int32))
        .filter(pl.col("fill_date") >= date(2025, 1, 1))
    )
    pdc = (
        st.group_by("member_id")
        .agg(
            pl.col("days_supply").sum().alias("s"),
            ((pl.lit(AS_OF) - pl.col("fill_date").min()).dt.total_days() + 1).alias("span"),
            pl.len().alias("k"),
        )
        .filter((pl.col("k") >= 2) & (pl.col("span") >= 91))
    )
    ratio = (pdc["s"] / pdc["span"]).clip(0, 1)
    assert 0.55 <= (ratio >= 0.8).mean() <= 0.92
    assert (ratio < 0.6).sum() > 0


def test_enrollment_patterns(elig, rx):
    spans = elig.group_by("member_id").agg(pl.len().alias("k"), pl.col("contract_id").n_unique().alias("c"))
    assert spans.filter(pl.col("c") >= 2).height >= 50  # contract changes
    ended = elig.filter(pl.col("enrollment_end_date") < AS_OF)
    assert ended.height > 100
    assert elig.filter(pl.col("death_date") <= AS_OF)["member_id"].n_unique() > 100
    assert elig.filter(pl.col("enrollment_start_date") >= AS_OF - timedelta(days=60))["member_id"].n_unique() > 30
    # no overlapping spans within a contract
    s = elig.sort("member_id", "contract_id", "enrollment_start_date").with_columns(
        pl.col("enrollment_end_date").shift().over("member_id", "contract_id").alias("prev_end")
    )
    assert (
        s.filter(pl.col("prev_end").is_not_null() & (pl.col("enrollment_start_date") <= pl.col("prev_end"))).height == 0
    )
    first_start = elig.group_by("member_id").agg(pl.col("enrollment_start_date").min(), pl.col("death_date").min())
    assert first_start.filter(pl.col("death_date") < pl.col("enrollment_start_date")).height == 0
    closed = elig.filter(pl.col("enrollment_end_date").is_not_null())
    assert (closed["enrollment_end_date"] >= closed["enrollment_start_date"]).all()
    for flag in ("ltc_resident", "hospice", "esrd", "lis"):
        assert (elig[flag] == "true").sum() > 0, flag
    # pending fills: dated outside every span of a known member
    f = rx.select("claim_id", "member_id", pl.col("fill_date").str.to_date()).unique("claim_id")
    j = f.join(elig.select("member_id", "enrollment_start_date", "enrollment_end_date"), on="member_id")
    inside = j.filter(
        (pl.col("fill_date") >= pl.col("enrollment_start_date"))
        & (pl.col("enrollment_end_date").is_null() | (pl.col("fill_date") <= pl.col("enrollment_end_date")))
    )["claim_id"].unique()
    pending = f.filter(~pl.col("claim_id").is_in(inside.implode()))
    assert 20 <= pending.height <= 0.02 * f.height
    assert set(rx["member_id"]) <= set(elig["member_id"])
    assert rx["fill_date"].str.to_date().max() <= AS_OF


def test_medical_claims(pop, elig):
    mc = _read(pop, "medical_claim")
    types = mc["claim_type"].value_counts()
    t = dict(types.iter_rows())
    assert set(t) == {"professional", "outpatient", "inpatient", "snf", "home_health", "hospice"}
    assert t["professional"] > 0.6 * mc.height and t["inpatient"] < 0.08 * mc.height
    dx = mc.select([f"diagnosis_code_{i}" for i in range(1, 26)])
    filled = dx.select(pl.all().is_not_null().sum())
    assert filled["diagnosis_code_1"][0] == mc.height
    assert filled["diagnosis_code_8"][0] > 0 and filled["diagnosis_code_13"][0] == 0
    codes = pl.concat([dx[c] for c in dx.columns]).drop_nulls()
    assert codes.str.contains(".", literal=True).mean() > 0.1
    assert codes.str.contains(r"^[A-Z]\d[0-9A-Z]").all()
    # PDP (S contract) members have no medical claims
    pdp_only = (
        elig.group_by("member_id").agg(pl.col("contract_id").last()).filter(pl.col("contract_id").str.starts_with("S"))
    )
    assert mc.filter(pl.col("member_id").is_in(pdp_only["member_id"].implode())).height == 0
    assert (mc["claim_status"] == "reversed").sum() > 0
    assert (mc["claim_end_date"].str.to_date() >= mc["claim_start_date"].str.to_date()).all()
    # some conditions evidenced by a single professional claim only
    one = (
        mc.filter(pl.col("claim_type") == "professional")
        .group_by("member_id", "diagnosis_code_1")
        .len()
        .filter(pl.col("len") == 1)
    )
    assert one.height > 0


def test_mtm_events_dmp_and_statuses(pop):
    ev = _read(pop, "mtm_event")
    assert set(ev["event_type"]) == set(TABLES["mtm_event"].column("event_type").allowed)
    cmr = ev.filter(pl.col("event_type") == "cmr_completed")
    assert cmr["delivery_method"].null_count() == 0 and cmr["recipient"].null_count() == 0
    assert set(cmr["delivery_method"]) <= set(TABLES["mtm_event"].column("delivery_method").allowed)
    oo = ev.filter(pl.col("event_type") == "opted_out")
    assert {"requested", "death"} <= set(oo["opt_out_reason"])
    d = ev["event_date"].str.to_date()
    assert d.max() <= AS_OF and (d >= date(2025, 1, 1)).mean() > 0.8
    assert (ev["cognitively_impaired"] == "true").sum() > 0
    # issue 12: attempts carry channel and outcome (nothing else does); events name their contract
    att = ev.filter(pl.col("event_type") == "outreach_attempt")
    assert att["channel"].null_count() == 0 and att["outcome"].null_count() == 0
    assert set(att["channel"]) <= set(TABLES["mtm_event"].column("channel").allowed)
    assert ev.filter(pl.col("event_type") != "outreach_attempt")["channel"].null_count() == ev.height - att.height
    assert 0.8 < ev["contract_id"].is_not_null().mean() < 1.0
    # a decline is never followed by a CMR of the same member; last year's CMRs exist (annual re-offers)
    declined = set(ev.filter(pl.col("event_type") == "cmr_declined")["member_id"])
    done = set(ev.filter((pl.col("event_type") == "cmr_completed") & (d >= date(2025, 1, 1)))["member_id"])
    assert declined and not declined & done
    assert ev.filter((pl.col("event_type") == "cmr_offered") & (d < date(2025, 1, 1))).height > 0
    # drug therapy problems: a typed recommendation, the prescriber's answer, the resolution, one dtp_id
    dtp = ev.filter(pl.col("event_type").str.starts_with("dtp_") | (pl.col("event_type") == "prescriber_response"))
    assert dtp["dtp_id"].null_count() == 0 and ev["dtp_id"].null_count() == ev.height - dtp.height
    rec = dtp.filter(pl.col("event_type") == "dtp_recommendation")
    assert rec["dtp_id"].is_unique().all()
    assert set(rec["dtp_type"]) <= set(TABLES["mtm_event"].column("dtp_type").allowed)
    answered = dtp.filter(pl.col("event_type") != "dtp_recommendation")
    assert set(answered["dtp_id"]) <= set(rec["dtp_id"]) and answered["prescriber_response"].null_count() == 0
    assert {"accepted", "declined"} <= set(answered["prescriber_response"])
    arb = _read(pop, "dmp_arb")
    assert 3 <= arb.height <= 60
    assert arb["arb_end_date"].null_count() > 0 and arb["arb_end_date"].drop_nulls().len() > 0
    st = _read(pop, "member_status")
    assert set(st["status"]) == {"hospice", "ltc_resident", "esrd", "lis"}
    assert st["status_end_date"].null_count() > 0
    ok = st.filter(pl.col("status_end_date").is_not_null())
    assert (ok["status_end_date"].str.to_date() >= ok["status_start_date"].str.to_date()).all()


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        generate(10, 1, tmp_path, AS_OF, fmt="xlsx")
    with pytest.raises(ValueError):
        generate(0, 1, tmp_path, AS_OF)
