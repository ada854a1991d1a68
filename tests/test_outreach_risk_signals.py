"""Medication-risk signals (targeting-rules.md section 8) with overlaps computed by hand, and the PDC of
section 9 that the adherence gap uses. D = 2025-09-30; a fill on D - n with s days supply covers
D - n .. D - n + s - 1. One run for all members; evidence is read from tgt_risk_signal / tgt_member_pdc.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from tests.extract_builder import fill, member
from tests.targeting_harness import NDC, run_extract

D = dt.date(2025, 9, 30)
EXTRA_NDC = {  # shipped NDC map
    "oxybutynin": "00023581230", "amitriptyline": "00378261001", "simvastatin": "00006054331",
    "gabapentin": "00071040124", "zolpidem": "00024540131", "glipizide": "00049017001",
}
ALL_NDC = {**NDC, **EXTRA_NDC}


def on(member_id: str, drug: str, n: int, supply: int, **extra) -> dict:
    """A fill of `drug` dated D - n."""
    if drug in ALL_NDC:
        return fill(member_id, D - dt.timedelta(days=n), ALL_NDC[drug], supply, **extra)
    return fill(member_id, D - dt.timedelta(days=n), "99999000001", supply, generic_name=drug, **extra)


def at(member_id: str, drug: str, date: str, supply: int) -> dict:
    return fill(member_id, date, ALL_NDC[drug], supply)


FILLS = [
    # opioid + benzodiazepine: D-40..D-11 both = 30 days
    on("COB30", "oxycodone", 40, 30), on("COB30", "alprazolam", 40, 30),
    # benzodiazepine D-39..D-11 = 29 days
    on("COB29", "oxycodone", 40, 30), on("COB29", "alprazolam", 39, 29),
    # two separate overlaps: D-80..D-51 (30 days, a second opioid on the same days counts once) and
    # D-15..D-6 (10 days) = 40 days
    on("COB40", "oxycodone", 100, 60), on("COB40", "alprazolam", 80, 30), on("COB40", "tramadol", 80, 30),
    on("COB40", "oxycodone", 20, 20), on("COB40", "alprazolam", 15, 10),
    # anticholinergics: oxybutynin D-60..D-1, amitriptyline D-45..D-16 = 30 days; 29 with D-44..D-16
    on("ACH30", "oxybutynin", 60, 60), on("ACH30", "amitriptyline", 45, 30),
    on("ACH29", "oxybutynin", 60, 60), on("ACH29", "amitriptyline", 44, 29),
    # CNS: sertraline D-90..D-1, gabapentin D-50..D-1, zolpidem D-35..D-6 -> all three 30 days
    on("CNS30", "sertraline", 90, 90), on("CNS30", "gabapentin", 50, 50), on("CNS30", "zolpidem", 35, 30),
    on("CNS29", "sertraline", 90, 90), on("CNS29", "gabapentin", 50, 50), on("CNS29", "zolpidem", 34, 29),
    # two statins on the same days: atorvastatin D-30..D-1, simvastatin D-14..D (cut at D): 14 days, the
    # least duplicate therapy needs (issue 25 item 9)
    on("DUP", "atorvastatin", 30, 30), on("DUP", "simvastatin", 14, 30),
    # a switch, not a duplicate: D-80..D-51 then D-40..D-11
    on("SWITCH", "atorvastatin", 80, 30), on("SWITCH", "simvastatin", 40, 30),
    # basal + bolus insulin is not duplicate therapy
    on("INSULIN", "insulin glargine", 20, 30), on("INSULIN", "insulin lispro", 20, 30),
    # timolol eye drops with oral metoprolol: a local product is not a second beta blocker
    on("EYE", "timolol eye drops", 20, 30), on("EYE", "metoprolol", 20, 30),
    # statin PDC: period D-99..D = 100 days; 40 + 40 covered = 80% (adherent), 40 + 39 = 79% (gap)
    on("PDC80", "atorvastatin", 99, 40), on("PDC80", "atorvastatin", 50, 40),
    on("PDC79", "atorvastatin", 99, 40), on("PDC79", "atorvastatin", 50, 39),
    # shifting: Apr 1 90 days (Apr 1..Jun 29), Apr 15 60 days shifts to Jun 30..Aug 28: 150 of 183 days
    at("SHIFT", "atorvastatin", "2025-04-01", 90), at("SHIFT", "atorvastatin", "2025-04-15", 60),
    # supply past the end of the period is cut: Jun 1 90 + Jul 1 90 -> shifted Aug 30..Nov 27 -> Sep 30
    at("CUT", "atorvastatin", "2025-06-01", 90), at("CUT", "atorvastatin", "2025-07-01", 90),
    # one fill only: not measured
    at("ONEFILL", "atorvastatin", "2025-01-05", 30),
    # high-risk drug: flagged at 75, not at 60
    on("OLD", "glipizide", 10, 30), on("YOUNG", "glipizide", 10, 30),
]
MEMBERS = sorted({f["member_id"] for f in FILLS})


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("signals")
    eligibility = [member(m, birth_date="1965-01-01" if m == "YOUNG" else "1950-06-15") for m in MEMBERS]
    summary = run_extract(tmp, eligibility=eligibility, pharmacy_claim=FILLS)
    con = duckdb.connect(str(tmp / "home" / "warehouse.duckdb"), read_only=True)
    signals = {}
    for row in con.execute("SELECT member_id, signal, signal_group, drugs, overlap_days, first_day, last_day, "
                           "pdc, detail FROM tgt_risk_signal").fetchall():
        names = ("member_id", "signal", "group", "drugs", "days", "first_day", "last_day", "pdc", "detail")
        signals[(row[0], row[1], row[2])] = dict(zip(names, row, strict=True))
    pdc = {(r[0], r[1]): r[2:] for r in con.execute(
        "SELECT member_id, pqa_class, days_covered, days_in_period, adherent, measure_eligible "
        "FROM tgt_member_pdc").fetchall()}
    con.close()
    return {"summary": summary, "signals": signals, "pdc": pdc}


def flags(run, member_id: str) -> set[str]:
    value = run["summary"][member_id]["risk_flags"]
    return set(value.split(";")) if value else set()


def day(n: int) -> dt.date:
    return D - dt.timedelta(days=n)


def test_opioid_benzodiazepine_30_days_flags_29_does_not(run):
    s = run["signals"][("COB30", "opioid_benzodiazepine", "")]
    assert (s["days"], s["first_day"], s["last_day"]) == (30, day(40), day(11))
    assert s["drugs"] == "alprazolam + oxycodone"
    assert s["detail"] == "opioid + benzodiazepine 30 days"
    assert "opioid_benzodiazepine" in flags(run, "COB30")
    assert "opioid_benzodiazepine" not in flags(run, "COB29")


def test_opioid_benzodiazepine_days_add_up_across_episodes_and_count_once(run):
    s = run["signals"][("COB40", "opioid_benzodiazepine", "")]
    assert (s["days"], s["first_day"], s["last_day"]) == (40, day(80), day(6))
    assert s["drugs"] == "alprazolam + oxycodone + tramadol"


def test_anticholinergic_burden_30_days_flags_29_does_not(run):
    s = run["signals"][("ACH30", "anticholinergic_burden", "")]
    assert (s["days"], s["drugs"]) == (30, "amitriptyline + oxybutynin")
    assert "anticholinergic_burden" not in flags(run, "ACH29")


def test_cns_polypharmacy_needs_three_drugs_together_30_days(run):
    s = run["signals"][("CNS30", "cns_polypharmacy", "")]
    assert (s["days"], s["first_day"], s["last_day"]) == (30, day(35), day(6))
    assert s["detail"] == "3 CNS-active drugs together 30 days"
    assert "cns_polypharmacy" not in flags(run, "CNS29")


def test_duplicate_therapy_same_class_same_day(run):
    s = run["signals"][("DUP", "duplicate_therapy", "statin")]
    assert (s["days"], s["first_day"], s["last_day"]) == (14, day(14), day(1))
    assert s["detail"] == "duplicate statin: atorvastatin + simvastatin"
    assert "duplicate_therapy" not in flags(run, "SWITCH")
    assert "duplicate_therapy" not in flags(run, "INSULIN")
    assert "duplicate_therapy" not in flags(run, "EYE")


def test_pdc_80_percent_is_adherent_79_is_a_gap(run):
    assert run["pdc"][("PDC80", "statin")] == (80, 100, True, True)
    assert run["pdc"][("PDC79", "statin")] == (79, 100, False, True)
    assert "adherence_gap" not in flags(run, "PDC80")
    s = run["signals"][("PDC79", "adherence_gap", "statin")]
    assert s["detail"] == "low adherence to statins (PDC 79%)"


def test_pdc_shifts_overlapping_fills_of_the_same_drug_and_cuts_at_the_period_end(run):
    assert run["pdc"][("SHIFT", "statin")] == (150, 183, True, True)  # Apr 1..Aug 28 of Apr 1..Sep 30
    assert run["pdc"][("CUT", "statin")] == (122, 122, True, True)  # Jun 1..Sep 30, nothing past D
    assert run["pdc"][("ONEFILL", "statin")][3] is False
    assert "adherence_gap" not in flags(run, "ONEFILL")


def test_high_risk_medication_only_from_age_65(run):
    assert run["signals"][("OLD", "high_risk_elderly", "")]["drugs"] == "glipizide"
    assert "high_risk_elderly" not in flags(run, "YOUNG")


def test_risk_flags_are_names_only(run):
    assert run["summary"]["CNS30"]["risk_flags"] == "cns_polypharmacy;high_risk_elderly"
    assert run["summary"]["SWITCH"]["risk_flags"] == ""
