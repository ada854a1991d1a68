"""Issue 25 item 10 on the SQL models where the rules are written (tests/model_harness.py): a CMR counts for
the CMR completion rate only on or after the member's MTM enrollment date and with its written summary; CMRs
waiting for their summary and late summaries are reported; the CMR-offered-within-60-days rate counts only
enrollees whose window has closed by D, and inferred enrollments apart. D = 2025-09-30."""

from __future__ import annotations

import datetime as dt

D = dt.date.fromisoformat


def ledger(member_id: str, enrolled: str, source: str = "run", contract_id: str = "H1234") -> dict:
    return {"member_id": member_id, "contract_id": contract_id, "contract_year": 2025,
            "mtm_enrollment_date": D(enrolled), "date_met_criteria": D(enrolled), "enrollment_source": source,
            "mtm_enrolled": True}


def event(member_id: str, day: str, event_type: str, contract_id: str = "H1234", seq: int = 0) -> dict:
    return {"member_id": member_id, "event_date": D(day), "event_type": event_type, "contract_id": contract_id,
            "_seq": seq}


def adult(member_id: str) -> dict:
    return {"member_id": member_id, "birth_date": D("1950-01-01"), "hospice": False}


LEDGER = [ledger("EARLY", "2025-06-01"), ledger("WAITING", "2025-03-01"), ledger("LATE", "2025-03-01"),
          ledger("ON_TIME", "2025-03-01"), ledger("NEW_DONE", "2025-09-20"), ledger("NEW_WAITING", "2025-09-20")]
EVENTS = [
    # EARLY: a CMR (and its summary) dated before the enrollment date of the ledger row
    event("EARLY", "2025-05-20", "cmr_completed", seq=1), event("EARLY", "2025-05-25", "summary_sent", seq=2),
    # WAITING: a CMR on 1 September, no summary yet (and an older summary dated before it)
    event("WAITING", "2025-04-01", "summary_sent", seq=3), event("WAITING", "2025-09-01", "cmr_completed", seq=4),
    # LATE: summary sent 20 days after the CMR; ON_TIME: 5 days after
    event("LATE", "2025-04-10", "cmr_completed", seq=5), event("LATE", "2025-04-30", "summary_sent", seq=6),
    event("ON_TIME", "2025-04-10", "cmr_completed", seq=7), event("ON_TIME", "2025-04-15", "summary_sent", seq=8),
    # enrolled 11 days: in the denominator only with a counted CMR (its summary sent)
    event("NEW_DONE", "2025-09-25", "cmr_completed", seq=9), event("NEW_DONE", "2025-09-29", "summary_sent", seq=10),
    event("NEW_WAITING", "2025-09-25", "cmr_completed", seq=11),
]


def test_cmr_counts_after_enrollment_and_with_its_written_summary(model):
    cmrs = model("qm_cmr_event", tgt_mtm_enrollment=LEDGER, tgt_mtm_event=EVENTS)
    rows = model("qm_cmr_member", tgt_mtm_enrollment=LEDGER, qm_cmr_event=cmrs,
                 core_member=[adult(m["member_id"]) for m in LEDGER])
    got = {r["member_id"]: (r["in_denominator"], r["in_numerator"], r["cmrs"], r["cmrs_awaiting_summary"],
                            r["cmrs_summary_after_14_days"], r["cmrs_before_enrollment"]) for r in rows}
    # before: EARLY and WAITING were in the numerator (any cmr_completed of the contract in the year)
    assert got == {"EARLY": (True, False, 0, 0, 0, 1),
                   "WAITING": (True, False, 0, 1, 0, 0),
                   "LATE": (True, True, 1, 0, 1, 0),
                   "ON_TIME": (True, True, 1, 0, 0, 0),
                   "NEW_DONE": (True, True, 1, 0, 0, 0),
                   "NEW_WAITING": (False, False, 0, 1, 0, 0)}  # before: (True, True)
    assert next(r for r in rows if r["member_id"] == "NEW_WAITING")["exclusion_reason"] == "enrolled_under_60_days"


def test_cmrs_waiting_for_their_summary_and_late_summaries_are_reported_by_month(model):
    cmrs = model("qm_cmr_event", tgt_mtm_enrollment=LEDGER, tgt_mtm_event=EVENTS)
    rows = model("program_metrics", tgt_mtm_enrollment=LEDGER, tgt_mtm_event=EVENTS, qm_cmr_event=cmrs)
    got = {(r["month"], r["metric"]): r["value"] for r in rows if r["contract_id"] == "H1234"}
    assert got[("2025-09", "cmr_awaiting_summary")] == 2   # WAITING, NEW_WAITING
    assert got[("2025-04", "cmr_summary_after_14_days")] == 1  # LATE
    assert got[("2025-05", "cmr_awaiting_summary")] == 0  # EARLY's CMR before enrollment is not reported
    assert got[("2025-04", "cmr_completed")] == 2  # the event count itself is unchanged


def test_offer_rate_counts_closed_windows_and_reports_inferred_enrollments_apart(model):
    enrollment = [
        ledger("OFFERED", "2025-07-01"),                                  # window closed 30 August: offered
        ledger("NOT_OFFERED", "2025-07-05"),                              # window closed 3 September: not offered
        ledger("INFERRED", "2025-07-10", source="inferred_from_events"),  # enrollment date = its offer
        ledger("OPEN", "2025-08-15"),                                     # window closes 14 October, after D
        ledger("COMPLETED", "2025-06-02"),                                # a CMR done within 60 days was offered
    ]
    events = [event("OFFERED", "2025-07-20", "cmr_offered"), event("INFERRED", "2025-07-10", "cmr_offered"),
              event("COMPLETED", "2025-07-01", "cmr_completed")]
    cmrs = model("qm_cmr_event", tgt_mtm_enrollment=enrollment, tgt_mtm_event=events)
    rows = model("program_metrics", tgt_mtm_enrollment=enrollment, tgt_mtm_event=events, qm_cmr_event=cmrs)
    got = {(r["month"], r["metric"]): r["value"] for r in rows if r["contract_id"] == "H1234"}
    july = {k: got[("2025-07", k)] for k in ("mtm_enrolled_new", "cmr_offer_window_closed",
                                             "cmr_offered_within_60_days", "mtm_enrolled_new_inferred",
                                             "cmr_offered_within_60_days_rate")}
    # before: 2 of 3 new July enrollees offered (66.7%), the inferred one counted as offered
    assert july == {"mtm_enrolled_new": 3, "cmr_offer_window_closed": 2, "cmr_offered_within_60_days": 1,
                    "mtm_enrolled_new_inferred": 1, "cmr_offered_within_60_days_rate": 0.5}
    # before: 0 of 1 (0%) for August, whose only enrollee still has until 14 October
    assert got[("2025-08", "cmr_offer_window_closed")] == 0
    assert ("2025-08", "cmr_offered_within_60_days_rate") not in got
    assert got[("2025-06", "cmr_offered_within_60_days_rate")] == 1.0
