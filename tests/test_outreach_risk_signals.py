"""Medication-risk signals (targeting-rules.md section 8) with overlaps computed by hand, and the PDC of
section 9 that the adherence gap uses. D = 2025-09-30; a fill on D - n with s days supply covers
D - n .. D - n + s - 1.

Each rule is tested on the models where it is written, from given rows (issue 24): the signals on
core_active_drug -> tgt_signal_interval -> tgt_risk_signal from core_fill rows (drug classes and flags from the
shipped drug reference), the PDC on core_member_coverage -> core_year_fill -> tgt_member_pdc, the flag list
on tgt_member_priority. Which products are systemic (timolol eye drops are not) is core_fill_product's rule,
tested in test_i25_products.py; here a fill says it.
"""

from __future__ import annotations

import datetime as dt
import itertools

D = dt.date(2025, 9, 30)
_ids = itertools.count(1)
SIGNAL_CHAIN = ["core_active_drug", "tgt_signal_interval", "tgt_risk_signal"]
PDC_CHAIN = ["core_member_coverage", "core_year_fill", "tgt_member_pdc"]


def day(n: int) -> dt.date:
    return D - dt.timedelta(days=n)


def fill(member_id: str, drug_key: str, start: dt.date | str, supply: int, systemic: bool = True) -> dict:
    """A counted fill as core_fill holds it (its drug already identified)."""
    start = dt.date.fromisoformat(start) if isinstance(start, str) else start
    return {"claim_id": f"C{next(_ids):06d}", "member_id": member_id, "fill_date": start, "days_supply": supply,
            "last_covered_day": start + dt.timedelta(days=supply - 1), "drug_key": drug_key, "atc_codes": [],
            "local_use": not systemic, "systemic": systemic, "weight_management": False, "fill_status": "counted",
            "identity_level": "ndc"}


def on(member_id: str, drug: str, n: int, supply: int, **kw) -> dict:
    """A fill of ``drug`` dated D - n."""
    return fill(member_id, drug, day(n), supply, **kw)


def person(member_id: str, age: int = 75) -> dict:
    return {"member_id": member_id, "contract_id": "H1234", "age": age, "enrolled": True,
            "birth_date": dt.date(D.year - age, 1, 1), "hospice": False, "esrd": False}


def signals(models, fills: list[dict], members: list[dict] | None = None, **given) -> dict[tuple, dict]:
    ids = sorted({f["member_id"] for f in fills})
    rows = models(SIGNAL_CHAIN, core_fill=fills, core_member=members or [person(m) for m in ids], **given)
    return {(r["member_id"], r["signal"], r["signal_group"]): r for r in rows["tgt_risk_signal"]}


def names(found: dict[tuple, dict], member_id: str) -> set[str]:
    return {signal for (member, signal, _group) in found if member == member_id}


def test_opioid_benzodiazepine_30_days_flags_29_does_not(models):
    found = signals(models, [on("COB30", "oxycodone", 40, 30), on("COB30", "alprazolam", 40, 30),
                             on("COB29", "oxycodone", 40, 30), on("COB29", "alprazolam", 39, 29)])
    s = found[("COB30", "opioid_benzodiazepine", "")]
    assert (s["overlap_days"], s["first_day"], s["last_day"]) == (30, day(40), day(11))
    assert s["drugs"] == "alprazolam + oxycodone"
    assert s["detail"] == "opioid + benzodiazepine 30 days"
    assert "opioid_benzodiazepine" not in names(found, "COB29")


def test_opioid_benzodiazepine_days_add_up_across_episodes_and_count_once(models):
    # two separate overlaps: D-80..D-51 (30 days, a second opioid on the same days counts once) and
    # D-15..D-6 (10 days) = 40 days
    found = signals(models, [on("COB40", "oxycodone", 100, 60), on("COB40", "alprazolam", 80, 30),
                             on("COB40", "tramadol", 80, 30), on("COB40", "oxycodone", 20, 20),
                             on("COB40", "alprazolam", 15, 10)])
    s = found[("COB40", "opioid_benzodiazepine", "")]
    assert (s["overlap_days"], s["first_day"], s["last_day"]) == (40, day(80), day(6))
    assert s["drugs"] == "alprazolam + oxycodone + tramadol"


def test_anticholinergic_burden_30_days_flags_29_does_not(models):
    # oxybutynin D-60..D-1, amitriptyline D-45..D-16 = 30 days; 29 with D-44..D-16
    found = signals(models, [on("ACH30", "oxybutynin", 60, 60), on("ACH30", "amitriptyline", 45, 30),
                             on("ACH29", "oxybutynin", 60, 60), on("ACH29", "amitriptyline", 44, 29)])
    s = found[("ACH30", "anticholinergic_burden", "")]
    assert (s["overlap_days"], s["drugs"]) == (30, "amitriptyline + oxybutynin")
    assert "anticholinergic_burden" not in names(found, "ACH29")


def test_cns_polypharmacy_needs_three_drugs_together_30_days(models):
    # sertraline D-90..D-1, gabapentin D-50..D-1, zolpidem D-35..D-6 -> all three 30 days
    found = signals(models, [on("CNS30", "sertraline", 90, 90), on("CNS30", "gabapentin", 50, 50),
                             on("CNS30", "zolpidem", 35, 30), on("CNS29", "sertraline", 90, 90),
                             on("CNS29", "gabapentin", 50, 50), on("CNS29", "zolpidem", 34, 29)])
    s = found[("CNS30", "cns_polypharmacy", "")]
    assert (s["overlap_days"], s["first_day"], s["last_day"]) == (30, day(35), day(6))
    assert s["detail"] == "3 CNS-active drugs together 30 days"
    assert "cns_polypharmacy" not in names(found, "CNS29")


def test_duplicate_therapy_same_class_same_day(models):
    found = signals(models, [
        # two statins on the same days: atorvastatin D-30..D-1, simvastatin D-14..D (cut at D): 14 days, the
        # least duplicate therapy needs (issue 25 item 9)
        on("DUP", "atorvastatin", 30, 30), on("DUP", "simvastatin", 14, 30),
        # a switch, not a duplicate: D-80..D-51 then D-40..D-11
        on("SWITCH", "atorvastatin", 80, 30), on("SWITCH", "simvastatin", 40, 30),
        # basal + bolus insulin is not duplicate therapy
        on("INSULIN", "insulin glargine", 20, 30), on("INSULIN", "insulin lispro", 20, 30),
        # timolol eye drops with oral metoprolol: a local product is not a second beta blocker
        on("EYE", "timolol", 20, 30, systemic=False), on("EYE", "metoprolol", 20, 30),
    ])
    s = found[("DUP", "duplicate_therapy", "statin")]
    assert (s["overlap_days"], s["first_day"], s["last_day"]) == (14, day(14), day(1))
    assert s["detail"] == "duplicate statin: atorvastatin + simvastatin"
    for member_id in ("SWITCH", "INSULIN", "EYE"):
        assert "duplicate_therapy" not in names(found, member_id)


def pdc(models, fills: list[dict]) -> dict[tuple, tuple]:
    ids = sorted({f["member_id"] for f in fills})
    spans = [{"member_id": m, "contract_id": "H1234", "span_start": dt.date(2024, 1, 1),
              "span_end": dt.date(2025, 12, 31), "_seq": 1} for m in ids]
    rows = models(PDC_CHAIN, core_fill=fills, core_member_span=spans, core_member=[person(m) for m in ids])
    return {(r["member_id"], r["pqa_class"]): (r["days_covered"], r["days_in_period"], r["adherent"],
                                               r["measure_eligible"]) for r in rows["tgt_member_pdc"]}


def test_pdc_80_percent_is_adherent_79_is_a_gap(models):
    # statin PDC: period D-99..D = 100 days; 40 + 40 covered = 80% (adherent), 40 + 39 = 79% (gap)
    found = pdc(models, [on("PDC80", "atorvastatin", 99, 40), on("PDC80", "atorvastatin", 50, 40),
                         on("PDC79", "atorvastatin", 99, 40), on("PDC79", "atorvastatin", 50, 39)])
    assert found[("PDC80", "statin")] == (80, 100, True, True)
    assert found[("PDC79", "statin")] == (79, 100, False, True)


def pdc_row(member_id: str, covered: int, days: int, eligible: bool = True) -> dict:
    return {"member_id": member_id, "pqa_class": "statin", "class_label": "statins", "drugs": "atorvastatin",
            "treatment_start": day(days - 1), "period_end": D, "days_in_period": days, "days_covered": covered,
            "pdc": round(covered / days, 4), "adherent": covered * 5 >= days * 4, "measure_eligible": eligible,
            "drug_excluded": False}


def test_adherence_gap_is_a_measure_eligible_pdc_below_80(models):
    found = signals(models, [on(m, "atorvastatin", 50, 40) for m in ("PDC80", "PDC79", "ONEFILL")],
                    tgt_member_pdc=[pdc_row("PDC80", 80, 100), pdc_row("PDC79", 79, 100),
                                    pdc_row("ONEFILL", 30, 269, eligible=False)])
    assert found[("PDC79", "adherence_gap", "statin")]["detail"] == "low adherence to statins (PDC 79%)"
    assert "adherence_gap" not in names(found, "PDC80")
    assert "adherence_gap" not in names(found, "ONEFILL")


def test_pdc_shifts_overlapping_fills_of_the_same_drug_and_cuts_at_the_period_end(models):
    found = pdc(models, [
        # shifting: Apr 1 90 days (Apr 1..Jun 29), Apr 15 60 days shifts to Jun 30..Aug 28: 150 of 183 days
        fill("SHIFT", "atorvastatin", "2025-04-01", 90), fill("SHIFT", "atorvastatin", "2025-04-15", 60),
        # supply past the end of the period is cut: Jun 1 90 + Jul 1 90 -> shifted Aug 30..Nov 27 -> Sep 30
        fill("CUT", "atorvastatin", "2025-06-01", 90), fill("CUT", "atorvastatin", "2025-07-01", 90),
        # one fill only: not measured
        fill("ONEFILL", "atorvastatin", "2025-01-05", 30),
    ])
    assert found[("SHIFT", "statin")] == (150, 183, True, True)  # Apr 1..Aug 28 of Apr 1..Sep 30
    assert found[("CUT", "statin")] == (122, 122, True, True)  # Jun 1..Sep 30, nothing past D
    assert found[("ONEFILL", "statin")][3] is False


def test_high_risk_medication_only_from_age_65(models):
    found = signals(models, [on("OLD", "glipizide", 10, 30), on("YOUNG", "glipizide", 10, 30)],
                    members=[person("OLD", 75), person("YOUNG", 60)])
    assert found[("OLD", "high_risk_elderly", "")]["drugs"] == "glipizide"
    assert "high_risk_elderly" not in names(found, "YOUNG")


def test_risk_flags_are_names_only(model):
    criteria = [{"member_id": m, "contract_id": "H1234"} for m in ("CNS30", "SWITCH")]
    risk = [{"member_id": "CNS30", "signal": s, "signal_group": "", "detail": "3 CNS-active drugs together 30 days"}
            for s in ("high_risk_elderly", "cns_polypharmacy")]
    rows = {r["member_id"]: r for r in model("tgt_member_priority", tgt_member_criteria=criteria,
                                             tgt_risk_signal=risk)}
    assert rows["CNS30"]["risk_flags"] == "cns_polypharmacy;high_risk_elderly"
    assert rows["SWITCH"]["risk_flags"] == ""
