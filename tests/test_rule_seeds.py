"""Rule constants are seeds with their source (issue 28): the safety measures' thresholds and the drug
interaction severities are read from reference data, and changing the data changes the result."""

from __future__ import annotations

import datetime as dt

D = dt.date(2025, 9, 30)


def test_safety_measure_thresholds_are_reference_data_with_a_source(model):
    rules = {r["measure_id"]: r for r in model("ref_safety_measure_rule")}
    assert {m: (r["min_kinds"], r["min_overlap_days"]) for m, r in rules.items()} == {
        "cob": (2, 30), "poly_ach": (2, 30), "poly_cns": (3, 30)}
    assert all("section 9" in r["source"] for r in rules.values())


def _overlap_fills(member_id: str, kinds: list[str]) -> list[dict]:
    return [{"member_id": member_id, "contract_id": "H1", "drug_key": kind, "fill_date": dt.date(2025, 3, 1),
             "last_covered_day": dt.date(2025, 3, 30), "systemic": True, "pqa_opioid": False,
             "benzodiazepine": False, "anticholinergic": False, "poly_cns_active": True} for kind in kinds]


def test_the_safety_overlap_reads_its_threshold_from_the_seed(model):
    year = [{"member_id": "M1", "contract_id": "H1", "period_end": D}]
    fills = _overlap_fills("M1", ["a", "b"])
    fills += [dict(f, fill_date=dt.date(2025, 4, 1), last_covered_day=dt.date(2025, 4, 30)) for f in fills]
    three = [{"measure_id": "poly_cns", "min_kinds": 3, "min_overlap_days": 30, "source": "x"}]
    two = [{"measure_id": "poly_cns", "min_kinds": 2, "min_overlap_days": 30, "source": "x"}]
    assert model("qm_safety_overlap", core_year_fill=fills, qm_member_year=year, ref_safety_measure_rule=three) == []
    got = model("qm_safety_overlap", core_year_fill=fills, qm_member_year=year, ref_safety_measure_rule=two)
    assert [(r["measure_id"], r["overlap_days"]) for r in got] == [("poly_cns", 60)]


def test_interaction_severities_are_reference_data_in_order(model):
    rows = sorted(model("ref_drug_interaction_severity"), key=lambda r: -r["severity_rank"])
    assert [(r["severity"], float(r["severity_factor"])) for r in rows] == [
        ("contraindicated", 1.0), ("major", 0.75), ("moderate", 0.5)]
    assert all(r["source"] for r in rows)
