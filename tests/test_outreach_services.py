"""Services due, exclusions, contact notes and ranking of the outreach list (targeting-rules.md
section 7 and the priority of section 8), on hand-built extracts: the models from staging to the outreach
files built by the model harness from their rows (issue 24, tests/rule_chain.py). That the published files
carry no PHI outside the outreach list is tested on a whole run (test_orchestration.py).

Most members are at-risk beneficiaries (dmp_arb from Jan 1: targeting reason 02), so they meet the
criteria at any run date and are auto-enrolled in MTM on the first run. The shared scenario enrols
everyone at E = 2025-07-01 (first run), then runs D = 2025-09-30 (Q3 = 2025-07-01 .. 2025-09-30).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from pipelines.publishing.exports.outreach import outreach_checks
from tests.extract_builder import fill, member
from tests.model_harness import ModelHarness
from tests.rule_chain import ENROLLMENT_CHAIN, as_published, build
from tests.rule_chain import by_member as summary_by_member
from tests.targeting_harness import EIGHT_DRUGS, NDC

E = dt.date(2025, 7, 1)
D = dt.date(2025, 9, 30)


def days_before(n: int) -> dt.date:
    return D - dt.timedelta(days=n)


def arb(*member_ids: str) -> list[dict]:
    return [{"member_id": m, "arb_start_date": "2025-01-01"} for m in member_ids]


def event(member_id: str, date, event_type: str, **extra) -> dict:
    return {"member_id": member_id, "event_date": str(date), "event_type": event_type, **extra}


def by_member(rows: list[dict]) -> dict[str, dict[str, dict]]:
    out: dict[str, dict[str, dict]] = {}
    for r in rows:
        out.setdefault(r["member_id"], {})[r["service"]] = r
    return out


def eight_drug_fills(member_id: str) -> list[dict]:
    return [fill(member_id, d, NDC[x], 30, 150.0) for x in EIGHT_DRUGS for d in (days_before(60), days_before(20))]


SCENARIO = {
    "NEW": [],
    "OFFER_31_DAYS_AGO": [event("OFFER_31_DAYS_AGO", days_before(31), "cmr_offered")],
    "OFFER_30_DAYS_AGO": [event("OFFER_30_DAYS_AGO", days_before(30), "cmr_offered")],
    "OFFER_THEN_LATE_CMR": [event("OFFER_THEN_LATE_CMR", "2025-07-10", "cmr_offered"),
                            event("OFFER_THEN_LATE_CMR", "2025-08-25", "cmr_completed",
                                  delivery_method="telephone", recipient="beneficiary")],
    "TMR_THIS_QUARTER": [event("TMR_THIS_QUARTER", days_before(5), "cmr_offered"),
                         event("TMR_THIS_QUARTER", "2025-07-15", "tmr_completed")],
    "TMR_LAST_QUARTER": [event("TMR_LAST_QUARTER", "2025-06-20", "tmr_completed")],
    "OFFER_BEFORE_ENROLLMENT": [event("OFFER_BEFORE_ENROLLMENT", "2025-05-01", "cmr_offered")],
    "OPTED_OUT": [event("OPTED_OUT", "2025-08-01", "opted_out", opt_out_reason="requested")],
    "DEAD": [], "DISENROLLED": [], "MOVED": [], "HOSPICE": [], "MINOR": [], "LTC": [], "00123": [],
}


@pytest.fixture(scope="module")
def scenario(schema_warehouse, tmp_path_factory):
    """The first run at E, then the run at D on the ledger the first one wrote: built by the model harness from
    staging to the outreach files (tests/rule_chain.py), not run."""
    tmp = tmp_path_factory.mktemp("services")
    for folder in ("first", "second"):
        (tmp / folder).mkdir()
    eligibility = [member(m) for m in SCENARIO if m not in ("DEAD", "DISENROLLED", "MOVED", "HOSPICE", "MINOR",
                                                             "LTC", "00123")]
    eligibility += [
        member("DEAD", death_date="2025-09-01"),
        member("DISENROLLED", enrollment_end_date="2025-08-31"),
        member("MOVED", enrollment_end_date="2025-08-31"),
        member("MOVED", contract_id="S5678", pbp_id="002", enrollment_start_date="2025-09-01"),
        member("HOSPICE", hospice="true"),
        member("MINOR", birth_date="2010-01-01"),
        member("LTC", ltc_resident="true"),
        member("00123", phone="5550100123", zip_code="02134", preferred_language="es"),
    ]
    tables = {
        "eligibility": eligibility,
        "pharmacy_claim": [fill(m, "2025-06-01") for m in SCENARIO] + eight_drug_fills("HOSPICE"),
        "dmp_arb": arb(*SCENARIO),
        "mtm_event": [e for events in SCENARIO.values() for e in events],
    }
    harness = ModelHarness(schema_warehouse)
    first = build(harness, tmp / "first", tables, ENROLLMENT_CHAIN, as_of=E)
    warehouse = tmp / "second.duckdb"
    second = build(harness, tmp / "second", tables, ENROLLMENT_CHAIN, as_of=D, ledger=first["tgt_ledger_next"],
                   database=warehouse)
    rows = [{k: as_published(v) for k, v in r.items()} for r in second["outreach_list"]]
    rows += [{**{k: as_published(v) for k, v in r.items()}, "service": "tmr"} for r in second["tmr_worklist"]]
    return {"rows": rows, "summary": summary_by_member(second["member_summary"]), "warehouse": warehouse}


def test_new_enrollee_gets_the_initial_cmr_offer_due_sixty_days_after_enrollment(scenario):
    new = by_member(scenario["rows"])["NEW"]
    assert set(new) == {"cmr_initial", "tmr"}
    assert new["cmr_initial"]["due_date"] == "2025-08-30"  # E + 60
    assert new["cmr_initial"]["reasons"].endswith("initial CMR offer due 2025-08-30 (overdue)")
    assert new["tmr"]["due_date"] == "2025-09-30"  # last day of the quarter of D


def test_an_offer_before_the_first_run_dates_the_enrollment_and_counts(scenario):
    """Section 6 (inferred from events): the offer of 1 May means an earlier program, so the enrollment
    date is 1 May (not the first run's date) and the unanswered offer asks for a follow-up."""
    rows = by_member(scenario["rows"])["OFFER_BEFORE_ENROLLMENT"]
    assert set(rows) == {"cmr_follow_up", "tmr"}
    assert (rows["cmr_follow_up"]["mtm_enrollment_date"], rows["cmr_follow_up"]["enrollment_source"]) == (
        "2025-05-01", "inferred_from_events")
    assert scenario["summary"]["OFFER_BEFORE_ENROLLMENT"]["enrollment_source"] == "inferred_from_events"


def test_follow_up_after_thirty_days_without_a_completed_cmr_thirty_is_not_yet(scenario):
    rows = by_member(scenario["rows"])
    assert set(rows["OFFER_31_DAYS_AGO"]) == {"cmr_follow_up", "tmr"}
    follow = rows["OFFER_31_DAYS_AGO"]["cmr_follow_up"]
    assert (follow["due_date"], follow["cmr_offer_date"]) == ("2025-09-29", "2025-08-30")
    assert "CMR offered 2025-08-30, not completed: follow-up due 2025-09-29" in follow["reasons"]
    assert set(rows["OFFER_30_DAYS_AGO"]) == {"tmr"}


def test_completed_cmr_ends_follow_up_and_counts_as_this_quarters_review(scenario):
    assert "OFFER_THEN_LATE_CMR" not in by_member(scenario["rows"])


def test_tmr_due_only_without_a_review_this_quarter(scenario):
    rows = by_member(scenario["rows"])
    assert "TMR_THIS_QUARTER" not in rows
    assert "tmr" in rows["TMR_LAST_QUARTER"]


@pytest.mark.parametrize("member_id", ["OPTED_OUT", "DEAD", "DISENROLLED"])
def test_opted_out_dead_and_disenrolled_members_are_not_listed(scenario, member_id):
    assert member_id not in by_member(scenario["rows"])


def test_member_who_moved_contract_is_listed_once_in_the_new_contract_with_a_new_clock(scenario):
    """Enrolled in S5678 on D, the last day of the quarter: within the TMR grace days, no TMR this quarter."""
    moved = [r for r in scenario["rows"] if r["member_id"] == "MOVED"]
    assert {(r["contract_id"], r["pbp_id"], r["service"]) for r in moved} == {("S5678", "002", "cmr_initial")}
    initial = next(r for r in moved if r["service"] == "cmr_initial")
    assert (initial["mtm_enrollment_date"], initial["due_date"]) == ("2025-09-30", "2025-11-29")


def test_contact_notes_for_minors_and_long_term_care_residents(scenario):
    rows = by_member(scenario["rows"])
    assert rows["MINOR"]["cmr_initial"]["contact_note"] == "contact a guardian"
    assert rows["LTC"]["cmr_initial"]["contact_note"] == "contact through the facility"
    assert rows["NEW"]["cmr_initial"]["contact_note"] == ""


def test_hospice_member_is_listed_at_the_bottom_despite_the_highest_score(scenario):
    initial = [r for r in scenario["rows"] if r["service"] == "cmr_initial" and r["contract_id"] == "H1234"]
    initial.sort(key=lambda r: int(r["priority_rank"]))
    assert initial[-1]["member_id"] == "HOSPICE"
    assert float(initial[-1]["priority_score"]) == max(float(r["priority_score"]) for r in initial)
    assert initial[-1]["contact_note"] == "in hospice"
    # issue 26 item 10: one ranking per contract across the CMR services, 1..n, the hospice member last
    calls = sorted((r for r in scenario["rows"] if r["contract_id"] == "H1234" and r["service"] != "tmr"),
                   key=lambda r: int(r["priority_rank"]))
    assert [int(r["priority_rank"]) for r in calls] == list(range(1, len(calls) + 1))
    assert calls[-1]["member_id"] == "HOSPICE"


def test_ids_zip_and_phone_keep_their_leading_zeros(scenario):
    row = by_member(scenario["rows"])["00123"]["cmr_initial"]
    assert (row["member_id"], row["zip_code"], row["phone"], row["preferred_language"]) == (
        "00123", "02134", "5550100123", "es")


def test_member_summary_priority_is_the_best_service_score(scenario):
    rows = scenario["rows"]
    best = max(float(r["priority_score"]) for r in rows if r["member_id"] == "NEW")
    assert float(scenario["summary"]["NEW"]["priority_score"]) == best
    assert scenario["summary"]["OPTED_OUT"]["priority_score"] == ""


def test_gates_pass_on_the_scenario(scenario):
    con = duckdb.connect(str(scenario["warehouse"]), read_only=True)
    try:
        assert outreach_checks(con) == {"no_excluded_members": 0, "all_mtm_enrolled": 0, "ranks_dense": 0,
                                        "hospice_at_bottom": 0, "one_row_per_member_service": 0,
                                        "no_tmr_on_call_list": 0, "tmr_worklist_enrolled_once": 0}
    finally:
        con.close()


# -- separate small runs ----------------------------------------------------------------------------

def enrolled_member(member_id: str, **facts) -> dict:
    """A core_member row: enrolled in H1234 at D, 75, not in hospice nor long-term care unless ``facts``."""
    return {"member_id": member_id, "contract_id": "H1234", "pbp_id": "001", "age": 75, "enrolled": True,
            "hospice": False, "ltc_resident": False, **facts}


def ledger_row(member_id: str, enrolled_on: dt.date, source: str = "run") -> dict:
    return {"member_id": member_id, "contract_id": "H1234", "contract_year": 2025, "mtm_enrollment_date": enrolled_on,
            "date_met_criteria": enrolled_on, "enrollment_source": source, "mtm_enrolled": True}


def history_event(member_id: str, date: str, event_type: str) -> dict:
    day = dt.date.fromisoformat(date)
    return {"member_id": member_id, "contract_id": "H1234", "contract_year": day.year, "event_date": day,
            "event_type": event_type}


def test_annual_cmr_when_the_last_offer_is_more_than_365_days_old(model):
    """Only a ledger whose enrollment date is over a year old can get here (a seeded roster that keeps the
    prior vendor's original enrollment dates).

    On the models that own the rule (issue 24; it was a seeded home and a whole run): the service history
    (tgt_member_service_history) from the seeded ledger and the events, then the services due from it."""
    seeded = dt.date(2024, 6, 1)
    history = model("tgt_member_service_history",
                    tgt_mtm_enrollment=[ledger_row("OLD", seeded, "seed"), ledger_row("RECENT", seeded, "seed")],
                    tgt_mtm_event_history=[history_event("OLD", "2024-09-29", "cmr_offered"),  # D - 366
                                           history_event("OLD", "2024-09-29", "cmr_completed"),
                                           history_event("RECENT", "2024-09-30", "cmr_offered"),  # D - 365
                                           history_event("RECENT", "2024-09-30", "cmr_completed")])
    due = model("tgt_service_due", tgt_member_service_history=history,
                core_member=[enrolled_member("OLD"), enrolled_member("RECENT")])
    rows: dict[str, dict[str, dict]] = {}
    for r in due:
        rows.setdefault(r["member_id"], {})[r["service"]] = r
    assert set(rows["OLD"]) == {"cmr_annual", "tmr"}
    assert rows["OLD"]["cmr_annual"]["due_date"] == dt.date(2025, 9, 29)
    assert set(rows["RECENT"]) == {"tmr"}


def test_hospice_members_are_left_out_when_the_plan_says_so(model):
    """On the models that own the rule (issue 24; it was a whole run with ``[outreach]
    outreach_include_hospice = false``): left out of the services due, still enrolled."""
    params = {"outreach_include_hospice": False}
    members = [enrolled_member("HOSPICE", hospice=True), enrolled_member("OTHER")]
    history = [{k: v for k, v in ledger_row(m, D).items() if k in ("member_id", "contract_id", "mtm_enrollment_date",
                                                                   "enrollment_source")} for m in ("HOSPICE", "OTHER")]
    due = model("tgt_service_due", params=params, tgt_member_service_history=history, core_member=members)
    assert {r["member_id"] for r in due} == {"OTHER"}
    spans = [{"member_id": m, "contract_id": "H1234", "pbp_id": "001", "span_start": dt.date(2025, 1, 1),
              "span_end": dt.date(2025, 12, 31)} for m in ("HOSPICE", "OTHER")]
    enrollment = model("tgt_mtm_enrollment", params=params, core_member=members, core_member_span=spans,
                       tgt_ledger_next=[{k: v for k, v in ledger_row(m, D).items() if k != "mtm_enrolled"}
                                        for m in ("HOSPICE", "OTHER")])
    assert {r["member_id"]: r["mtm_enrolled"] for r in enrollment}["HOSPICE"] is True


def test_ties_are_ranked_by_member_id_and_weights_change_the_order(model):
    """On the model that owns the rule (tgt_service_priority, issue 24); it was two whole runs with the
    ``[priority]`` weights below. TIE_A and TIE_B have one drug each, DRUGS eight, RISK an oxycodone +
    alprazolam pair (its signal points from tgt_member_signal_points); all four are at risk (DMP) and due
    the initial CMR on the same day."""
    from pipelines.run_state.settings import resolve_settings, signal_weight_rows

    members = ["TIE_B", "TIE_A", "DRUGS", "RISK"]
    weights = [{"signal": s, "weight": w} for s, w in signal_weight_rows(resolve_settings({}, 2025))]
    points = model("tgt_member_signal_points", run_signal_weight=weights, tgt_risk_signal=[
        {"member_id": "RISK", "signal": "opioid_benzodiazepine", "signal_group": "", "drugs": "oxycodone + alprazolam",
         "severity_factor": 1.0}])
    criteria = [{"member_id": m, "contract_id": "H1234", "part_d_drugs": {"DRUGS": 8, "RISK": 2}.get(m, 1),
                 "core_conditions": 0, "projected_annual_cost": 100, "arb": True} for m in members]
    due = [{"member_id": m, "contract_id": "H1234", "service": "cmr_initial", "service_order": 1,
            "due_date": D + dt.timedelta(days=60), "days_until_due": 60, "hospice": False} for m in members]

    def ranks(priority: dict[str, float]) -> dict[str, int]:
        rows = model("tgt_service_priority", params=priority, run_signal_weight=weights, tgt_member_criteria=criteria,
                     tgt_member_signal_points=points, tgt_service_due=due)
        return {r["member_id"]: r["priority_rank"] for r in rows if r["service"] == "cmr_initial"}

    zero = {"priority_urgency": 0.0, "priority_core_conditions": 0.0, "priority_projected_cost": 0.0}
    by_risk = ranks({**zero, "priority_part_d_drugs": 0.0, "priority_risk_signals": 1.0})
    by_drugs = ranks({**zero, "priority_part_d_drugs": 1.0, "priority_risk_signals": 0.0})
    assert by_risk["RISK"] == 1 and by_drugs["DRUGS"] == 1
    # TIE_A and TIE_B have the same facts, score and due date: member_id decides, A before B
    assert by_risk["TIE_A"] + 1 == by_risk["TIE_B"] and by_drugs["TIE_A"] + 1 == by_drugs["TIE_B"]
    assert sorted(by_risk.values()) == [1, 2, 3, 4]
