"""Boundary cases of the targeting rules, each tested on the one SQL model where the rule is written
(targeting-rules.md sections 2-5), from given input rows. D = 2025-09-30; 90-day windows start 2025-07-03."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

D = dt.date(2025, 9, 30)


def before(days: int) -> dt.date:
    return D - dt.timedelta(days=days)


def fill(member_id: str, fill_date: dt.date, drug_key: str = "atorvastatin", days_supply: int = 30,
         cost: str = "10.00", status: str = "counted", atc: tuple[str, ...] = (), local_use: bool = False) -> dict:
    return {"claim_id": f"{member_id}-{drug_key}-{fill_date}", "member_id": member_id, "fill_date": fill_date,
            "days_supply": days_supply, "last_covered_day": fill_date + dt.timedelta(days=days_supply - 1),
            "gross_drug_cost": Decimal(cost), "drug_key": drug_key, "fill_status": status,
            "atc_codes": list(atc), "local_use": local_use, "identity_level": "ndc"}


def person(member_id: str, age: int = 70, enrolled: bool = True) -> dict:
    return {"member_id": member_id, "contract_id": "H1234", "age": age, "enrolled": enrolled,
            "birth_date": dt.date(D.year - age, 1, 1)}


def covered(member_id: str, start: dt.date = dt.date(2025, 1, 1), end: dt.date = dt.date(2025, 12, 31)) -> dict:
    return {"member_id": member_id, "island_start": start, "island_end": end}


def by_member(rows: list[dict]) -> dict[str, dict]:
    return {r["member_id"]: r for r in rows}


# -- section 2: active drugs ----------------------------------------------------------------------

def test_a_fill_covering_d_minus_89_is_active_d_minus_90_is_not(model):
    rows = model("core_active_drug", core_fill=[fill("IN", before(89), days_supply=1),
                                                fill("OUT", before(90), days_supply=1),
                                                fill("LONG", before(120), "lisinopril", days_supply=90)])
    assert {(r["member_id"], r["drug_key"]) for r in rows} == {("IN", "atorvastatin"), ("LONG", "lisinopril")}


def test_pending_and_non_part_d_fills_are_not_active(model):
    rows = model("core_active_drug", core_fill=[fill("P", before(5), status="pending"),
                                                fill("N", before(5), status="not_part_d")])
    assert rows == []


# -- section 3: cost --------------------------------------------------------------------------------

@pytest.mark.parametrize(("cost", "island_start", "expected"), [
    ("324.60", before(72), "1623.00"),   # 73 covered days: x 365 / 73 = x 5, exactly the threshold
    ("324.59", before(72), "1622.95"),
    ("0.09", dt.date(2025, 1, 1), "0.37"),  # 0.09 x 365 / 90 = 0.365 -> half-up 0.37 (floats say 0.36)
    ("100.00", before(14), "1216.67"),   # 15 covered days: annualised over the floor of 30
])
def test_projected_cost_is_annualised_over_covered_days_and_rounded_half_up(model, cost, island_start, expected):
    rows = model("core_member_cost", core_member=[person("M")], core_member_coverage=[covered("M", island_start)],
                 core_fill=[fill("M", before(5), cost=cost)])
    assert str(rows[0]["projected_annual_cost"]) == expected


def test_cost_counts_fills_dated_in_the_window_only(model):
    rows = model("core_member_cost", core_member=[person("M")], core_member_coverage=[covered("M")],
                 core_fill=[fill("M", before(89), cost="90.00"), fill("M", before(90), "lisinopril", 90, "1000.00")])
    assert str(rows[0]["projected_annual_cost"]) == "365.00"


def test_ytd_annualised_cost(model):
    rows = model("core_member_cost", params={"cost_method": "ytd_annualized"}, core_member=[person("M")],
                 core_member_coverage=[covered("M")], core_fill=[fill("M", dt.date(2025, 1, 15), cost="273.00")])
    assert str(rows[0]["projected_annual_cost"]) == "365.00"  # 273 x 365 / 273 days since 1 January


# -- section 4: conditions from diagnoses ------------------------------------------------------------

def dx(member_id: str, claim_type: str, day: dt.date, code: str, claim_id: str | None = None) -> dict:
    return {"claim_id": claim_id or f"{member_id}-{claim_type}-{day}-{code}", "member_id": member_id,
            "claim_type": claim_type, "claim_start_date": day, "icd_version": "10", "code": code}


def test_value_sets_lookback_and_hospice_decide_which_claims_are_evidence(model):
    rows = model("core_condition_dx_claim", stg_diagnosis=[
        dx("EDGE", "inpatient", before(729), "I10"), dx("OLD", "inpatient", before(730), "I10"),
        dx("HOS", "hospice", before(300), "I509"), dx("OTHER", "inpatient", before(10), "Z0000"),
        dx("POOL", "professional", before(40), "F329"), dx("POOL", "professional", before(30), "F209"),
    ])
    assert sorted((r["member_id"], r["core_condition"], r["code"]) for r in rows) == [
        ("EDGE", "hypertension", "I10"), ("POOL", "mental_health", "F209"), ("POOL", "mental_health", "F329")]


def claim(member_id: str, claim_type: str, day: dt.date, condition: str, claim_id: str | None = None) -> dict:
    return {"member_id": member_id, "core_condition": condition, "claim_type": claim_type,
            "claim_id": claim_id or f"{member_id}-{claim_type}-{day}", "claim_start_date": day}


def test_claim_type_and_count_rules_for_diagnoses(model):
    rows = model("core_condition_dx", core_condition_dx_claim=[
        claim("ONE", "professional", before(100), "diabetes"),
        claim("SAME", "professional", before(100), "diabetes", "a"),
        claim("SAME", "professional", before(100), "diabetes", "b"),
        claim("TWO", "professional", before(100), "diabetes"), claim("TWO", "professional", before(50), "diabetes"),
        claim("MIX", "outpatient", before(100), "hypertension"),
        claim("MIX", "professional", before(99), "hypertension"),
        claim("INP", "inpatient", before(300), "heart_failure"), claim("SNF", "snf", before(300), "heart_failure"),
        claim("POOL", "professional", before(40), "mental_health"),
        claim("POOL", "professional", before(30), "mental_health"),
    ])
    assert {(r["member_id"], r["core_condition"]) for r in rows} == {
        ("TWO", "diabetes"), ("MIX", "hypertension"), ("INP", "heart_failure"), ("SNF", "heart_failure"),
        ("POOL", "mental_health")}


# -- section 4: conditions from drugs -------------------------------------------------------------------

def test_drug_evidence_fills_are_counted_systemic_and_in_the_lookback(model):
    statin = ("C10AA05",)
    rows = model("core_condition_rx_fill", core_fill=[
        fill("IN", before(364), atc=statin), fill("OLD", before(365), atc=statin),
        fill("PENDING", before(10), atc=statin, status="pending"),
        fill("EYE", before(50), "timolol", atc=("C07AA06",), local_use=True),
        fill("OTHER", before(10), "amoxicillin", atc=("J01CA04",)),
    ])
    assert [(r["member_id"], r["core_condition"]) for r in rows] == [("IN", "dyslipidemia")]


def rx_fill(member_id: str, day: dt.date, drug_key: str = "atorvastatin", condition: str = "dyslipidemia") -> dict:
    return {"member_id": member_id, "core_condition": condition, "claim_id": f"{member_id}-{drug_key}-{day}",
            "fill_date": day, "drug_key": drug_key}


def test_drug_evidence_needs_two_fills_on_different_dates(model):
    rows = model("core_condition_rx", core_condition_rx_fill=[
        rx_fill("TWO", before(200)), rx_fill("TWO", before(100)),
        rx_fill("ONE", before(100)),
        rx_fill("SAMEDAY", before(100)), rx_fill("SAMEDAY", before(100), "rosuvastatin"),
        rx_fill("POOLED", before(100)), rx_fill("POOLED", before(60), "rosuvastatin"),
    ])
    assert {r["member_id"] for r in rows} == {"TWO", "POOLED"}


# -- section 5: criteria ------------------------------------------------------------------------------

def facts(member_id: str, drugs: int, conditions: int, cost: str) -> dict:
    return {
        "core_member": person(member_id),
        "core_member_drug_count": {"member_id": member_id, "active_drugs": drugs, "maintenance_drugs": drugs},
        "core_member_condition": {"member_id": member_id, "core_conditions": conditions},
        "core_member_cost": {"member_id": member_id, "projected_annual_cost": Decimal(cost)},
    }


def test_criteria_boundaries_and_reasons(model):
    members = [facts("R01", 8, 3, "1623.00"), facts("R03", 8, 3, "1623.00"), facts("R02", 1, 0, "0"),
               facts("D7", 7, 3, "5000"), facts("C2", 8, 2, "5000"), facts("CENT", 8, 3, "1622.99")]
    given = {table: [m[table] for m in members] for table in members[0]}
    rows = by_member(model("tgt_member_criteria", tgt_member_arb=[{"member_id": "R02"}, {"member_id": "R03"}],
                           **given))
    assert {m: r["targeting_reason"] for m, r in rows.items()} == {
        "R01": "01", "R03": "03", "R02": "02", "D7": "04", "C2": "04", "CENT": "04"}
    assert (rows["D7"]["meets_drugs"], rows["C2"]["meets_conditions"], rows["CENT"]["meets_cost"]) == (
        False, False, False)
    assert all(rows[m]["meets_criteria"] for m in ("R01", "R02", "R03"))


def test_plan_may_lower_the_criteria_within_cms_limits(model):
    members = [facts("LOW", 2, 2, "2000")]
    given = {table: [m[table] for m in members] for table in members[0]}
    rows = model("tgt_member_criteria", params={"min_part_d_drugs": 2, "min_core_conditions": 2}, **given)
    assert rows[0]["targeting_reason"] == "01"


# -- same-day events: ties keep row order (input-contract.md "Versions"; docs/rules/input.md 19.21) ---------

def event(member_id: str, seq: int, event_type: str, **values) -> dict:
    return {"member_id": member_id, "contract_id": "H1234", "event_date": dt.date(2025, 8, 1),
            "event_type": event_type, "_seq": seq, **values}


@pytest.mark.parametrize("seqs", [(1, 2), (2, 1)], ids=["reason-first", "reason-second"])
def test_two_opt_outs_on_one_day_take_the_reason_of_the_first_row(model, seqs):
    """Two opted_out events on one date: the reason is that of the earlier row, whichever order they are stored."""
    first, second = seqs
    rows = model("tgt_opt_out_request", tgt_mtm_event=[
        event("T1", second, "opted_out", opt_out_reason="member_request"),
        event("T1", first, "opted_out", opt_out_reason="other"),
    ])
    assert [(r["member_id"], r["opt_out_reason"]) for r in rows] == [
        ("T1", "other" if first == 1 else "member_request")]
