"""Worked examples of the PQA measures (targeting-rules.md section 9) on the models that compute them.

A member per example; the measure layer (core_member .. qm_member_year, qm_excluded_interval,
qm_safety_overlap, qm_pdc/cob/poly/supd_member, quality_measure_members, quality_measures,
qm_member_adherence_gap) is built once for the module by the model harness from given rows (issue 24): the
eligibility, member-status and medical-claim rows as staging holds them, and the counted fills as core_fill
holds them (drug identity from NDCs is core_fill_product's rule, tested in test_drug_identity.py and
test_i25_products.py). As of 2025-09-30, measurement year 2025: 273 days from 1 January, 92 days left to
31 December.
"""

from __future__ import annotations

import datetime as dt
import itertools

import duckdb
import polars as pl
import pytest

from pipelines.engine.models import catalog
from pipelines.publishing.exports.measures import MEMBER_COLUMNS, exact_quality_measures
from tests.model_harness import ModelHarness

AS_OF = dt.date(2025, 9, 30)
D = dt.date.fromisoformat
_ids = itertools.count(1)
MEASURE_CHAIN = [
    "core_member_status", "core_member", "core_member_span", "core_year_fill", "qm_member_year",
    "qm_excluded_interval", "qm_member_exclusion_dx", "qm_safety_overlap", "qm_pdc_member", "qm_cob_member",
    "qm_poly_member", "qm_supd_member", "qm_cmr_event", "qm_cmr_member", "quality_measure_members",
    "quality_measures", "qm_member_adherence_gap",
]


def fill(member_id: str, drug_key: str, day: dt.date, supply: int) -> dict:
    """A counted, systemic (oral) fill as core_fill holds it."""
    return {"claim_id": f"RX{next(_ids):06d}", "member_id": member_id, "fill_date": day, "days_supply": supply,
            "last_covered_day": day + dt.timedelta(days=supply - 1), "drug_key": drug_key, "atc_codes": [],
            "route": "oral", "local_use": False, "systemic": True, "weight_management": False,
            "fill_status": "counted", "identity_level": "ndc"}


def fills(member_id: str, drug: str, *dated: tuple[str, int]) -> list[dict]:
    return [fill(member_id, drug, D(day), supply) for day, supply in dated]


def every_30_days(member_id: str, drug: str, first: str, count: int) -> list[dict]:
    start = D(first)
    return [fill(member_id, drug, start + dt.timedelta(days=30 * k), 30) for k in range(count)]


def member(member_id: str, **overrides) -> dict:
    """An eligibility row as stg_eligibility holds it (enrolled in H1234 since 2024)."""
    row = {"member_id": member_id, "contract_id": "H1234", "pbp_id": "001", "enrollment_start_date": D("2024-01-01"),
           "birth_date": D("1950-06-15"), "sex": "F", "_seq": next(_ids)}
    return row | {k: D(v) if k.endswith("_date") else v for k, v in overrides.items()}


def medical(member_id: str, claim_type: str, start: str, *codes: str, claim_end_date: str | None = None) -> dict:
    """A medical claim as stg_medical_claim holds it (codes as given: stg_diagnosis gets them normalised)."""
    row = {"claim_id": f"MC{next(_ids):06d}", "member_id": member_id, "claim_type": claim_type,
           "claim_start_date": D(start), "claim_end_date": D(claim_end_date) if claim_end_date else None,
           "icd_version": "10", "_seq": next(_ids)}
    return row | {f"diagnosis_code_{i}": code for i, code in enumerate(codes, start=1)}


def diagnoses(claim: dict) -> list[dict]:
    return [{"claim_id": claim["claim_id"], "member_id": claim["member_id"], "claim_type": claim["claim_type"],
             "claim_start_date": claim["claim_start_date"], "icd_version": "10", "code": code.replace(".", "")}
            for key, code in claim.items() if key.startswith("diagnosis_code_")]


MEMBERS: dict[str, dict] = {
    "shift": {"rx": fills("shift", "atorvastatin", ("2025-01-01", 30), ("2025-01-21", 30), ("2025-06-01", 30))},
    "two_drugs_one_day": {"rx": fills("two_drugs_one_day", "atorvastatin", ("2025-01-01", 30), ("2025-03-01", 30))
                          + fills("two_drugs_one_day", "rosuvastatin", ("2025-01-01", 30))},
    "cut": {"rx": fills("cut", "atorvastatin", ("2025-06-01", 90), ("2025-08-30", 90))},
    "inpatient": {"rx": fills("inpatient", "atorvastatin", ("2025-03-01", 30), ("2025-03-31", 30)),
                  "dx": [medical("inpatient", "inpatient", "2025-03-10", "I10", claim_end_date="2025-03-19")]},
    "first_fill_90_days": {"rx": fills("first_fill_90_days", "atorvastatin", ("2025-07-02", 30), ("2025-08-01", 30))},
    "first_fill_91_days": {"rx": fills("first_fill_91_days", "atorvastatin", ("2025-07-01", 30), ("2025-08-01", 30))},
    "died": {"rx": fills("died", "atorvastatin", ("2025-01-01", 90), ("2025-04-01", 90)),
             "elig": {"death_date": "2025-06-30"}},
    "hospice_in_february": {"rx": fills("hospice_in_february", "atorvastatin", ("2025-01-01", 90), ("2025-04-01", 90)),
                            "status": [("hospice", "2025-02-01", "2025-02-28")]},
    "esrd_last_year_and_this": {"rx": fills("esrd_last_year_and_this", "atorvastatin", ("2025-01-01", 90),
                                            ("2025-04-01", 90)),
                                "status": [("esrd", "2024-06-01", "2025-01-15")]},
    "esrd_only_last_year": {"rx": fills("esrd_only_last_year", "atorvastatin", ("2025-01-01", 90), ("2025-04-01", 90)),
                            "status": [("esrd", "2024-01-01", "2024-12-31")]},
    "sacubitril": {"rx": fills("sacubitril", "lisinopril", ("2025-01-01", 90), ("2025-04-01", 90))
                   + fills("sacubitril", "sacubitril / valsartan", ("2025-07-01", 30))},
    "insulin": {"rx": fills("insulin", "metformin", ("2025-01-01", 90), ("2025-04-01", 90))
                + fills("insulin", "insulin glargine", ("2025-05-01", 30))},
    "recoverable": {"rx": every_30_days("recoverable", "atorvastatin", "2025-01-01", 7)},
    "not_recoverable": {"rx": every_30_days("not_recoverable", "atorvastatin", "2025-01-01", 6)
                        + fills("not_recoverable", "atorvastatin", ("2025-06-30", 10))},
    # COB: opioid covered Jan 1 .. Mar 2; benzodiazepine 30 vs 29 days inside it
    "cob_30": {"rx": fills("cob_30", "oxycodone", ("2025-01-01", 30), ("2025-01-31", 30))
               + fills("cob_30", "alprazolam", ("2025-01-01", 15), ("2025-01-16", 15))},
    "cob_29": {"rx": fills("cob_29", "oxycodone", ("2025-01-01", 30), ("2025-01-31", 30))
               + fills("cob_29", "alprazolam", ("2025-01-02", 15), ("2025-01-17", 14))},
    "cob_one_benzo_fill": {"rx": fills("cob_one_benzo_fill", "oxycodone", ("2025-01-01", 30), ("2025-01-31", 30))
                           + fills("cob_one_benzo_fill", "alprazolam", ("2025-01-01", 60))},
    "cob_one_opioid_fill": {"rx": fills("cob_one_opioid_fill", "oxycodone", ("2025-01-01", 60))
                            + fills("cob_one_opioid_fill", "alprazolam", ("2025-01-01", 30), ("2025-01-31", 30))},
    "cob_14_days_opioid": {"rx": fills("cob_14_days_opioid", "oxycodone", ("2025-01-01", 7), ("2025-01-08", 7))},
    "cob_cancer": {"rx": fills("cob_cancer", "oxycodone", ("2025-01-01", 30), ("2025-01-31", 30))
                   + fills("cob_cancer", "alprazolam", ("2025-01-01", 15), ("2025-01-16", 15)),
                   "dx": [medical("cob_cancer", "inpatient", "2025-02-10", "C50.911", claim_end_date="2025-02-10")]},
    # Poly-ACH: oxybutynin covered Jan 1 .. Feb 14; hydroxyzine 30 vs 29 days, or filled once
    "ach_30": {"rx": fills("ach_30", "oxybutynin", ("2025-01-01", 30), ("2025-01-16", 30))
               + fills("ach_30", "hydroxyzine", ("2025-01-01", 15), ("2025-01-16", 15))},
    "ach_29": {"rx": fills("ach_29", "oxybutynin", ("2025-01-01", 30), ("2025-01-16", 30))
               + fills("ach_29", "hydroxyzine", ("2025-01-02", 15), ("2025-01-17", 14))},
    "ach_one_fill": {"rx": fills("ach_one_fill", "oxybutynin", ("2025-01-01", 30), ("2025-01-16", 30))
                     + fills("ach_one_fill", "hydroxyzine", ("2025-01-01", 60))},
    "ach_age_64": {"rx": fills("ach_age_64", "oxybutynin", ("2025-01-01", 30), ("2025-01-16", 30))
                   + fills("ach_age_64", "hydroxyzine", ("2025-01-01", 15), ("2025-01-16", 15)),
                   "elig": {"birth_date": "1960-06-15"}},
    "cns_30": {"rx": fills("cns_30", "sertraline", ("2025-01-01", 30), ("2025-01-31", 30))
               + fills("cns_30", "gabapentin", ("2025-01-01", 30), ("2025-01-31", 30))
               + fills("cns_30", "zolpidem", ("2025-01-01", 15), ("2025-01-16", 15))},
    "cns_seizure": {"rx": fills("cns_seizure", "sertraline", ("2025-01-01", 30), ("2025-01-31", 30))
                    + fills("cns_seizure", "gabapentin", ("2025-01-01", 30), ("2025-01-31", 30))
                    + fills("cns_seizure", "zolpidem", ("2025-01-01", 15), ("2025-01-16", 15)),
                    "dx": [medical("cns_seizure", "professional", "2025-03-01", "G40.909")]},
    # SUPD
    "supd_statin": {"rx": fills("supd_statin", "metformin", ("2025-01-01", 30), ("2025-02-01", 30))
                    + fills("supd_statin", "atorvastatin", ("2025-05-01", 30))},
    "supd_no_statin": {"rx": fills("supd_no_statin", "metformin", ("2025-01-01", 30), ("2025-02-01", 30))},
    "supd_age_76": {"rx": fills("supd_age_76", "metformin", ("2025-01-01", 30), ("2025-02-01", 30)),
                    "elig": {"birth_date": "1948-06-15"}},
    "supd_prediabetes": {"rx": fills("supd_prediabetes", "metformin", ("2025-01-01", 30), ("2025-02-01", 30)),
                         "dx": [medical("supd_prediabetes", "professional", "2025-03-01", "R73.03")]},
    "supd_one_date": {"rx": fills("supd_one_date", "metformin", ("2025-01-01", 30))
                      + fills("supd_one_date", "metformin", ("2025-01-01", 30))},
}


@pytest.fixture(scope="module")
def measures(schema_warehouse):
    eligibility = [member(m, **spec.get("elig", {})) for m, spec in MEMBERS.items()]
    pharmacy = [row for spec in MEMBERS.values() for row in spec.get("rx", [])]
    claims = [row for spec in MEMBERS.values() for row in spec.get("dx", [])]
    status = [{"member_id": m, "status": s, "status_start_date": D(a), "status_end_date": D(b), "_seq": next(_ids)}
              for m, spec in MEMBERS.items() for s, a, b in spec.get("status", [])]
    built = ModelHarness(schema_warehouse).chain(
        MEASURE_CHAIN, stg_eligibility=eligibility, stg_member_status=status, stg_medical_claim=claims,
        stg_diagnosis=[d for c in claims for d in diagnoses(c)], core_fill=pharmacy)
    aggregate = pl.DataFrame(built["quality_measures"], infer_schema_length=None).sort("contract_id",
                                                                                     "display_order")
    return {"members": pl.DataFrame(built["quality_measure_members"], infer_schema_length=None),
            "aggregate": exact_quality_measures(aggregate),  # quality_measures.csv as the run writes it
            "gaps": {r["member_id"]: r["adherence_gaps"] for r in built["qm_member_adherence_gap"]},
            "schema_warehouse": schema_warehouse}


def row(measures, member_id: str, measure_id: str) -> dict | None:
    found = measures["members"].filter((pl.col("member_id") == member_id) & (pl.col("measure_id") == measure_id))
    return found.row(0, named=True) if found.height else None


def test_member_file_columns_are_the_contract(measures):
    """quality_measure_members.parquet is these columns of the model, in this order (the export selects them)."""
    assert MEMBER_COLUMNS == [
        "member_id", "contract_id", "measure_id", "in_denominator", "in_numerator", "exclusion_reason", "pdc",
        "days_covered", "days_in_period", "recoverable", "days_may_still_miss"]
    assert set(MEMBER_COLUMNS) <= set(measures["members"].columns)


def test_overlapping_fills_of_one_drug_shift(measures):
    r = row(measures, "shift", "pdc_sta")  # Jan 1-30, Jan 21 fill shifted to Jan 31-Mar 1, Jun 1-30
    assert (r["days_covered"], r["days_in_period"]) == (90, 273)
    assert float(r["pdc"]) == pytest.approx(0.3297)


def test_different_drugs_on_one_day_do_not_shift(measures):
    r = row(measures, "two_drugs_one_day", "pdc_sta")  # Jan 1-30 (both statins), Mar 1-30
    assert (r["days_covered"], r["days_in_period"]) == (60, 273)


def test_supply_past_the_period_end_is_cut(measures):
    r = row(measures, "cut", "pdc_sta")  # Jun 1 .. Sep 30 = 122 days, 180 days dispensed
    assert (r["days_covered"], r["days_in_period"], float(r["pdc"])) == (122, 122, 1.0)
    assert r["in_numerator"]


def test_inpatient_stay_leaves_the_period_and_carries_the_supply_over(measures):
    # period Mar 1 .. Sep 30 = 214 days, minus the 10-day stay (Mar 10-19) = 204; the Mar 1 fill covers
    # Mar 1-9 and Mar 20 - Apr 9, the Mar 31 fill (same drug) shifts to Apr 10 - May 9
    r = row(measures, "inpatient", "pdc_sta")
    assert (r["days_covered"], r["days_in_period"]) == (60, 204)


def test_first_fill_must_be_91_days_before_the_period_end(measures):
    assert row(measures, "first_fill_90_days", "pdc_sta") is None
    assert row(measures, "first_fill_91_days", "pdc_sta")["in_denominator"]


def test_period_is_cut_at_death(measures):
    r = row(measures, "died", "pdc_sta")  # Jan 1 .. Jun 30
    assert (r["days_covered"], r["days_in_period"]) == (180, 181)
    assert not r["recoverable"]


@pytest.mark.parametrize(("member_id", "measure_id", "reason"), [
    ("hospice_in_february", "pdc_sta", "hospice"),
    ("esrd_last_year_and_this", "pdc_sta", "esrd"),
    ("sacubitril", "pdc_rasa", "sacubitril_valsartan"),
    ("insulin", "pdc_dr", "insulin"),
    ("cob_cancer", "cob", "cancer"),
    ("cns_seizure", "poly_cns", "seizure_disorder"),
    ("supd_prediabetes", "supd", "prediabetes"),
])
def test_each_exclusion(measures, member_id, measure_id, reason):
    r = row(measures, member_id, measure_id)
    assert (r["exclusion_reason"], r["in_denominator"], r["in_numerator"]) == (reason, False, False)


def test_a_status_that_ended_before_the_year_does_not_exclude(measures):
    r = row(measures, "esrd_only_last_year", "pdc_sta")
    assert r["exclusion_reason"] is None and r["in_denominator"]


def test_recoverable_gap_arithmetic(measures):
    # 210 of 273 days covered (76.9%); with the 92 days left all covered: 302 of 365 = 82.7% >= 80%;
    # the member may still miss floor(302 - 0.8 x 365) = 10 days
    r = row(measures, "recoverable", "pdc_sta")
    assert (r["days_covered"], r["recoverable"], r["days_may_still_miss"]) == (210, True, 10)
    # 190 covered: 282 of 365 = 77.3% at best: not recoverable
    r = row(measures, "not_recoverable", "pdc_sta")
    assert (r["days_covered"], r["recoverable"], r["days_may_still_miss"]) == (190, False, None)


def test_cob_30_overlap_days_count_29_do_not(measures):
    assert row(measures, "cob_30", "cob")["in_numerator"]
    r = row(measures, "cob_29", "cob")
    assert r["in_denominator"] and not r["in_numerator"]


def test_cob_two_fill_rules(measures):
    r = row(measures, "cob_one_benzo_fill", "cob")  # in the denominator, one benzodiazepine fill is not use
    assert r["in_denominator"] and not r["in_numerator"]
    assert row(measures, "cob_one_opioid_fill", "cob") is None
    assert row(measures, "cob_14_days_opioid", "cob") is None  # two fills but under 15 days' supply


def test_poly_ach_overlap_two_fill_rule_and_age(measures):
    assert row(measures, "ach_30", "poly_ach")["in_numerator"]
    assert not row(measures, "ach_29", "poly_ach")["in_numerator"]
    r = row(measures, "ach_one_fill", "poly_ach")  # hydroxyzine filled once never counts
    assert r["in_denominator"] and not r["in_numerator"]
    assert row(measures, "ach_age_64", "poly_ach") is None


def test_poly_cns_three_drugs_for_30_days(measures):
    assert row(measures, "cns_30", "poly_cns")["in_numerator"]


def test_supd(measures):
    assert row(measures, "supd_statin", "supd")["in_numerator"]
    r = row(measures, "supd_no_statin", "supd")
    assert r["in_denominator"] and not r["in_numerator"]
    assert row(measures, "supd_age_76", "supd") is None
    assert row(measures, "supd_one_date", "supd") is None


def test_quality_measures_csv_is_exact_and_has_the_contract_columns(measures):
    rows = measures["aggregate"]
    assert list(rows[0]) == ["contract_id", "measurement_year", "measure_id", "measure_name", "numerator",
                             "denominator", "rate", "too_small_to_rate", "year_end_low", "year_end_high",
                             "recoverable_members", "lower_is_better"]
    assert [r["measure_id"] for r in rows] == ["cmr_completion", "pdc_sta", "pdc_rasa", "pdc_dr", "supd", "cob",
                                               "poly_ach", "poly_cns"]
    sta = rows[1]
    # a handful of statin members: exact for the plan's own quality team (issue 25 item 11), too small to rate
    assert sta["too_small_to_rate"] == "true" and 0 < int(sta["denominator"]) <= 10
    assert sta["rate"] == f"{int(sta['numerator']) / int(sta['denominator']):.4f}"
    for r in rows:
        for column in ("numerator", "denominator", "recoverable_members"):
            assert r[column] == "" or int(r[column]) >= 0
    assert {r["lower_is_better"] for r in rows if r["measure_id"] in ("cob", "poly_ach", "poly_cns")} == {"true"}


def test_recoverable_gaps_in_words_for_the_outreach_and_tmr_lists(measures):
    gaps = measures["gaps"]
    assert gaps["recoverable"] == "statins PDC 76.9%, 10 days may still be missed"
    assert "not_recoverable" not in gaps
    assert "qm_member_adherence_gap" in catalog()["outreach_list"].reads
    with duckdb.connect(str(measures["schema_warehouse"]), read_only=True) as con:
        outreach_columns = [r[0] for r in con.execute("DESCRIBE outreach_list").fetchall()]
    assert "adherence_gaps" in outreach_columns
