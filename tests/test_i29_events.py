"""Issue 29: the pharmacist's records become mtm_event rows in <home>/events/ (the contacts' path), and bad
input is refused with a message and nothing written."""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3

import duckdb
import pytest

from pipelines.ingest.extract_files import recorded_event_files
from pipelines.ingest.readers import ingest_extract
from pipelines.portal import cmr, contacts, store
from pipelines.run_state.run_context import SAMPLE_EXTRACT

TODAY = dt.date(2025, 10, 1)
MEMBER = cmr.Member("M000000335", "H1234", enrolled=True, enrollment_date=dt.date(2025, 3, 1),
                    run_as_of="2025-09-30")


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    store.connect(home).close()
    return home


def rec(con, home, kind, day, payload=None, role="pharmacist", member=MEMBER, **kw):
    return cmr.record(con, home, role=role, recorded_by="phil", member=member, kind=kind,
                      event_date=dt.date.fromisoformat(day), payload=payload, today=TODAY, **kw)


def events(home) -> list[dict]:
    with contacts.events_path(home).open(newline="") as fh:
        return list(csv.DictReader(fh))


DTP = {"dtp_type": "drug_interaction", "drug_key": "simvastatin", "recommendation": "Switch to pravastatin",
       "prescriber_npi": "1234567893"}
CMR = {"delivery_method": "telephone", "recipient": "beneficiary", "provider_type": "pharmacist"}


def test_a_whole_review_writes_its_events_beside_the_contacts_and_the_reader_accepts_every_row(home):
    con = store.connect(home)
    contacts.record_contact(con, home, recorded_by="olga", member_id=MEMBER.member_id, contract_id="H1234",
                            run_as_of="2025-09-30", contact_date=dt.date(2025, 9, 2), outcome="cmr_offered",
                            channel="phone")
    rec(con, home, "medicines", "2025-09-10", {"medicines": [{"medicine": "Simvastatin 20 mg", "how": "1 at night",
                                                            "why": "cholesterol", "source": "claims"}]})
    rec(con, home, "dtp", "2025-09-10", DTP)
    rec(con, home, "dtp", "2025-09-10", {**DTP, "dtp_type": "nonadherence", "drug_key": "lisinopril"})
    rec(con, home, "cmr_completed", "2025-09-10", CMR)
    rec(con, home, "summary_sent", "2025-09-12", {"language": "es"})
    first = cmr.dtps(con, MEMBER.member_id)[0]["dtp_id"]
    ids = rec(con, home, "prescriber_response", "2025-09-20", {"prescriber_response": "accepted"}, dtp_id=first,
              acted_on=True)
    assert len(ids) == 2  # the response and the resolution it brought
    rows = events(home)
    mine = [r for r in rows if r["portal_entry_id"].startswith("cmr-")]
    assert [r["event_type"] for r in mine] == ["dtp_recommendation", "dtp_recommendation", "cmr_completed",
                                               "summary_sent", "prescriber_response", "dtp_resolved"]
    assert {r["event_type"] for r in rows} >= {"outreach_attempt", "cmr_offered"}  # the contacts stay
    assert mine[0].items() >= {"dtp_type": "drug_interaction", "drug_key": "simvastatin",
                                        "prescriber_npi": "1234567893", "provider_type": "pharmacist"}.items()
    assert mine[4]["dtp_id"] == mine[5]["dtp_id"] == first and mine[4]["prescriber_response"] == "accepted"
    assert mine[2]["delivery_method"] == "telephone" and mine[2]["cognitively_impaired"] == "false"
    # the next run reads them with the input contract: every row typed, none rejected
    duck = duckdb.connect()
    ingest_extract(duck, [SAMPLE_EXTRACT], extra_sources=recorded_event_files(home))
    read = duck.execute("SELECT event_type, dtp_id, dtp_type, prescriber_response, _problems FROM raw_mtm_event "
                        "WHERE _file = 'portal_mtm_event.csv' AND dtp_id IS NOT NULL ORDER BY _row").fetchall()
    assert [r[0] for r in read] == ["dtp_recommendation", "dtp_recommendation", "prescriber_response",
                                    "dtp_resolved"]
    assert all(r[4] is None for r in read) and read[2][3] == "accepted" and read[0][2] == "drug_interaction"


def _nothing_written(con, home, before: int, file_before: bytes | None):
    assert con.execute("SELECT count(*) FROM cmr_records").fetchone()[0] == before
    path = contacts.events_path(home)
    assert (path.read_bytes() if path.exists() else None) == file_before


@pytest.mark.parametrize("case, message", [
    ("wrong_role", "only a pharmacist"),
    ("not_enrolled", "not enrolled in MTM"),
    ("summary_before_cmr", "no completed CMR"),
    ("unknown_dtp", "unknown drug therapy problem"),
    ("bad_dtp_type", "unknown drug therapy problem type"),
    ("future", "cannot be in the future"),
    ("before_enrollment", "before this member's MTM enrollment"),
    ("declined_acted_on", "was not acted on"),
    ("response_before_recommendation", "before the recommendation"),
    ("bad_npi", "not 10 digits"),
])
def test_bad_input_is_refused_with_a_message_and_nothing_written(home, case, message):
    con = store.connect(home)
    rec(con, home, "dtp", "2025-09-10", DTP)
    known = cmr.dtps(con)[0]["dtp_id"]
    before, file_before = 1, contacts.events_path(home).read_bytes()
    attempts = {
        "wrong_role": lambda: rec(con, home, "cmr_completed", "2025-09-10", CMR, role="outreach"),
        "not_enrolled": lambda: rec(con, home, "cmr_completed", "2025-09-10", CMR,
                                    member=cmr.Member("M2", "H1234", enrolled=False, run_as_of="2025-09-30")),
        "summary_before_cmr": lambda: rec(con, home, "summary_sent", "2025-09-12"),
        "unknown_dtp": lambda: rec(con, home, "prescriber_response", "2025-09-20",
                                   {"prescriber_response": "accepted"}, dtp_id="DTP-NOPE"),
        "bad_dtp_type": lambda: rec(con, home, "dtp", "2025-09-10", {**DTP, "dtp_type": "too_many_pills"}),
        "future": lambda: rec(con, home, "cmr_completed", "2025-10-02", CMR),
        "before_enrollment": lambda: rec(con, home, "cmr_completed", "2025-02-27", CMR),
        "declined_acted_on": lambda: rec(con, home, "prescriber_response", "2025-09-20",
                                         {"prescriber_response": "declined"}, dtp_id=known, acted_on=True),
        "response_before_recommendation": lambda: rec(con, home, "prescriber_response", "2025-09-01",
                                                      {"prescriber_response": "accepted"}, dtp_id=known),
        "bad_npi": lambda: rec(con, home, "dtp", "2025-09-10", {**DTP, "prescriber_npi": "12345"}),
    }
    with pytest.raises(cmr.CmrError, match=message):
        attempts[case]()
    _nothing_written(con, home, before, file_before)


def test_a_summary_follows_a_cmr_of_the_run_or_of_the_portal_and_a_dtp_resolves_once(home):
    con = store.connect(home)
    from_run = cmr.Member(**{**MEMBER.__dict__, "cmr_dates": (dt.date(2025, 8, 1),)})
    rec(con, home, "summary_sent", "2025-08-05", member=from_run)  # the CMR came with the extract
    with pytest.raises(cmr.CmrError, match="no completed CMR"):
        rec(con, home, "summary_sent", "2025-08-05")  # without it, none
    rec(con, home, "dtp", "2025-09-10", DTP)
    dtp_id = cmr.dtps(con)[0]["dtp_id"]
    rec(con, home, "dtp_resolved", "2025-09-30", {"basis": "claims: simvastatin not refilled"}, dtp_id=dtp_id)
    with pytest.raises(cmr.CmrError, match="resolved already"):
        rec(con, home, "dtp_resolved", "2025-09-30", dtp_id=dtp_id)
    assert cmr.dtps(con)[0]["resolved_on"] == "2025-09-30"


def test_records_are_append_only(home):
    con = store.connect(home)
    rec(con, home, "dtp", "2025-09-10", DTP)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("UPDATE cmr_records SET kind = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("DELETE FROM cmr_records")


def test_the_tmr_follow_up_flags_unanswered_recommendations_and_proposes_resolved_from_the_claims(home):
    con = store.connect(home)
    rec(con, home, "medicines", "2025-08-01", {"medicines": [
        {"medicine": "Simvastatin", "drug_key": "simvastatin"}, {"medicine": "Metformin", "drug_key": "metformin"}]})
    rec(con, home, "dtp", "2025-08-01", DTP)                                                  # interaction
    rec(con, home, "dtp", "2025-08-01", {**DTP, "dtp_type": "nonadherence", "drug_key": "metformin"})
    rec(con, home, "dtp", "2025-08-01", {**DTP, "dtp_type": "needs_additional_therapy", "drug_key": "metformin"})
    rec(con, home, "dtp", "2025-09-25", {**DTP, "dtp_type": "unnecessary_drug", "drug_key": "metformin"})
    answered = cmr.dtps(con)[1]["dtp_id"]
    rec(con, home, "prescriber_response", "2025-08-05", {"prescriber_response": "accepted"}, dtp_id=answered)
    # the run of 30 September: simvastatin no longer filled, metformin filled again 1 September, and a new
    # drug (lisinopril) that was not on the list at the review
    active = {MEMBER.member_id: {"metformin": dt.date(2025, 9, 1), "lisinopril": dt.date(2025, 9, 10)}}
    rows = {r["dtp_type"]: r for r in cmr.followup(con, "2025-09-30", active, lambda c: True)}
    assert rows["drug_interaction"]["proposal"] == "simvastatin is no longer filled"
    assert rows["nonadherence"]["proposal"] == "metformin filled again on 2025-09-01"
    assert rows["needs_additional_therapy"]["proposal"] == "started lisinopril"
    assert rows["unnecessary_drug"]["proposal"] == ""   # metformin still filled
    assert rows["drug_interaction"]["unanswered"] and not rows["nonadherence"]["unanswered"]  # answered
    assert not rows["unnecessary_drug"]["unanswered"]  # 5 days old
    assert cmr.followup(con, "2025-09-30", active, lambda c: c == "S0000") == []  # another contract's user
    # a run dated before the recommendation proposes nothing
    assert all(not r["proposal"] for r in cmr.followup(con, "2025-08-01", active, lambda c: True))


def test_the_draft_from_the_claims_says_why_in_plain_words(home):
    """'Why I use it' is drafted from the drug class's plain-words purpose (drug_class_purpose.csv), not its code."""
    con = store.connect(home)
    claims = [{"medication": "atorvastatin 20 mg", "ingredients": "atorvastatin", "drug_class": "statin",
               "last_quantity": 30, "days_supply": 30, "last_fill_date": "2025-09-01"}]
    draft, allergies, confirmed = cmr.working_medicines(con, MEMBER.member_id, claims)
    assert (draft[0]["why"], allergies, confirmed) == ("cholesterol", "", False)
    assert draft[0]["filled"] == "30 for 30 days, last 2025-09-01"
