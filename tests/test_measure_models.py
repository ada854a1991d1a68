"""The PDC day arithmetic of section 9 tested on the SQL models where it is written (tests/model_harness.py):
stays and coverage gaps leave the period and carry the supply over; overlapping stays count once.
D = 2025-09-30, measurement year 2025."""

from __future__ import annotations

import datetime as dt

D = dt.date.fromisoformat


def year_member(member_id: str, period_end: str = "2025-09-30", open_period: bool = True) -> dict:
    return {"member_id": member_id, "contract_id": "H1234", "age": 70, "period_end": D(period_end),
            "period_open": open_period, "hospice": False, "esrd": False}


def statin_fill(member_id: str, day: str, days_supply: int = 30) -> dict:
    """A counted statin fill of the year, as core_year_fill holds it."""
    start = D(day)
    return {"claim_id": f"{member_id}-{day}", "member_id": member_id, "contract_id": "H1234", "fill_date": start,
            "days_supply": days_supply,
            "last_covered_day": start + dt.timedelta(days=days_supply - 1), "drug_key": "atorvastatin",
            "weight_management": False, "local_use": False, "pqa_statin": True}


def interval(member_id: str, start: str, end: str) -> dict:
    return {"member_id": member_id, "contract_id": "H1234", "ex_start": D(start), "ex_end": D(end),
            "days": (D(end) - D(start)).days + 1}


def test_a_fill_dated_inside_a_stay_starts_the_day_after_it(model):
    # period Mar 1 .. Sep 30 = 214 days, stay Apr 1-10 removed: 204. Mar 1 fill covers Mar 1-30; the Apr 5
    # fill (dated in the stay) covers Apr 11 - May 10; the Jun 1 fill Jun 1-30: 90 of 204
    rows = model("qm_pdc_member", qm_member_year=[year_member("M")],
                 core_year_fill=[statin_fill("M", "2025-03-01"), statin_fill("M", "2025-04-05"),
                            statin_fill("M", "2025-06-01")],
                 qm_excluded_interval=[interval("M", "2025-04-01", "2025-04-10")])
    (r,) = rows
    assert (r["days_in_period"], r["days_covered"]) == (204, 90)


def test_a_gap_in_part_d_coverage_is_not_uncovered(model):
    rows = model("qm_pdc_member", qm_member_year=[year_member("M")],
                 core_year_fill=[statin_fill("M", "2025-01-01", 90), statin_fill("M", "2025-06-01", 122)],
                 qm_excluded_interval=[interval("M", "2025-04-01", "2025-05-31")])
    (r,) = rows  # Jan 1 .. Sep 30 = 273 days less the 61-day gap = 212, all covered
    assert (r["days_in_period"], r["days_covered"], r["in_numerator"]) == (212, 212, True)


def test_overlapping_stays_and_a_gap_merge_into_one_interval(model):
    rows = model(
        "qm_excluded_interval",
        qm_member_year=[year_member("M")],
        stg_medical_claim=[
            {"claim_id": "a", "member_id": "M", "claim_type": "inpatient", "claim_start_date": D("2025-03-01"),
             "claim_end_date": D("2025-03-10")},
            {"claim_id": "b", "member_id": "M", "claim_type": "snf", "claim_start_date": D("2025-03-08"),
             "claim_end_date": D("2025-03-20")},
            {"claim_id": "c", "member_id": "M", "claim_type": "outpatient", "claim_start_date": D("2025-05-01"),
             "claim_end_date": D("2025-05-05")},
        ],
        core_member_span=[{"member_id": "M", "contract_id": "H1234", "span_start": D("2024-01-01"),
                           "span_end": D("2025-03-21")},
                          {"member_id": "M", "contract_id": "H1234", "span_start": D("2025-04-01"),
                           "span_end": D("9999-12-31")}],
    )
    # stay Mar 1-20, then no coverage Mar 22-31 (touching intervals stay separate only with a covered day)
    assert sorted((r["ex_start"], r["ex_end"], r["days"]) for r in rows) == [
        (D("2025-03-01"), D("2025-03-20"), 20), (D("2025-03-22"), D("2025-03-31"), 10)]
