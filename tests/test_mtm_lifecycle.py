"""The MTM program lifecycle as plans run it (targeting-rules.md sections 6-8, issue 12): going live
mid-year, a seeded roster, declined CMRs, rollover into a new contract year, TMR grace days, outreach
attempts, and the per-signal priority weights. A home's first run (going live, declines and attempts) is built
by the model harness from the extract rows (issue 24: the models from staging to the ledger a run writes, the
summary and the outreach files); rollover (two runs) is two builds, the second given the ledger the first
wrote, and an old ledger is upgraded by ``create_declared`` and given to a build. The seeded roster (`mtm
ledger import`, then a run that keeps its dates) runs the real pipeline and reads back the published files,
the manifest and the warehouse."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from mtm.cli import main
from pipelines.engine.models import build_model, catalog, create_declared
from tests import rule_chain
from tests.extract_builder import fill, member
from tests.model_harness import ModelHarness
from tests.rule_chain import ENROLLMENT_CHAIN, as_published, by_member
from tests.targeting_harness import ledger, merge_scenarios, run_extract
from tests.template_home import seeded_home as template_home

D = dt.date(2025, 9, 30)


def arb(*member_ids: str, start: str = "2024-01-01", end: str | None = None) -> list[dict]:
    return [{"member_id": m, "arb_start_date": start, "arb_end_date": end} for m in member_ids]


def event(member_id: str, date, event_type: str, **extra) -> dict:
    return {"member_id": member_id, "event_date": str(date), "event_type": event_type, **extra}


def read_csv(path: Path) -> list[dict]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def ledger_rows(home: Path) -> list[tuple]:
    return ledger(home, "enrollment_source")


# A home's first run without the run (issue 24): the models from staging to the ledger the run would write
# (tgt_ledger_next, from an empty ledger), member_summary and the outreach files, built by the model harness
# from the extract rows (tests/rule_chain.py). What a run adds -- writing the ledger, publishing the files --
# is tested by the whole runs of this file (seeded roster, rollover) and test_enrollment_ledger.py.

@pytest.fixture
def models_at(schema_warehouse):
    return lambda tmp_path: (ModelHarness(schema_warehouse), tmp_path)


def first_run(harness_and_folder, scenario: dict, as_of: dt.date = D) -> dict[str, list[dict]]:
    harness, folder = harness_and_folder
    return rule_chain.build(harness, folder, scenario, ENROLLMENT_CHAIN, as_of=as_of)


def ledger_written(built: dict[str, list[dict]]) -> list[tuple]:
    """The ledger the run would write: every row of tgt_ledger_next (pipelines/publishing/publish.py copies it)."""
    columns = ("member_id", "contract_id", "contract_year", "mtm_enrollment_date", "date_met_criteria",
               "enrollment_source")
    return [tuple(r[c] for c in columns) for r in built["tgt_ledger_next"]]


def services_due(built: dict[str, list[dict]]) -> dict[str, dict[str, dict]]:
    """member -> service -> row over the call list and the TMR worklist, values as the CSV files write them."""
    out: dict[str, dict[str, dict]] = {}
    for row in built["outreach_list"]:
        out.setdefault(row["member_id"], {})[row["service"]] = {k: as_published(v) for k, v in row.items()}
    for row in built["tmr_worklist"]:
        out.setdefault(row["member_id"], {})["tmr"] = {k: as_published(v) for k, v in row.items()}
    return out


def ledger_cli(*args: str) -> object:
    return CliRunner().invoke(main, ["ledger", *args], catch_exceptions=False)


def seeded_home(tmp_path: Path, enrollment_dates: dict[str, str]) -> Path:
    """A home whose ledger is seeded (mtm ledger import) with these H1234 enrollment dates of 2025 (the home
    starts from the template warehouse, its seeds loaded: issue 24)."""
    home = template_home(tmp_path / "home")
    roster = tmp_path / "roster.csv"
    roster.write_text("member_id,contract_id,contract_year,mtm_enrollment_date\n"
                      + "".join(f"{m},H1234,2025,{d}\n" for m, d in enrollment_dates.items()))
    assert ledger_cli("import", str(roster), "--home", str(home)).exit_code == 0
    return home


# -- going live in July ----------------------------------------------------------------------------------

def test_going_live_in_july_with_february_cmrs(tmp_path, models_at):
    """A plan's first run on 31 July: the February CMR means an earlier program, so the enrollment date is
    the first event, no initial offer is asked for, and recorded opt-outs before the first run stay."""
    july = dt.date(2025, 7, 31)
    members = ["FEB_CMR", "ATTEMPT_ONLY", "OPTED_OTHER", "OFFER_THEN_OPT_OUT", "NEW"]
    events = [
        event("FEB_CMR", "2025-02-03", "outreach_attempt", channel="phone", outcome="no_answer"),
        event("FEB_CMR", "2025-02-10", "cmr_offered"),
        event("FEB_CMR", "2025-02-24", "cmr_completed", delivery_method="telephone", recipient="beneficiary"),
        event("FEB_CMR", "2025-03-01", "summary_sent"),
        event("ATTEMPT_ONLY", "2025-06-15", "outreach_attempt", channel="mail", outcome="other"),
        event("OPTED_OTHER", "2025-04-02", "opted_out", opt_out_reason="other"),
        event("OFFER_THEN_OPT_OUT", "2025-03-05", "cmr_offered"),
        event("OFFER_THEN_OPT_OUT", "2025-04-20", "opted_out", opt_out_reason="other"),
        event("NEW", "2025-08-15", "cmr_offered"),  # after the run's date: not seen
    ]
    built = first_run(models_at(tmp_path), {
        "eligibility": [member(m) for m in members], "pharmacy_claim": [fill(m, "2025-07-01") for m in members],
        "dmp_arb": arb(*members), "mtm_event": events}, as_of=july)
    summary = by_member(built["member_summary"])
    assert sorted(ledger_written(built)) == [
        ("ATTEMPT_ONLY", "H1234", 2025, dt.date(2025, 6, 15), dt.date(2025, 6, 15), "inferred_from_events"),
        ("FEB_CMR", "H1234", 2025, dt.date(2025, 2, 3), dt.date(2025, 2, 3), "inferred_from_events"),
        ("NEW", "H1234", 2025, july, july, "run"),
        ("OFFER_THEN_OPT_OUT", "H1234", 2025, dt.date(2025, 3, 5), dt.date(2025, 3, 5), "inferred_from_events"),
    ]
    due = services_due(built)
    # the February CMR counts: no initial offer, no follow-up; Q3 has had no review yet, so a TMR is due
    assert set(due["FEB_CMR"]) == {"tmr"}
    assert due["FEB_CMR"]["tmr"]["last_cmr_date"] == "2025-02-24"
    # an enrollee contacted in June without an offer yet: initial offer due 60 days after that contact
    assert due["ATTEMPT_ONLY"]["cmr_initial"]["due_date"] == "2025-08-14"
    assert due["NEW"]["cmr_initial"]["due_date"] == "2025-09-29"
    # opt-outs recorded before the first run are honoured: listed as opted out, not (re-)enrolled
    assert "OPTED_OTHER" not in due and "OFFER_THEN_OPT_OUT" not in due
    assert (summary["OPTED_OTHER"]["mtm_enrolled"], summary["OPTED_OTHER"]["opt_out_date"],
            summary["OPTED_OTHER"]["opt_out_reason"], summary["OPTED_OTHER"]["enrollment_source"]) == (
        "false", "2025-04-02", "other", "")
    assert (summary["OFFER_THEN_OPT_OUT"]["mtm_enrolled"], summary["OFFER_THEN_OPT_OUT"]["opt_out_date"],
            summary["OFFER_THEN_OPT_OUT"]["mtm_enrollment_date"]) == ("false", "2025-04-20", "2025-03-05")
    assert (summary["FEB_CMR"]["mtm_enrollment_date"], summary["FEB_CMR"]["enrollment_source"]) == (
        "2025-02-03", "inferred_from_events")


def test_an_offer_recorded_before_a_run_written_enrollment_date_does_not_count(model):
    """Inference applies when a member enters the ledger; a row already written keeps its date.

    On the models that own the rule (issue 24; it was a run on 1 July, then one at D whose extract adds a
    May offer): the ledger (tgt_ledger_next), the service history (tgt_member_service_history) and the
    services due (tgt_service_due), each from the previous one's rows."""
    july = dt.date(2025, 7, 1)
    written = {"member_id": "M1", "contract_id": "H1234", "contract_year": 2025, "mtm_enrollment_date": july,
               "date_met_criteria": july, "enrollment_source": "run"}
    ledger_next = model("tgt_ledger_next", mtm_enrollment_ledger=[written],
                        tgt_member_criteria=[{"member_id": "M1", "contract_id": "H1234", "meets_criteria": True}],
                        tgt_enrollment_evidence=[{"member_id": "M1", "contract_id": "H1234",
                                                  "first_service_date": dt.date(2025, 5, 1),
                                                  "first_service_event": "cmr_offered", "service_events": 1}])
    assert [(r["member_id"], r["contract_id"], r["contract_year"], r["mtm_enrollment_date"],
             r["date_met_criteria"], r["enrollment_source"]) for r in ledger_next] == [
        ("M1", "H1234", 2025, july, july, "run")]
    offer = {"member_id": "M1", "contract_id": "H1234", "contract_year": 2025, "event_date": dt.date(2025, 5, 1),
             "event_type": "cmr_offered"}
    history = model("tgt_member_service_history", tgt_mtm_event_history=[offer],
                    tgt_mtm_enrollment=[{**r, "mtm_enrolled": True} for r in ledger_next])
    member_row = {"member_id": "M1", "contract_id": "H1234", "pbp_id": "001", "age": 75, "enrolled": True,
                  "hospice": False, "ltc_resident": False}
    due = model("tgt_service_due", tgt_member_service_history=history, core_member=[member_row])
    assert {r["service"] for r in due if r["member_id"] == "M1"} == {"cmr_initial", "tmr"}


# -- seeded roster ---------------------------------------------------------------------------------------

ROSTER = """\
member_id,contract_id,contract_year,mtm_enrollment_date,date_met_criteria,targeting_reason,opt_out_date,\
opt_out_reason
S1,H1234,2025,2025-03-15,2025-03-01,01,,
S2,h1234,2025,2025-04-01,,02,2025-06-10,requested
"""


def test_seeded_roster_dates_are_kept_reimport_is_a_no_op_and_a_contradiction_is_refused(tmp_path):
    home = template_home(tmp_path / "home")  # the seeds loaded (issue 24)
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    first = ledger_cli("import", str(roster), "--home", str(home))
    assert first.exit_code == 0, first.output
    assert "2 added" in first.output
    seeded = [("S1", "H1234", 2025, dt.date(2025, 3, 15), dt.date(2025, 3, 1), "seed"),
              ("S2", "H1234", 2025, dt.date(2025, 4, 1), dt.date(2025, 4, 1), "seed")]
    assert ledger_rows(home) == seeded

    # a run meets S1 and S2 on D, with events that would otherwise date them: the seeded facts stay
    members = ["S1", "S2"]
    summary = run_extract(tmp_path, home=home, eligibility=[member(m) for m in members],
                          pharmacy_claim=[fill(m, "2025-09-01") for m in members], dmp_arb=arb(*members),
                          mtm_event=[event("S1", "2025-01-20", "outreach_attempt", channel="phone",
                                           outcome="reached")])
    assert ledger_rows(home) == seeded
    assert (summary["S1"]["mtm_enrollment_date"], summary["S1"]["date_met_criteria"],
            summary["S1"]["enrollment_source"], summary["S1"]["mtm_enrolled"]) == (
        "2025-03-15", "2025-03-01", "seed", "true")
    report = json.loads((home / "runs" / D.isoformat() / "run_manifest.json").read_text())["targeting"]
    assert report["ledger_rows_by_enrollment_source"] == {"run": 0, "seed": 2, "inferred_from_events": 0,
                                                         "rollover": 0}
    # the roster's opt-out is a ledger fact: S2 is listed as opted out
    assert (summary["S2"]["mtm_enrolled"], summary["S2"]["opt_out_date"], summary["S2"]["opt_out_reason"]) == (
        "false", "2025-06-10", "requested")

    again = ledger_cli("import", str(roster), "--home", str(home))
    assert again.exit_code == 0 and "0 added, 2 already in the ledger" in again.output
    assert ledger_rows(home) == seeded

    contradicting = tmp_path / "roster_v2.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT 'S1' AS member_id, 'H1234' AS contract_id, 2025 AS contract_year, "
                f"DATE '2025-05-01' AS mtm_enrollment_date, DATE '2025-03-01' AS date_met_criteria, "
                f"'01' AS targeting_reason) TO '{contradicting}' (FORMAT parquet)")
    con.close()
    refused = CliRunner().invoke(main, ["ledger", "import", str(contradicting), "--home", str(home)])
    assert refused.exit_code != 0
    assert "member S1" in refused.output and "mtm_enrollment_date is 2025-03-15" in refused.output
    assert ledger_rows(home) == seeded
    replaced = ledger_cli("import", str(contradicting), "--replace", "--home", str(home))
    assert replaced.exit_code == 0 and "1 replaced" in replaced.output
    assert ledger_rows(home)[0] == ("S1", "H1234", 2025, dt.date(2025, 5, 1), dt.date(2025, 3, 1), "seed")

    shown = ledger_cli("show", "--home", str(home))
    assert "H1234     2025 seed                        2" in shown.output


def test_a_roster_with_bad_rows_names_row_and_column_and_imports_nothing(tmp_path):
    roster = tmp_path / "bad.csv"
    roster.write_text("member_id,contract_id,contract_year,mtm_enrollment_date,opt_out_reason\n"
                      "A,H1234,2025,2025-02-30,\nB,H1234,2025,2025-03-01,moved\n")
    result = CliRunner().invoke(main, ["ledger", "import", str(roster), "--home", str(tmp_path / "home")])
    assert result.exit_code != 0
    assert "row 1, column 'mtm_enrollment_date'" in result.output
    assert "row 2, column 'opt_out_reason'" in result.output
    assert ledger_rows(tmp_path / "home") == []


# -- declines and attempts (a first run at D, built by the harness: each scenario has its own members) ---

def _attempt(m, day, outcome="no_answer"):
    return event(m, day, "outreach_attempt", channel="phone", outcome=outcome)


DECLINES = {"eligibility": [member(m) for m in ("DECLINED", "UNANSWERED")],
            "pharmacy_claim": [fill(m, "2025-09-01") for m in ("DECLINED", "UNANSWERED")],
            "dmp_arb": arb("DECLINED", "UNANSWERED"),
            "mtm_event": [event("DECLINED", "2025-07-15", "cmr_offered"),
                          event("DECLINED", "2025-07-20", "cmr_declined"),
                          event("UNANSWERED", "2025-07-15", "cmr_offered")]}
ATTEMPTS = {"eligibility": [member(m, mbi="1EG4TE5MK73") for m in ("OFFERED", "NOT_YET")],
            "pharmacy_claim": [fill(m, "2025-09-01") for m in ("OFFERED", "NOT_YET")],
            "dmp_arb": arb("OFFERED", "NOT_YET"),
            "mtm_event": [_attempt("OFFERED", "2025-07-01"), _attempt("OFFERED", "2025-07-05"),
                          event("OFFERED", "2025-07-10", "cmr_offered"), _attempt("OFFERED", "2025-07-10", "reached"),
                          _attempt("OFFERED", "2025-07-20"), _attempt("OFFERED", "2025-08-15", "left_message"),
                          _attempt("NOT_YET", "2025-08-01"), _attempt("NOT_YET", "2025-08-10", "wrong_number")]}


@pytest.fixture(scope="module")
def contacts_run(schema_warehouse, tmp_path_factory) -> dict:
    built = rule_chain.build(ModelHarness(schema_warehouse), tmp_path_factory.mktemp("contacts"),
                             merge_scenarios(DECLINES, ATTEMPTS), ENROLLMENT_CHAIN)
    return {"summary": by_member(built["member_summary"]), "due": services_due(built)}


def test_a_decline_stops_cmr_follow_up_but_not_the_tmr(contacts_run):
    due, summary = contacts_run["due"], contacts_run["summary"]
    assert set(due["UNANSWERED"]) == {"cmr_follow_up", "tmr"}
    assert set(due["DECLINED"]) == {"tmr"}
    assert (summary["DECLINED"]["mtm_enrolled"], summary["DECLINED"]["opt_out_reason"]) == ("true", "")


def test_attempts_are_counted_since_the_last_offer(contacts_run):
    due = contacts_run["due"]
    follow = due["OFFERED"]["cmr_follow_up"]
    # before the offer: not counted; on the offer's day: the offer's own contact; after it: 2
    assert (follow["attempts_since_last_offer"], follow["last_cmr_offer_date"], follow["mbi"]) == (
        "2", "2025-07-10", "1EG4TE5MK73")
    assert "2 outreach attempts since the last offer" in follow["reasons"]
    initial = due["NOT_YET"]["cmr_initial"]
    assert (initial["attempts_since_last_offer"], initial["mtm_enrollment_date"]) == ("2", "2025-08-01")


# -- TMR grace days --------------------------------------------------------------------------------------

@pytest.mark.parametrize("settings, due_in_q3", [({}, {"G31"}), ({"tmr_grace_days": 0}, {"G31", "G30"})])
def test_tmr_grace_at_31_and_30_days_before_the_quarter_ends(model, settings, due_in_q3):
    """Q3 ends when 1 October begins: enrolled 31 days before (31 August) -> TMR due in Q3; enrolled 30 days
    before (1 September, the first of the quarter's last 30 days) -> first TMR in Q4.

    On the model that owns the rule (tgt_service_due, issue 24); it was a seeded home run at D and at
    31 October (``[outreach] tmr_grace_days = 0`` is the second case's settings)."""
    history = [{"member_id": m, "contract_id": "H1234", "mtm_enrollment_date": dt.date.fromisoformat(d),
                "enrollment_source": "seed"} for m, d in (("G31", "2025-08-31"), ("G30", "2025-09-01"))]
    members = [{"member_id": m, "contract_id": "H1234", "pbp_id": "001", "age": 75, "enrolled": True,
                "hospice": False, "ltc_resident": False} for m in ("G31", "G30")]

    def tmr_due(as_of: dt.date) -> set[str]:
        rows = model("tgt_service_due", params={"as_of_date": as_of, **settings},
                     tgt_member_service_history=history, core_member=members)
        return {r["member_id"] for r in rows if r["service"] == "tmr"}

    assert tmr_due(D) == due_in_q3
    # next quarter the grace is over
    assert tmr_due(dt.date(2025, 10, 31)) == {"G31", "G30"}


# -- rollover --------------------------------------------------------------------------------------------

def test_rollover_carries_last_years_enrollees_except_opt_outs_deaths_and_leavers(tmp_path, models_at):
    """Two runs on one home (30 November 2024, then 28 February 2025 with rollover on), built by the model
    harness (issue 24; it was two whole runs): the second build is given the ledger the first one wrote
    (tgt_ledger_next: the publish step copies it), as test_enrollment_ledger.py's D1-then-D2."""
    members = ["R_OK", "R_DEC31", "R_NEVER_OFFERED", "R_OPTED", "R_DEAD", "R_LEFT"]
    eligibility = [member(m) for m in members if m not in ("R_DEAD", "R_LEFT")]
    eligibility += [member("R_DEAD", death_date="2024-12-15"),
                    member("R_LEFT", enrollment_end_date="2024-12-31"),
                    member("R_LEFT", contract_id="S5678", pbp_id="002", enrollment_start_date="2025-01-01")]
    events = [event("R_OK", "2024-03-10", "cmr_offered"), event("R_OK", "2024-03-20", "cmr_completed"),
              event("R_DEC31", "2024-12-31", "cmr_offered"),
              event("R_OPTED", "2024-03-10", "cmr_offered"),
              event("R_OPTED", "2024-11-20", "opted_out", opt_out_reason="other"),
              event("R_DEAD", "2024-03-10", "cmr_offered"), event("R_LEFT", "2024-03-10", "cmr_offered")]
    fills = [fill(m, d) for m in members for d in ("2024-11-01", "2025-02-01")]
    # at risk in 2024 only: in 2025 nobody meets the criteria, so only rollover can enrol them
    tables = {"eligibility": eligibility, "pharmacy_claim": fills, "mtm_event": events,
              "dmp_arb": arb(*members, end="2024-12-31")}
    harness, folder = models_at(tmp_path)
    for name in ("cy2024", "cy2025"):
        (folder / name).mkdir()
    cy2024 = rule_chain.build(harness, folder / "cy2024", tables, ENROLLMENT_CHAIN, as_of=dt.date(2024, 11, 30))
    rollover = "[enrollment]\nrollover_enrollees = true\n"
    feb = dt.date(2025, 2, 28)
    cy2025_run = rule_chain.build(harness, folder / "cy2025", tables, ENROLLMENT_CHAIN, as_of=feb,
                                  settings=rollover, ledger=cy2024["tgt_ledger_next"])
    cy2025 = sorted(r for r in ledger_written(cy2025_run) if r[2] == 2025)
    jan1 = dt.date(2025, 1, 1)
    assert cy2025 == [("R_DEC31", "H1234", 2025, jan1, None, "rollover"),
                      ("R_NEVER_OFFERED", "H1234", 2025, jan1, None, "rollover"),
                      ("R_OK", "H1234", 2025, jan1, None, "rollover")]
    summary = by_member(cy2025_run["member_summary"])
    assert summary["R_OK"]["enrollment_source"] == "rollover" and summary["R_OPTED"]["mtm_enrolled"] == "false"
    due = services_due(cy2025_run)
    # annual offer one year (365 days) after the last offer; at the latest 31 December; never an initial offer
    assert set(due["R_OK"]) == {"cmr_annual", "tmr"}
    assert (due["R_OK"]["cmr_annual"]["due_date"], due["R_OK"]["cmr_annual"]["cmr_offer_date"]) == (
        "2025-03-10", "2024-03-10")
    assert due["R_DEC31"]["cmr_annual"]["due_date"] == "2025-12-31"
    assert due["R_NEVER_OFFERED"]["cmr_annual"]["due_date"] == "2025-03-02"
    assert not {"R_OPTED", "R_DEAD", "R_LEFT"} & set(due)


# -- priority (section 8) --------------------------------------------------------------------------------

def _signal_points(con, risk_rows: list[tuple], settings: dict) -> dict[str, float]:
    from pipelines.run_state.settings import resolve_settings, signal_weight_rows

    create_declared(con, "run_signal_weight")
    con.executemany("INSERT INTO run_signal_weight VALUES (?, ?)", signal_weight_rows(resolve_settings(settings, 2025)))
    con.execute("CREATE OR REPLACE TABLE tgt_risk_signal (member_id VARCHAR, signal VARCHAR, signal_group VARCHAR, "
                "drugs VARCHAR, severity_factor DOUBLE)")
    con.executemany("INSERT INTO tgt_risk_signal VALUES (?, ?, '', ?, ?)", risk_rows)
    build_model(con, catalog()["tgt_member_signal_points"])
    return dict(con.execute("SELECT member_id, signal_points FROM tgt_member_signal_points").fetchall())


def test_a_drug_in_several_signals_adds_its_heaviest_weight_once_and_new_signals_plug_in():
    con = duckdb.connect()
    rows = [("M1", "opioid_benzodiazepine", "oxycodone + alprazolam", 1.0),
            ("M1", "cns_polypharmacy", "alprazolam + oxycodone + zolpidem", 1.0),
            ("M1", "high_risk_elderly", "zolpidem", 1.0),
            ("M2", "drug_interaction", "warfarin + ibuprofen", 0.75),  # a major interaction
            ("M3", "new_signal", "lithium", 1.0)]  # a signal without a weight of its own
    points = _signal_points(con, rows, {})
    # oxycodone 3 + alprazolam 3 (opioid + benzodiazepine) + zolpidem 2 (CNS, heavier than high-risk 1.5)
    assert points == {"M1": 8.0, "M2": 2 * 2.0 * 0.75, "M3": 1.0}
    points = _signal_points(con, rows, {"priority": {"opioid_benzodiazepine": 0.5, "other_signal": 4.0}})
    assert points == {"M1": 2 + 2 + 2, "M2": 3.0, "M3": 4.0}


def test_priority_scores_dmp_at_risk_and_grows_with_days_overdue(model):
    """On the models that own the rule (issue 24; it was a seeded home and a whole run): the services due
    (tgt_service_due) of three seeded enrollees with the same facts but for the enrollment date and the DMP
    at-risk flag, then their priority (tgt_service_priority) at the default weights."""
    from pipelines.run_state.settings import resolve_settings, signal_weight_rows

    members = ["LATE", "RECENT", "ARB"]
    enrolled = {"LATE": dt.date(2025, 5, 1), "RECENT": dt.date(2025, 7, 15), "ARB": dt.date(2025, 7, 15)}
    due = model("tgt_service_due", tgt_member_service_history=[
        {"member_id": m, "contract_id": "H1234", "mtm_enrollment_date": enrolled[m], "enrollment_source": "seed"}
        for m in members], core_member=[
        {"member_id": m, "contract_id": "H1234", "pbp_id": "001", "age": 75, "enrolled": True, "hospice": False,
         "ltc_resident": False} for m in members])
    weights = [{"signal": s, "weight": w} for s, w in signal_weight_rows(resolve_settings({}, 2025))]
    criteria = [{"member_id": m, "contract_id": "H1234", "part_d_drugs": 1, "core_conditions": 0,
                 "projected_annual_cost": 100, "arb": m == "ARB"} for m in members]
    priority = model("tgt_service_priority", run_signal_weight=weights, tgt_member_criteria=criteria,
                     tgt_member_signal_points=[], tgt_service_due=due)
    rows = {r["member_id"]: r for r in priority if r["service"] == "cmr_initial"}
    score = {m: float(rows[m]["priority_score"]) for m in members}
    # LATE is 92 days overdue (due 30 June), RECENT 17 days (due 13 September): same facts otherwise
    assert (rows["LATE"]["days_until_due"], rows["RECENT"]["days_until_due"]) == (-92, -17)
    assert score["LATE"] > score["RECENT"]
    assert score["ARB"] > score["RECENT"]
    assert [rows[m]["priority_rank"] for m in ("LATE", "ARB", "RECENT")] == [1, 2, 3]


def test_a_ledger_from_before_enrollment_source_gains_the_columns_and_keeps_its_rows(tmp_path, models_at):
    """A ledger as an old home left it (no enrollment_source and later columns) gains the columns through
    ``create_declared`` -- what the engine calls on a home's persistent tables before a run reads them and
    again before publishing -- and a run on it keeps the row, read as source ``run`` (issue 24: the run is
    the ENROLLMENT_CHAIN build given the upgraded ledger; it was a whole run on a template home; an older
    home's first whole run is test_i30_upgrade.py)."""
    con = duckdb.connect()
    con.execute("CREATE TABLE mtm_enrollment_ledger (member_id VARCHAR NOT NULL, contract_id VARCHAR NOT NULL, "
                "contract_year INTEGER NOT NULL, mtm_enrollment_date DATE NOT NULL, date_met_criteria DATE)")
    con.execute("INSERT INTO mtm_enrollment_ledger VALUES ('OLD', 'H1234', 2025, DATE '2025-06-30', DATE '2025-06-30')")
    create_declared(con, "mtm_enrollment_ledger")
    cursor = con.execute("SELECT * FROM mtm_enrollment_ledger")
    upgraded = [dict(zip([d[0] for d in cursor.description], r, strict=True)) for r in cursor.fetchall()]
    con.close()
    assert [(r["member_id"], r["enrollment_source"], r["targeting_reason"]) for r in upgraded] == [("OLD", None, None)]
    harness, folder = models_at(tmp_path)
    built = rule_chain.build(harness, folder, {
        "eligibility": [member("OLD")], "pharmacy_claim": [fill("OLD", "2025-09-01")], "dmp_arb": arb("OLD"),
        "mtm_event": [event("OLD", "2025-02-01", "cmr_offered")]}, ENROLLMENT_CHAIN, ledger=upgraded)
    assert [r[:6] for r in ledger_written(built)] == [
        ("OLD", "H1234", 2025, dt.date(2025, 6, 30), dt.date(2025, 6, 30), "run")]
    summary = by_member(built["member_summary"])
    assert (summary["OLD"]["mtm_enrollment_date"], summary["OLD"]["enrollment_source"]) == ("2025-06-30", "run")
