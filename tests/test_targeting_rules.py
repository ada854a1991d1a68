"""One test per targeting rule and boundary (targeting-rules.md sections 0-5), on hand-built rows.

As-of date D = 2025-09-30 (CY2025, cost threshold $1623.00). The 90-day windows are 2025-07-03 .. D.

Every rule's rows are a scenario of their own members, written beside its test as extract rows. Each
test builds the models that own its rule with the model harness (issue 24, ``tests/rule_chain.py``: staging
-> core -> tgt_member_criteria from the scenario's rows) and reads tgt_member_criteria, the table
member_summary.csv publishes, in the published text form. The scenarios at D and default settings share one
build (the rules are per member). Boundary cases written directly on one model are in test_model_rules.py.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pipelines.run_state.errors import SettingsError
from pipelines.run_state.run_context import RunContext
from tests import rule_chain
from tests.extract_builder import fill, medical, member
from tests.model_harness import ModelHarness
from tests.rule_chain import by_member
from tests.targeting_harness import AS_OF, EIGHT_DRUGS, NDC, merge_scenarios

D = AS_OF


def build(harness: ModelHarness, tmp_path: Path, scenario: dict, as_of: dt.date = D, settings: str = "",
          built: bool = False):
    """tgt_member_criteria by member, values as member_summary.csv writes them (``built=True``: every model
    of the chain, as built)."""
    rows = rule_chain.build(harness, tmp_path, scenario, as_of=as_of, settings=settings)
    return rows if built else by_member(rows["tgt_member_criteria"])


@pytest.fixture
def targeting(schema_warehouse, tmp_path):
    """``targeting(scenario, as_of=..., settings=...)``: one scenario built on its own."""
    return lambda scenario, **kw: build(ModelHarness(schema_warehouse), tmp_path, scenario, **kw)


def regimen(member_id: str, drugs: list[str], dates=None, cost: float = 150.0):
    return [fill(member_id, d, NDC[drug], 30, cost) for drug in drugs for d in (dates or TWO_FILL_DATES)]


def days_before(n: int) -> dt.date:
    return D - dt.timedelta(days=n)


TWO_FILL_DATES = (days_before(60), days_before(20))


# -- section 2: drugs ----------------------------------------------------------------------------

WINDOW_EDGE = {"eligibility": [member("EDGE89"), member("EDGE90")], "pharmacy_claim": [
    fill("EDGE89", days_before(89), NDC["atorvastatin"], days_supply=1),
    fill("EDGE90", days_before(90), NDC["atorvastatin"], days_supply=1),
]}


def test_window_edge_day_d_minus_89_counts_and_d_minus_90_does_not(default_run):
    rows = default_run
    assert rows["EDGE89"]["part_d_drugs"] == "1"
    assert rows["EDGE90"]["part_d_drugs"] == "0"


NINETY_DAY_FILL = {"eligibility": [member("NINETY")], "pharmacy_claim": [
    fill("NINETY", days_before(120), NDC["lisinopril"], days_supply=90),  # covers up to D-31
    fill("NINETY", days_before(200), NDC["atorvastatin"], days_supply=90),  # ends D-111
]}


def test_ninety_day_fill_from_before_the_window_is_active(default_run):
    assert default_run["NINETY"]["part_d_drugs"] == "1"


EIGHT_AND_SEVEN = {"eligibility": [member("M8"), member("M7")],
                   "pharmacy_claim": regimen("M8", EIGHT_DRUGS) + regimen("M7", EIGHT_DRUGS[:7])}


def test_exactly_eight_drugs_meets_and_seven_does_not(default_run):
    rows = default_run
    assert (rows["M8"]["part_d_drugs"], rows["M8"]["meets_drugs"]) == ("8", "true")
    assert (rows["M7"]["part_d_drugs"], rows["M7"]["meets_drugs"]) == ("7", "false")


GENERIC_NAME = {"eligibility": [member("NAMED")], "pharmacy_claim": [
    fill("NAMED", days_before(10), NDC["atorvastatin"]),
    fill("NAMED", days_before(5), "99999000001", generic_name="Atorvastatin Calcium"),
    fill("NAMED", days_before(5), "99999000002"),  # no name: its own drug by the nine-digit rule
    fill("NAMED", days_before(4), "99999000003"),  # same labeler+product as above: same drug
]}


def test_same_ingredient_under_unknown_ndc_is_one_drug_by_generic_name(default_run):
    assert default_run["NAMED"]["part_d_drugs"] == "2"


REVERSAL = {"eligibility": [member("REVERSED")], "pharmacy_claim": [
    fill("REVERSED", days_before(10), NDC["atorvastatin"], claim_id="REV1", processed_at="2025-09-21 10:00:00"),
    fill("REVERSED", days_before(10), NDC["atorvastatin"], claim_id="REV1", claim_status="reversed",
         processed_at="2025-09-22 10:00:00"),
    fill("REVERSED", days_before(10), NDC["lisinopril"], claim_id="REV2"),
]}


def test_reversed_fill_is_excluded(default_run):
    assert default_run["REVERSED"]["part_d_drugs"] == "1"


NON_PART_D = {"eligibility": [member("NONPARTD")], "pharmacy_claim": [
    fill("NONPARTD", days_before(10), NDC["atorvastatin"], part_d_covered="false"),
    fill("NONPARTD", days_before(10), NDC["lisinopril"], drug_coverage_status_code="E"),
    fill("NONPARTD", days_before(10), NDC["metformin"], drug_coverage_status_code="C"),
]}


def test_non_part_d_fill_is_not_counted(default_run):
    assert default_run["NONPARTD"]["part_d_drugs"] == "1"


# -- section 3: cost -----------------------------------------------------------------------------

# a member covered 73 days of the window: cost x 365 / 73 = 5x; 324.60 -> exactly 1623.00
THRESHOLD = {"eligibility": [member("AT", enrollment_start_date=days_before(72)),
                             member("BELOW", enrollment_start_date=days_before(72))],
             "pharmacy_claim": [fill("AT", days_before(5), NDC["atorvastatin"], cost=324.60),
                                fill("BELOW", days_before(5), NDC["atorvastatin"], cost=324.59)]}


def test_cost_exactly_at_threshold_meets_and_a_cent_below_does_not(default_run):
    rows = default_run
    assert (rows["AT"]["projected_annual_cost"], rows["AT"]["meets_cost"]) == ("1623.00", "true")
    assert (rows["BELOW"]["projected_annual_cost"], rows["BELOW"]["meets_cost"]) == ("1622.95", "false")


HALF_UP = {"eligibility": [member("HALFUP")],
           "pharmacy_claim": [fill("HALFUP", days_before(5), NDC["atorvastatin"], cost=0.09)]}


def test_cost_is_rounded_half_up_with_exact_decimals(default_run):
    # 0.09 x 365 / 90 = 0.365 exactly: half-up gives 0.37 (binary floating point would give 0.36)
    assert default_run["HALFUP"]["projected_annual_cost"] == "0.37"


NEW_ENROLLEE = {"eligibility": [member("NEW", enrollment_start_date=days_before(14))],
                "pharmacy_claim": [fill("NEW", days_before(3), NDC["atorvastatin"], cost=100.00)]}


def test_new_enrollee_fifteen_days_is_annualised_over_thirty_days(default_run):
    assert default_run["NEW"]["projected_annual_cost"] == "1216.67"  # 100 x 365 / 30


COST_WINDOW = {"eligibility": [member("WINDOWED")], "pharmacy_claim": [
    fill("WINDOWED", days_before(89), NDC["atorvastatin"], cost=90.00),
    fill("WINDOWED", days_before(90), NDC["lisinopril"], days_supply=90, cost=1000.00),
]}


def test_cost_counts_only_fills_dated_in_the_window(default_run):
    assert default_run["WINDOWED"]["projected_annual_cost"] == "365.00"


# -- section 4: conditions -----------------------------------------------------------------------

PROFESSIONAL_CLAIMS = {
    "eligibility": [member(m) for m in ("ONE", "SAME", "TWO", "MIX")],
    "pharmacy_claim": [fill("ONE", days_before(5))],
    "medical_claim": [
        medical("ONE", "professional", days_before(100), "E11.9"),
        medical("SAME", "professional", days_before(100), "E119"),
        medical("SAME", "professional", days_before(100), "E119"),
        medical("TWO", "professional", days_before(100), "E119"),
        medical("TWO", "professional", days_before(50), "E1165"),
        medical("MIX", "outpatient", days_before(100), "I10"),
        medical("MIX", "professional", days_before(99), "I10"),
    ],
}


def test_one_professional_claim_is_not_enough_two_on_different_dates_are(default_run):
    rows = default_run
    assert rows["ONE"]["cond_diabetes"] == "0"
    assert rows["SAME"]["cond_diabetes"] == "0"
    assert rows["TWO"]["cond_diabetes"] == "1"
    assert rows["MIX"]["cond_hypertension"] == "1"


INPATIENT_AND_HOSPICE = {"eligibility": [member("INP"), member("HOS")],
                         "pharmacy_claim": [fill("INP", days_before(5))],
                         "medical_claim": [medical("INP", "inpatient", days_before(300), "Z00.00", "I50.9"),
                                           medical("HOS", "hospice", days_before(300), "I509")]}


def test_single_inpatient_claim_is_evidence_hospice_claim_is_not(default_run):
    assert default_run["INP"]["cond_heart_failure"] == "1"
    assert default_run["HOS"]["cond_heart_failure"] == "0"


DX_LOOKBACK = {"eligibility": [member("DX729"), member("DX730")],
               "pharmacy_claim": [fill("DX729", days_before(5))],
               "medical_claim": [medical("DX729", "inpatient", days_before(729), "I10"),
                                 medical("DX730", "inpatient", days_before(730), "I10")]}


def test_dx_lookback_is_730_days(default_run):
    assert default_run["DX729"]["cond_hypertension"] == "1"
    assert default_run["DX730"]["cond_hypertension"] == "0"


SUB_CONDITIONS = {"eligibility": [member("POOLED")], "pharmacy_claim": [fill("POOLED", days_before(5))],
                  "medical_claim": [medical("POOLED", "professional", days_before(40), "F32.9"),
                                    medical("POOLED", "professional", days_before(30), "F20.9")]}


def test_sub_conditions_of_one_disease_pool(default_run):
    assert (default_run["POOLED"]["cond_mental_health"], default_run["POOLED"]["core_conditions"]) == ("1", "1")


THREE_CONDITIONS = {"eligibility": [member("C3"), member("C2")],
                    "pharmacy_claim": [fill("C3", days_before(5)), fill("C2", days_before(5))],
                    "medical_claim": [medical("C3", "inpatient", days_before(100), "I10", "E119", "E785"),
                                      medical("C2", "inpatient", days_before(100), "I10", "E119")]}


def test_exactly_three_conditions_meets_two_do_not(default_run):
    rows = default_run
    assert (rows["C3"]["core_conditions"], rows["C3"]["meets_conditions"]) == ("3", "true")
    assert (rows["C2"]["core_conditions"], rows["C2"]["meets_conditions"]) == ("2", "false")


RX_ONLY = {"eligibility": [member("RX_TWO"), member("RX_ONE"), member("RX_SAMEDAY")], "pharmacy_claim": [
    fill("RX_TWO", days_before(200), NDC["atorvastatin"]), fill("RX_TWO", days_before(100), NDC["atorvastatin"]),
    fill("RX_ONE", days_before(100), NDC["atorvastatin"]),
    fill("RX_SAMEDAY", days_before(100), NDC["metformin"]), fill("RX_SAMEDAY", days_before(100), NDC["metformin"]),
]}


def test_rx_only_conditions_need_two_fills_on_different_dates(default_run):
    rows = default_run
    assert rows["RX_TWO"]["cond_dyslipidemia"] == "1"
    assert rows["RX_ONE"]["cond_dyslipidemia"] == "0"
    assert rows["RX_SAMEDAY"]["cond_diabetes"] == "0"


SACUBITRIL = {"eligibility": [member("ENTRESTO")], "pharmacy_claim": regimen("ENTRESTO", ["sacubitril / valsartan"])}


def test_sacubitril_valsartan_is_heart_failure_not_hypertension(default_run):
    assert default_run["ENTRESTO"]["cond_heart_failure"] == "1"
    assert default_run["ENTRESTO"]["cond_hypertension"] == "0"


NASAL_STEROID = {"eligibility": [member("NASAL"), member("INHALED")],
                 "pharmacy_claim": regimen("NASAL", ["fluticasone nasal"]) + regimen("INHALED", ["albuterol"])}


def test_nasal_steroid_is_not_respiratory_evidence_but_counts_as_a_drug(default_run):
    rows = default_run
    assert (rows["NASAL"]["cond_respiratory"], rows["NASAL"]["part_d_drugs"]) == ("0", "1")
    assert rows["INHALED"]["cond_respiratory"] == "1"


CLAIM_ROUTE = {"eligibility": [member("EYE")], "pharmacy_claim": [
    fill("EYE", days_before(60), NDC["timolol eye drops"], route="ophthalmic"),
    fill("EYE", days_before(20), NDC["lisinopril"], route="ophthalmic"),
    fill("EYE", days_before(10), NDC["lisinopril"], route="ophthalmic"),
]}


def test_claim_route_overrides_the_map_route(default_run):
    assert default_run["EYE"]["cond_hypertension"] == "0"


ESRD = {"eligibility": [member("BINDER"), member("STATUS", esrd="true")],
        "pharmacy_claim": regimen("BINDER", ["sevelamer"]) + [fill("STATUS", days_before(5))]}


def test_phosphate_binder_is_not_esrd_evidence_esrd_status_is(default_run):
    assert default_run["BINDER"]["cond_esrd"] == "0"
    assert default_run["STATUS"]["cond_esrd"] == "1"


def test_hiv_is_not_a_core_disease_before_2025(targeting):
    rows = targeting({"eligibility": [member("M1")], "pharmacy_claim": [fill("M1", "2024-09-01")],
                      "medical_claim": [medical("M1", "inpatient", "2024-05-01", "B20", "I10")]},
                     as_of=dt.date(2024, 9, 30))
    assert (rows["M1"]["cond_hiv_aids"], rows["M1"]["core_conditions"]) == ("0", "1")


# -- section 5: enrollment and criteria ------------------------------------------------------------

DEATH = {"eligibility": [member("DEAD", death_date=days_before(1)),
                         member("ALIVE", death_date=D + dt.timedelta(days=1))],
         "pharmacy_claim": [fill("DEAD", days_before(5)), fill("ALIVE", days_before(5))]}


def test_death_before_d_drops_the_member_death_after_d_keeps_it(default_run):
    assert "DEAD" not in default_run
    assert "ALIVE" in default_run


ENDED_ENROLLMENT = {"eligibility": [member("ENDED", enrollment_end_date=days_before(1)), member("ON")],
                    "pharmacy_claim": [fill("ENDED", days_before(5)), fill("ON", days_before(5))]}


def test_ended_enrollment_is_not_in_the_summary(default_run):
    assert "ENDED" not in default_run
    assert "ON" in default_run


def test_fill_pending_until_its_span_arrives(targeting):
    """A fill outside every Part D span is held (pending_fills.csv lists core_fill's pending fills) and counts
    once a later extract brings the span that covers it."""
    late_span = member("M1", enrollment_start_date=days_before(40))
    fills = [fill("M1", days_before(50), NDC["atorvastatin"], claim_id="P1"),
             fill("M1", days_before(10), NDC["lisinopril"], claim_id="P2")]
    first = targeting({"eligibility": [late_span], "pharmacy_claim": fills}, built=True)
    assert [r["part_d_drugs"] for r in first["tgt_member_criteria"]] == [1]
    assert {r["claim_id"]: r["fill_status"] for r in first["core_fill"]} == {"P1": "pending", "P2": "counted"}
    second = targeting({"eligibility": [member("M1", enrollment_start_date=days_before(80))],
                        "pharmacy_claim": fills})
    assert second["M1"]["part_d_drugs"] == "2"


TARGETING_REASONS = {
    "eligibility": [member(m) for m in ("R01", "R02", "R03", "R04", "ARB_ENDED")],
    "pharmacy_claim": regimen("R01", EIGHT_DRUGS) + regimen("R03", EIGHT_DRUGS)
    + [fill(m, days_before(5)) for m in ("R02", "R04", "ARB_ENDED")],
    "dmp_arb": [{"member_id": "R02", "arb_start_date": "2025-01-01"},
                {"member_id": "R03", "arb_start_date": "2025-01-01", "arb_end_date": D.isoformat()},
                {"member_id": "ARB_ENDED", "arb_start_date": "2025-01-01", "arb_end_date": days_before(1)}],
}


def test_targeting_reasons_01_02_03_04(default_run):
    rows = default_run
    assert {m: rows[m]["targeting_reason"] for m in ("R01", "R02", "R03", "R04", "ARB_ENDED")} == {
        "R01": "01", "R02": "02", "R03": "03", "R04": "04", "ARB_ENDED": "04"}
    assert rows["R01"]["meets_criteria"] == "true" and rows["R04"]["meets_criteria"] == "false"
    # enrolment in MTM at D of a member who meets the criteria: tgt_mtm_enrollment, tested in
    # test_enrollment_ledger.py and test_mtm_lifecycle.py


DEFAULT_SETTINGS_SCENARIOS = (
    WINDOW_EDGE, NINETY_DAY_FILL, EIGHT_AND_SEVEN, GENERIC_NAME, REVERSAL, NON_PART_D, THRESHOLD, HALF_UP,
    NEW_ENROLLEE, COST_WINDOW, PROFESSIONAL_CLAIMS, INPATIENT_AND_HOSPICE, DX_LOOKBACK, SUB_CONDITIONS,
    THREE_CONDITIONS, RX_ONLY, SACUBITRIL, NASAL_STEROID, CLAIM_ROUTE, ESRD, DEATH, ENDED_ENROLLMENT,
    TARGETING_REASONS,
)


@pytest.fixture(scope="module")
def default_run(schema_warehouse, tmp_path_factory) -> dict[str, dict]:
    """The scenarios at D and default settings, built together once (the rules are per member, and
    ``merge_scenarios`` refuses a member in two scenarios): one harness build of the chain, not a run."""
    return build(ModelHarness(schema_warehouse), tmp_path_factory.mktemp("default_settings"),
                 merge_scenarios(*DEFAULT_SETTINGS_SCENARIOS))


def test_every_scenario_member_is_accounted_for(default_run):
    """The build lists every scenario member except the two whose rules drop them from the summary."""
    members = {row["member_id"] for s in DEFAULT_SETTINGS_SCENARIOS for row in s["eligibility"]}
    assert set(default_run) == members - {"DEAD", "ENDED"}


# -- other settings: cost method (core_member_cost) and drug count scope (tgt_member_criteria) ---------------

YTD_COST = {"eligibility": [member("YTD")],
            "pharmacy_claim": [fill("YTD", "2025-01-15", NDC["atorvastatin"], cost=273.00)]}
MAINTENANCE_SCOPE = {"eligibility": [member("MAINT")],
                     "pharmacy_claim": regimen("MAINT", ["atorvastatin", "oxycodone", "albuterol"])}


OTHER_SETTINGS = '[criteria]\ncost_method = "ytd_annualized"\ndrug_count_scope = "maintenance"\n'


def test_ytd_annualized_cost_method(targeting):
    other_settings_run = targeting(YTD_COST, settings=OTHER_SETTINGS)
    assert other_settings_run["YTD"]["projected_annual_cost"] == "365.00"  # 273 x 365 / 273 days since Jan 1


def test_maintenance_scope_counts_only_maintenance_drugs(targeting):
    other_settings_run = targeting(MAINTENANCE_SCOPE, settings=OTHER_SETTINGS)
    rows = other_settings_run
    assert (rows["MAINT"]["part_d_drugs"], rows["MAINT"]["maintenance_drugs"]) == ("1", "1")


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
