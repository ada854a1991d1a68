"""One test per targeting rule and boundary (targeting-rules.md sections 0-5), on hand-built extracts.

As-of date D = 2025-09-30 (CY2025, cost threshold $1623.00). The 90-day windows are 2025-07-03 .. D.
"""

from __future__ import annotations

import datetime as dt

import pytest

from pipelines.errors import SettingsError
from pipelines.run_context import RunContext
from tests.extract_builder import fill, medical, member
from tests.targeting_harness import AS_OF, EIGHT_DRUGS, NDC, run_extract

D = AS_OF


def days_before(n: int) -> dt.date:
    return D - dt.timedelta(days=n)


TWO_FILL_DATES = (days_before(60), days_before(20))


def regimen(member_id: str, drugs: list[str], dates=TWO_FILL_DATES, cost: float = 150.0):
    return [fill(member_id, d, NDC[drug], 30, cost) for drug in drugs for d in dates]


# -- section 2: drugs ----------------------------------------------------------------------------

def test_window_edge_day_d_minus_89_counts_and_d_minus_90_does_not(tmp_path):
    rows = run_extract(tmp_path, eligibility=[member("M1"), member("M2")], pharmacy_claim=[
        fill("M1", days_before(89), NDC["atorvastatin"], days_supply=1),
        fill("M2", days_before(90), NDC["atorvastatin"], days_supply=1),
    ])
    assert rows["M1"]["part_d_drugs"] == "1"
    assert rows["M2"]["part_d_drugs"] == "0"


def test_ninety_day_fill_from_before_the_window_is_active(tmp_path):
    rows = run_extract(tmp_path, eligibility=[member("M1")], pharmacy_claim=[
        fill("M1", days_before(120), NDC["lisinopril"], days_supply=90),  # covers up to D-31
        fill("M1", days_before(200), NDC["atorvastatin"], days_supply=90),  # ends D-111
    ])
    assert rows["M1"]["part_d_drugs"] == "1"


def test_exactly_eight_drugs_meets_and_seven_does_not(tmp_path):
    rows = run_extract(tmp_path, eligibility=[member("M8"), member("M7")],
                       pharmacy_claim=regimen("M8", EIGHT_DRUGS) + regimen("M7", EIGHT_DRUGS[:7]))
    assert (rows["M8"]["part_d_drugs"], rows["M8"]["meets_drugs"]) == ("8", "true")
    assert (rows["M7"]["part_d_drugs"], rows["M7"]["meets_drugs"]) == ("7", "false")


def test_same_ingredient_under_unknown_ndc_is_one_drug_by_generic_name(tmp_path):
    rows = run_extract(tmp_path, eligibility=[member("M1")], pharmacy_claim=[
        fill("M1", days_before(10), NDC["atorvastatin"]),
        fill("M1", days_before(5), "99999000001", generic_name="Atorvastatin Calcium"),
        fill("M1", days_before(5), "99999000002"),  # no name: its own drug by the nine-digit rule
        fill("M1", days_before(4), "99999000003"),  # same labeler+product as above: same drug
    ])
    assert rows["M1"]["part_d_drugs"] == "2"


def test_reversed_fill_is_excluded(tmp_path):
    rows = run_extract(tmp_path, eligibility=[member("M1")], pharmacy_claim=[
        fill("M1", days_before(10), NDC["atorvastatin"], claim_id="C1", processed_at="2025-09-21 10:00:00"),
        fill("M1", days_before(10), NDC["atorvastatin"], claim_id="C1", claim_status="reversed",
             processed_at="2025-09-22 10:00:00"),
        fill("M1", days_before(10), NDC["lisinopril"], claim_id="C2"),
    ])
    assert rows["M1"]["part_d_drugs"] == "1"


def test_non_part_d_fill_is_not_counted(tmp_path):
    rows = run_extract(tmp_path, eligibility=[member("M1")], pharmacy_claim=[
        fill("M1", days_before(10), NDC["atorvastatin"], part_d_covered="false"),
        fill("M1", days_before(10), NDC["lisinopril"], drug_coverage_status_code="E"),
        fill("M1", days_before(10), NDC["metformin"], drug_coverage_status_code="C"),
    ])
    assert rows["M1"]["part_d_drugs"] == "1"


# -- section 3: cost -----------------------------------------------------------------------------

def test_cost_exactly_at_threshold_meets_and_a_cent_below_does_not(tmp_path):
    # a member covered 73 days of the window: cost x 365 / 73 = 5x; 324.60 -> exactly 1623.00
    start = days_before(72)
    rows = run_extract(tmp_path, eligibility=[member("AT", enrollment_start_date=start),
                                              member("BELOW", enrollment_start_date=start)],
                       pharmacy_claim=[fill("AT", days_before(5), NDC["atorvastatin"], cost=324.60),
                                       fill("BELOW", days_before(5), NDC["atorvastatin"], cost=324.59)])
    assert (rows["AT"]["projected_annual_cost"], rows["AT"]["meets_cost"]) == ("1623.00", "true")
    assert (rows["BELOW"]["projected_annual_cost"], rows["BELOW"]["meets_cost"]) == ("1622.95", "false")


def test_cost_is_rounded_half_up_with_exact_decimals(tmp_path):
    # 0.09 x 365 / 90 = 0.365 exactly: half-up gives 0.37 (binary floating point would give 0.36)
    rows = run_extract(tmp_path, eligibility=[member("M1")],
                       pharmacy_claim=[fill("M1", days_before(5), NDC["atorvastatin"], cost=0.09)])
    assert rows["M1"]["projected_annual_cost"] == "0.37"


def test_new_enrollee_fifteen_days_is_annualised_over_thirty_days(tmp_path):
    rows = run_extract(tmp_path, eligibility=[member("NEW", enrollment_start_date=days_before(14))],
                       pharmacy_claim=[fill("NEW", days_before(3), NDC["atorvastatin"], cost=100.00)])
    assert rows["NEW"]["projected_annual_cost"] == "1216.67"  # 100 x 365 / 30


def test_cost_counts_only_fills_dated_in_the_window(tmp_path):
    rows = run_extract(tmp_path, eligibility=[member("M1")], pharmacy_claim=[
        fill("M1", days_before(89), NDC["atorvastatin"], cost=90.00),
        fill("M1", days_before(90), NDC["lisinopril"], days_supply=90, cost=1000.00),
    ])
    assert rows["M1"]["projected_annual_cost"] == "365.00"


def test_ytd_annualized_cost_method(tmp_path):
    rows = run_extract(tmp_path, settings='[criteria]\ncost_method = "ytd_annualized"\n',
                       eligibility=[member("M1")],
                       pharmacy_claim=[fill("M1", "2025-01-15", NDC["atorvastatin"], cost=273.00)])
    assert rows["M1"]["projected_annual_cost"] == "365.00"  # 273 x 365 / 273 days since Jan 1


# -- section 4: conditions -----------------------------------------------------------------------

def test_one_professional_claim_is_not_enough_two_on_different_dates_are(tmp_path):
    rows = run_extract(
        tmp_path,
        eligibility=[member(m) for m in ("ONE", "SAME", "TWO", "MIX")],
        pharmacy_claim=[fill("ONE", days_before(5))],
        medical_claim=[
            medical("ONE", "professional", days_before(100), "E11.9"),
            medical("SAME", "professional", days_before(100), "E119"),
            medical("SAME", "professional", days_before(100), "E119"),
            medical("TWO", "professional", days_before(100), "E119"),
            medical("TWO", "professional", days_before(50), "E1165"),
            medical("MIX", "outpatient", days_before(100), "I10"),
            medical("MIX", "professional", days_before(99), "I10"),
        ],
    )
    assert rows["ONE"]["cond_diabetes"] == "0"
    assert rows["SAME"]["cond_diabetes"] == "0"
    assert rows["TWO"]["cond_diabetes"] == "1"
    assert rows["MIX"]["cond_hypertension"] == "1"


def test_single_inpatient_claim_is_evidence_hospice_claim_is_not(tmp_path):
    rows = run_extract(tmp_path, eligibility=[member("INP"), member("HOS")],
                       pharmacy_claim=[fill("INP", days_before(5))],
                       medical_claim=[medical("INP", "inpatient", days_before(300), "Z00.00", "I50.9"),
                                      medical("HOS", "hospice", days_before(300), "I509")])
    assert rows["INP"]["cond_heart_failure"] == "1"
    assert rows["HOS"]["cond_heart_failure"] == "0"


def test_dx_lookback_is_730_days(tmp_path):
    rows = run_extract(tmp_path, eligibility=[member("IN"), member("OUT")],
                       pharmacy_claim=[fill("IN", days_before(5))],
                       medical_claim=[medical("IN", "inpatient", days_before(729), "I10"),
                                      medical("OUT", "inpatient", days_before(730), "I10")])
    assert rows["IN"]["cond_hypertension"] == "1"
    assert rows["OUT"]["cond_hypertension"] == "0"


def test_sub_conditions_of_one_disease_pool(tmp_path):
    rows = run_extract(tmp_path, eligibility=[member("M1")], pharmacy_claim=[fill("M1", days_before(5))],
                       medical_claim=[medical("M1", "professional", days_before(40), "F32.9"),
                                      medical("M1", "professional", days_before(30), "F20.9")])
    assert (rows["M1"]["cond_mental_health"], rows["M1"]["core_conditions"]) == ("1", "1")


def test_exactly_three_conditions_meets_two_do_not(tmp_path):
    dx3 = [medical("C3", "inpatient", days_before(100), "I10", "E119", "E785")]
    dx2 = [medical("C2", "inpatient", days_before(100), "I10", "E119")]
    rows = run_extract(tmp_path, eligibility=[member("C3"), member("C2")],
                       pharmacy_claim=[fill("C3", days_before(5)), fill("C2", days_before(5))],
                       medical_claim=dx3 + dx2)
    assert (rows["C3"]["core_conditions"], rows["C3"]["meets_conditions"]) == ("3", "true")
    assert (rows["C2"]["core_conditions"], rows["C2"]["meets_conditions"]) == ("2", "false")


def test_rx_only_conditions_need_two_fills_on_different_dates(tmp_path):
    rows = run_extract(tmp_path, eligibility=[member("TWO"), member("ONE"), member("SAMEDAY")], pharmacy_claim=[
        fill("TWO", days_before(200), NDC["atorvastatin"]), fill("TWO", days_before(100), NDC["atorvastatin"]),
        fill("ONE", days_before(100), NDC["atorvastatin"]),
        fill("SAMEDAY", days_before(100), NDC["metformin"]), fill("SAMEDAY", days_before(100), NDC["metformin"]),
    ])
    assert rows["TWO"]["cond_dyslipidemia"] == "1"
    assert rows["ONE"]["cond_dyslipidemia"] == "0"
    assert rows["SAMEDAY"]["cond_diabetes"] == "0"


def test_sacubitril_valsartan_is_heart_failure_not_hypertension(tmp_path):
    rows = run_extract(tmp_path, eligibility=[member("M1")],
                       pharmacy_claim=regimen("M1", ["sacubitril / valsartan"]))
    assert rows["M1"]["cond_heart_failure"] == "1"
    assert rows["M1"]["cond_hypertension"] == "0"


def test_nasal_steroid_is_not_respiratory_evidence_but_counts_as_a_drug(tmp_path):
    rows = run_extract(tmp_path, eligibility=[member("NASAL"), member("INHALED")],
                       pharmacy_claim=regimen("NASAL", ["fluticasone nasal"]) + regimen("INHALED", ["albuterol"]))
    assert (rows["NASAL"]["cond_respiratory"], rows["NASAL"]["part_d_drugs"]) == ("0", "1")
    assert rows["INHALED"]["cond_respiratory"] == "1"


def test_claim_route_overrides_the_map_route(tmp_path):
    rows = run_extract(tmp_path, eligibility=[member("M1")], pharmacy_claim=[
        fill("M1", days_before(60), NDC["timolol eye drops"], route="ophthalmic"),
        fill("M1", days_before(20), NDC["lisinopril"], route="ophthalmic"),
        fill("M1", days_before(10), NDC["lisinopril"], route="ophthalmic"),
    ])
    assert rows["M1"]["cond_hypertension"] == "0"


def test_phosphate_binder_is_not_esrd_evidence_esrd_status_is(tmp_path):
    rows = run_extract(tmp_path, eligibility=[member("BINDER"), member("STATUS", esrd="true")],
                       pharmacy_claim=regimen("BINDER", ["sevelamer"]) + [fill("STATUS", days_before(5))])
    assert rows["BINDER"]["cond_esrd"] == "0"
    assert rows["STATUS"]["cond_esrd"] == "1"


def test_hiv_is_not_a_core_disease_before_2025(tmp_path):
    rows = run_extract(tmp_path, as_of=dt.date(2024, 9, 30), eligibility=[member("M1")],
                       pharmacy_claim=[fill("M1", "2024-09-01")],
                       medical_claim=[medical("M1", "inpatient", "2024-05-01", "B20", "I10")])
    assert (rows["M1"]["cond_hiv_aids"], rows["M1"]["core_conditions"]) == ("0", "1")


# -- section 5: enrollment and criteria ------------------------------------------------------------

def test_death_before_d_drops_the_member_death_after_d_keeps_it(tmp_path):
    rows = run_extract(tmp_path, eligibility=[member("DEAD", death_date=days_before(1)),
                                              member("ALIVE", death_date=D + dt.timedelta(days=1))],
                       pharmacy_claim=[fill("DEAD", days_before(5)), fill("ALIVE", days_before(5))])
    assert "DEAD" not in rows
    assert "ALIVE" in rows


def test_ended_enrollment_is_not_in_the_summary(tmp_path):
    rows = run_extract(tmp_path, eligibility=[member("ENDED", enrollment_end_date=days_before(1)), member("ON")],
                       pharmacy_claim=[fill("ENDED", days_before(5)), fill("ON", days_before(5))])
    assert set(rows) == {"ON"}


def test_fill_pending_until_its_span_arrives(tmp_path):
    late_span = member("M1", enrollment_start_date=days_before(40))
    fills = [fill("M1", days_before(50), NDC["atorvastatin"], claim_id="P1"),
             fill("M1", days_before(10), NDC["lisinopril"], claim_id="P2")]
    first = run_extract(tmp_path, name="jan", eligibility=[late_span], pharmacy_claim=fills)
    assert first["M1"]["part_d_drugs"] == "1"
    pending = (tmp_path / "home" / "runs" / D.isoformat() / "pending_fills.csv").read_text()
    assert "P1" in pending and "P2" not in pending
    second = run_extract(tmp_path, name="feb", eligibility=[member("M1", enrollment_start_date=days_before(80))],
                         pharmacy_claim=fills)
    assert second["M1"]["part_d_drugs"] == "2"


def test_targeting_reasons_01_02_03_04(tmp_path):
    qualifying = EIGHT_DRUGS
    rows = run_extract(
        tmp_path,
        eligibility=[member(m) for m in ("R01", "R02", "R03", "R04", "ARB_ENDED")],
        pharmacy_claim=regimen("R01", qualifying) + regimen("R03", qualifying)
        + [fill(m, days_before(5)) for m in ("R02", "R04", "ARB_ENDED")],
        dmp_arb=[{"member_id": "R02", "arb_start_date": "2025-01-01"},
                 {"member_id": "R03", "arb_start_date": "2025-01-01", "arb_end_date": D.isoformat()},
                 {"member_id": "ARB_ENDED", "arb_start_date": "2025-01-01", "arb_end_date": days_before(1)}],
    )
    assert {m: rows[m]["targeting_reason"] for m in rows} == {
        "R01": "01", "R02": "02", "R03": "03", "R04": "04", "ARB_ENDED": "04"}
    assert rows["R01"]["meets_criteria"] == "true" and rows["R04"]["meets_criteria"] == "false"
    assert rows["R01"]["mtm_enrolled"] == "true" and rows["R01"]["mtm_enrollment_date"] == D.isoformat()


def test_maintenance_scope_counts_only_maintenance_drugs(tmp_path):
    rows = run_extract(tmp_path, settings='[criteria]\ndrug_count_scope = "maintenance"\n',
                       eligibility=[member("M1")],
                       pharmacy_claim=regimen("M1", ["atorvastatin", "oxycodone", "albuterol"]))
    assert (rows["M1"]["part_d_drugs"], rows["M1"]["maintenance_drugs"]) == ("1", "1")


# -- settings limits -------------------------------------------------------------------------------

@pytest.mark.parametrize(("toml", "message"), [
    ("[criteria]\nmin_part_d_drugs = 9\n", "may not require more than 8"),
    ("[criteria]\nmin_core_conditions = 4\n", "may not require more than 3"),
    ("[criteria]\nmin_core_conditions = 1\n", "below the minimum 2"),
    ("[criteria]\ncost_threshold = 1700.0\n", "may not be set above CY2025's $1623.00"),
    ("[criteria]\nmin_part_d_drugs = \"8\"\n", "[criteria] min_part_d_drugs: expected int"),
    ("[criteria]\ndrug_count_scope = \"classes\"\n", "drug_count_scope"),
    ("[criteria]\nmax_drugs = 8\n", "unknown key [criteria] max_drugs"),
    ("[targeting]\nx = 1\n", "unknown settings section [targeting]"),
])
def test_settings_outside_cms_limits_are_refused(tmp_path, toml, message):
    path = tmp_path / "settings.toml"
    path.write_text(toml)
    with pytest.raises(SettingsError) as err:
        RunContext.create(home=tmp_path, extract_dirs=[tmp_path], as_of=D, settings_file=path)
    assert message in str(err.value)


def test_year_missing_from_cms_table_needs_an_explicit_threshold(tmp_path):
    with pytest.raises(SettingsError, match="must name the cost threshold"):
        RunContext.create(home=tmp_path, extract_dirs=[tmp_path], as_of=dt.date(2010, 6, 30))
    path = tmp_path / "s.toml"
    path.write_text("[criteria]\ncost_threshold = 3000.0\ncore_disease_set = 2024\n")
    ctx = RunContext.create(home=tmp_path, extract_dirs=[tmp_path], as_of=dt.date(2010, 6, 30), settings_file=path)
    assert ctx.settings["criteria"]["cost_threshold"] == 3000.0
    assert ctx.settings["criteria"]["core_disease_count"] == 9
