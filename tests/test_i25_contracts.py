"""Issue 25 items 3 and 12 on the SQL models where the rules are written (tests/model_harness.py):
events belong to the contract whose span covered them (held when none did), and a member who changes
contracts in the year is measured in each contract for the days of their span in it, with the fills dated
in that span. D = 2025-09-30, measurement year 2025."""

from __future__ import annotations

import datetime as dt

D = dt.date.fromisoformat
OPEN = "9999-12-31"


def span(member_id: str, contract_id: str, start: str, end: str = OPEN, seq: int = 0) -> dict:
    return {"member_id": member_id, "contract_id": contract_id, "span_start": D(start), "span_end": D(end),
            "_seq": seq}


def event(member_id: str, day: str, event_type: str, contract_id: str | None = None, seq: int = 0) -> dict:
    return {"member_id": member_id, "event_date": D(day), "event_type": event_type, "contract_id": contract_id,
            "_seq": seq, "_file": "mtm_event.csv", "_row": seq + 2}


# The member that shows item 3 in data_samples (M000001175): H1234 until 30 April, H5678 from 1 July; the
# service team recorded an offer, a CMR and its summary in May under H5678, before H5678 covered them.
SWITCHER_SPANS = [span("M", "H1234", "2010-10-01", "2025-04-30", 0), span("M", "H5678", "2025-07-01", OPEN, 1)]


def test_an_event_before_its_contract_span_is_held_not_counted(model):
    rows = model("tgt_mtm_event_contract", core_member_span=SWITCHER_SPANS, stg_mtm_event=[
        event("M", "2025-05-05", "cmr_offered", "H5678", 0),
        event("M", "2025-05-20", "cmr_completed", "H5678", 1),
        event("M", "2025-03-02", "tmr_completed", None, 2),     # no contract named: H1234 covered the day
        event("M", "2025-06-10", "outreach_attempt", None, 3),  # no contract named, no span: held
        event("M", "2025-08-10", "tmr_completed", None, 4),     # H5678 covers it
        event("M", "2025-08-11", "tmr_completed", "H1234", 5),  # names a contract that no longer covers him
    ])
    got = {(r["event_date"].isoformat(), r["event_type"]): (r["contract_id"], r["held_reason"]) for r in rows}
    assert got == {
        ("2025-05-05", "cmr_offered"): ("H5678", "no_span_covers_event_date"),
        ("2025-05-20", "cmr_completed"): ("H5678", "no_span_covers_event_date"),
        ("2025-03-02", "tmr_completed"): ("H1234", None),
        ("2025-06-10", "outreach_attempt"): (None, "no_span_covers_event_date"),  # before: pinned to H5678 (at D)
        ("2025-08-10", "tmr_completed"): ("H5678", None),
        ("2025-08-11", "tmr_completed"): ("H1234", "named_contract_not_covering"),
    }


def test_held_events_count_for_nothing_downstream(model):
    contract_rows = model("tgt_mtm_event_contract", core_member_span=SWITCHER_SPANS, stg_mtm_event=[
        event("M", "2025-05-05", "cmr_offered", "H5678", 0),
        event("M", "2025-05-20", "cmr_completed", "H5678", 1),
        event("M", "2025-06-01", "summary_sent", "H5678", 2),
        event("M", "2025-08-12", "outreach_attempt", None, 3),
    ])
    history = model("tgt_mtm_event_history", tgt_mtm_event_contract=contract_rows)
    assert [(r["event_type"], r["contract_id"]) for r in history] == [("outreach_attempt", "H5678")]
    this_year = model("tgt_mtm_event", tgt_mtm_event_history=history)
    evidence = model("tgt_enrollment_evidence", tgt_mtm_event=this_year)
    # before: an MTM enrollment inferred on 2025-05-05 in H5678, two months before H5678 covered the member
    # (a CMS edit rejects it); now the earliest service of the contract is the August attempt
    assert [(r["contract_id"], r["first_service_date"], r["first_service_event"]) for r in evidence] == [
        ("H5678", D("2025-08-12"), "outreach_attempt")]


def test_a_fill_counts_toward_the_contract_whose_span_covers_its_date(model):
    def core_fill(claim: str, day: str) -> dict:
        start = D(day)
        return {"claim_id": claim, "member_id": "M", "fill_date": start, "days_supply": 30,
                "last_covered_day": start + dt.timedelta(days=29), "drug_key": "atorvastatin",
                "fill_status": "counted", "local_use": False, "weight_management": False}

    rows = model("core_year_fill", core_member_span=SWITCHER_SPANS,
                 core_fill=[core_fill("A", "2025-02-01"), core_fill("B", "2025-08-01")])
    assert sorted((r["claim_id"], r["contract_id"]) for r in rows) == [("A", "H1234"), ("B", "H5678")]


def test_a_member_who_changes_contracts_is_in_each_contract_for_his_days_there(model):
    rows = model("qm_member_year", core_member_span=[span("M", "H1234", "2024-01-01", "2025-04-30", 0),
                                                     span("M", "H5678", "2025-05-01", OPEN, 1)],
                 core_member=[{"member_id": "M", "birth_date": D("1950-01-01"), "hospice": False}])
    got = sorted((r["contract_id"], r["period_end"], r["period_open"]) for r in rows)
    # before: one row, H5678, period to D with every fill of the year
    assert got == [("H1234", D("2025-04-30"), False), ("H5678", D("2025-09-30"), True)]


def year_member(contract_id: str, period_end: str, open_period: bool, age: int = 70) -> dict:
    return {"member_id": "M", "contract_id": contract_id, "age": age, "birth_date": dt.date(2024 - age, 6, 15),
            "period_end": D(period_end),
            "period_open": open_period, "hospice": False, "esrd": False}


FLAGS = ("pqa_statin", "pqa_ras", "pqa_diabetes_noninsulin", "pqa_insulin", "pqa_sacubitril_valsartan", "opioid",
         "benzodiazepine", "anticholinergic", "cns_active")


def year_fill(contract_id: str, day: str, days_supply: int = 30, **flags: bool) -> dict:
    """A counted fill of the year as core_year_fill holds it; every row names every flag (the harness takes
    the columns of a table from its first row)."""
    start = D(day)
    return {**dict.fromkeys(FLAGS, False), "claim_id": f"{contract_id}-{day}-{sorted(flags)}", "member_id": "M",
            "contract_id": contract_id,
            "fill_date": start, "days_supply": days_supply,
            "last_covered_day": start + dt.timedelta(days=days_supply - 1),
            "drug_key": "+".join(sorted(flags)) or "x", "weight_management": False, "local_use": False,
            "systemic": True, **flags, **derived_flags(flags)}


def derived_flags(flags: dict[str, bool]) -> dict[str, bool]:
    """The measure-specific flags core_year_fill derives from the reference flags (issue 25 items 1, 5, 6)."""
    return {"supd_diabetes": bool(flags.get("pqa_diabetes_noninsulin") or flags.get("pqa_insulin")),
            "pqa_opioid": bool(flags.get("opioid")),
            "poly_cns_active": bool(flags.get("cns_active"))}


SWITCHER_YEAR = [year_member("H1234", "2025-04-30", False), year_member("H5678", "2025-09-30", True)]


def test_pdc_is_measured_in_each_contract_with_its_own_fills(model):
    fills = [year_fill("H1234", d, pqa_statin=True) for d in ("2025-01-01", "2025-02-01", "2025-03-01")]
    fills += [year_fill("H5678", d, pqa_statin=True)
              for d in ("2025-05-01", "2025-06-01", "2025-07-01", "2025-08-01", "2025-09-01")]
    rows = model("qm_pdc_member", qm_member_year=SWITCHER_YEAR, core_year_fill=fills)
    got = {r["contract_id"]: (r["days_covered"], r["days_in_period"], r["in_numerator"]) for r in rows}
    # before: one H5678 row over the whole year, 240 of 273 days (adherent); now Jan 1 .. Apr 30 in H1234
    # (90 of 120 days, 75%) and May 1 .. Sep 30 in H5678 (150 of 153)
    assert got == {"H1234": (90, 120, False), "H5678": (150, 153, True)}


def test_supd_counts_the_fills_of_each_contract(model):
    fills = [year_fill("H1234", "2025-01-10", pqa_diabetes_noninsulin=True),
             year_fill("H1234", "2025-02-10", pqa_diabetes_noninsulin=True),
             year_fill("H5678", "2025-06-10", pqa_diabetes_noninsulin=True),
             year_fill("H5678", "2025-06-20", pqa_statin=True)]
    rows = model("qm_supd_member", qm_member_year=SWITCHER_YEAR, core_year_fill=fills)
    # before: one H5678 row, in the numerator (3 diabetes fills and a statin in the year); now the statin of
    # H5678 does not reach H1234's measure, and H5678 has one diabetes fill only
    assert [(r["contract_id"], r["in_denominator"], r["in_numerator"]) for r in rows] == [("H1234", True, False)]


def test_cob_overlap_is_cut_at_the_end_of_the_contract_span(model):
    fills = [year_fill("H1234", "2025-04-01", 60, opioid=True), year_fill("H1234", "2025-04-10", 60, opioid=True),
             year_fill("H1234", "2025-04-01", 60, benzodiazepine=True),
             year_fill("H1234", "2025-04-15", 60, benzodiazepine=True)]
    overlap = model("qm_safety_overlap", qm_member_year=SWITCHER_YEAR, core_year_fill=fills)
    assert [(r["contract_id"], r["measure_id"], r["overlap_days"]) for r in overlap] == [("H1234", "cob", 30)]
    rows = model("qm_cob_member", qm_member_year=SWITCHER_YEAR, core_year_fill=fills, qm_safety_overlap=overlap)
    # before: measured in H5678 through D, 69 days of overlap (1 April .. 8 June); now April in H1234 only: 30
    assert [(r["contract_id"], r["in_numerator"], r["overlap_days"]) for r in rows] == [("H1234", True, 30)]


def test_poly_cns_counts_the_drugs_of_each_contract(model):
    def cns(contract_id: str, drug: str, day: str, days_supply: int) -> dict:
        return {**year_fill(contract_id, day, days_supply, cns_active=True), "drug_key": drug,
                "claim_id": f"{contract_id}-{drug}-{day}"}

    fills = [cns("H1234", "a", "2025-01-15", 60), cns("H1234", "a", "2025-03-15", 90),
             cns("H1234", "b", "2025-01-15", 60), cns("H1234", "b", "2025-03-15", 90),
             cns("H5678", "c", "2025-05-01", 60), cns("H5678", "c", "2025-06-01", 60)]
    overlap = model("qm_safety_overlap", qm_member_year=SWITCHER_YEAR, core_year_fill=fills)
    rows = model("qm_poly_member", qm_member_year=SWITCHER_YEAR, core_year_fill=fills, qm_safety_overlap=overlap)
    got = sorted((r["contract_id"], r["measure_id"], r["in_numerator"]) for r in rows)
    # before: one H5678 row in the numerator (a and b, dispensed in H1234 through 12 June, met c on 43 days);
    # now a and b end with H1234 on 30 April and c is H5678's alone: three CNS-active drugs never meet
    assert got == [("H1234", "poly_cns", False), ("H5678", "poly_cns", False)]
