"""Issue 29, the run side on the model harness (tests/model_harness.py): drug therapy problems followed by
dtp_id (qm_dtp), the CMS file's recommendation and resolution counts, the program metrics (DTPs by type,
prescriber acceptance rate, median days to resolution, summaries within 14 days) and the dashboard's counts.
D = 2025-09-30."""

from __future__ import annotations

import datetime as dt

D = dt.date.fromisoformat
VALID_MBI = "1EG4TE5MK73"
_seq = iter(range(1, 10_000))


def ev(member_id: str, day: str, event_type: str, dtp_id: str | None = None, contract: str = "H1234",
       **extra) -> dict:
    """An attributed MTM event with every column the DTP rules read (the harness takes columns from rows)."""
    return {"member_id": member_id, "contract_id": contract, "event_date": D(day), "event_type": event_type,
            "_seq": next(_seq), "dtp_id": dtp_id, "dtp_type": None, "drug_key": None, "prescriber_npi": None,
            "prescriber_response": None, "delivery_method": None, "provider_type": None, "recipient": None,
            "cognitively_impaired": None, **extra}


def rec(member_id, day, dtp_id, dtp_type="drug_interaction", **kw):
    return ev(member_id, day, "dtp_recommendation", dtp_id, dtp_type=dtp_type, drug_key="simvastatin",
              prescriber_npi="1234567893", **kw)


def answer(member_id, day, dtp_id, response):
    return ev(member_id, day, "prescriber_response", dtp_id, prescriber_response=response)


def resolved(member_id, day, dtp_id=None, response=None):
    return ev(member_id, day, "dtp_resolved", dtp_id, prescriber_response=response)


EVENTS = [
    # PORTAL: two problems recorded in the portal; one accepted and resolved 10 days later
    rec("PORTAL", "2025-08-01", "D1"), rec("PORTAL", "2025-08-01", "D2", dtp_type="nonadherence"),
    answer("PORTAL", "2025-08-08", "D1", "accepted"), resolved("PORTAL", "2025-08-11", "D1", "accepted"),
    # REPEAT: one problem whose recommendation was sent twice (a fax re-sent): one recommendation; declined
    rec("REPEAT", "2025-08-05", "D3"), rec("REPEAT", "2025-08-19", "D3"),
    answer("REPEAT", "2025-08-20", "D3", "declined"),
    # LEGACY: an extract from before dtp_id: every event counts as before (2 recommendations, 1 resolution)
    ev("LEGACY", "2025-06-02", "dtp_recommendation"), ev("LEGACY", "2025-06-02", "dtp_recommendation"),
    resolved("LEGACY", "2025-06-30"),
    # ORPHAN: a resolution naming a dtp_id with no recommendation this year: resulted from none, not counted
    resolved("ORPHAN", "2025-02-01", "OLD"),
    # MODIFIED then answered again: the latest answer is the prescriber's answer (modified = accepted)
    rec("MOD", "2025-09-01", "D4", dtp_type="dose_too_high"), answer("MOD", "2025-09-05", "D4", "no_response"),
    answer("MOD", "2025-09-12", "D4", "modified"), resolved("MOD", "2025-09-21", "D4", "modified"),
]


def test_each_problem_is_followed_by_its_dtp_id_to_its_answer_and_resolution(model):
    rows = model("qm_dtp", tgt_mtm_event=EVENTS)
    got = {(r["member_id"], r["dtp_id"]): (r["dtp_type"], r["recommended_on"], r["prescriber_response"],
                                           r["resolved_on"], r["days_to_resolution"]) for r in rows if r["dtp_id"]}
    assert got == {
        ("PORTAL", "D1"): ("drug_interaction", D("2025-08-01"), "accepted", D("2025-08-11"), 10),
        ("PORTAL", "D2"): ("nonadherence", D("2025-08-01"), None, None, None),
        ("REPEAT", "D3"): ("drug_interaction", D("2025-08-05"), "declined", None, None),  # once, the first date
        ("MOD", "D4"): ("dose_too_high", D("2025-09-01"), "modified", D("2025-09-21"), 20),
    }
    legacy = [r for r in rows if r["member_id"] == "LEGACY"]
    assert sorted((r["recommended_on"] is not None, r["resolved_on"] is not None) for r in legacy) == [
        (False, True), (True, False), (True, False)]  # 2 recommendations and 1 resolution, as before dtp_id
    assert all(r["dtp_type"] == "unspecified" for r in legacy)
    assert not [r for r in rows if r["member_id"] == "ORPHAN"]


def _enrollment(member_id: str) -> dict:
    return {"member_id": member_id, "contract_id": "H1234", "contract_year": 2025,
            "mtm_enrollment_date": D("2025-03-01"), "date_met_criteria": D("2025-03-01"), "enrollment_source": "run",
            "targeting_reason": "01"}


def _core(member_id: str) -> dict:
    return {"member_id": member_id, "mbi": VALID_MBI, "birth_date": D("1950-01-01"), "ltc_resident": False}


def test_the_cms_file_counts_recommendations_and_the_resolutions_resulting_from_them(model):
    members = ["PORTAL", "REPEAT", "LEGACY", "ORPHAN", "MOD", "NONE"]
    qm = model("qm_dtp", tgt_mtm_event=EVENTS)
    rows = model("cms_mtm_beneficiary_file", tgt_mtm_enrollment=[_enrollment(m) for m in members],
                 core_member=[_core(m) for m in members], tgt_mtm_event=EVENTS, qm_dtp=qm)
    got = {r["member_id"]: (r["dtp_recommendations"], r["dtp_resolutions"]) for r in rows}
    # before (events counted): REPEAT 2 recommendations, ORPHAN 1 resolution
    assert got == {"PORTAL": (2, 1), "REPEAT": (1, 0), "LEGACY": (2, 1), "ORPHAN": (0, 0), "MOD": (1, 1),
                   "NONE": (0, 0)}


def test_program_metrics_dtps_by_type_acceptance_rate_and_median_days(model):
    qm = model("qm_dtp", tgt_mtm_event=EVENTS)
    rows = model("program_metrics", tgt_mtm_enrollment=[_enrollment("PORTAL")], tgt_mtm_event=EVENTS, qm_dtp=qm)
    got = {(r["month"], r["metric"]): r["value"] for r in rows if r["contract_id"] == "H1234"}
    assert got[("2025-08", "dtp_recommendations")] == 3          # D1, D2, D3 (D3 once)
    assert got[("2025-08", "dtp_recommendations_drug_interaction")] == 2
    assert got[("2025-08", "dtp_recommendations_nonadherence")] == 1
    assert got[("2025-06", "dtp_recommendations_unspecified")] == 2  # the legacy events
    assert got[("2025-08", "prescriber_responses_answered")] == 2   # D1 accepted, D3 declined
    assert got[("2025-08", "prescriber_responses_accepted")] == 1
    assert got[("2025-08", "prescriber_acceptance_rate")] == 0.5
    assert got[("2025-09", "prescriber_acceptance_rate")] == 1.0    # D4 modified (its no_response superseded)
    assert got[("2025-08", "dtp_resolutions")] == 1 and got[("2025-02", "dtp_resolutions")] == 0  # not ORPHAN
    assert got[("2025-08", "dtp_resolution_median_days")] == 10.0
    assert got[("2025-09", "dtp_resolution_median_days")] == 20.0
    assert ("2025-07", "prescriber_acceptance_rate") not in got     # nothing answered: no rate
    flags = {r["metric"]: r["is_rate"] for r in rows}
    assert flags["dtp_resolution_median_days"] and flags["prescriber_acceptance_rate"]
    assert not flags["prescriber_responses_accepted"]


def test_summaries_within_14_days_count_cmrs_whose_window_closed(model):
    ledger = [_enrollment(m) for m in ("FAST", "SLOW", "WAITING", "RECENT")]
    events = [ev("FAST", "2025-08-01", "cmr_completed"), ev("FAST", "2025-08-05", "summary_sent"),
              ev("SLOW", "2025-08-01", "cmr_completed"), ev("SLOW", "2025-08-25", "summary_sent"),
              ev("WAITING", "2025-08-10", "cmr_completed"),   # 14 days passed, no summary: counts against
              ev("RECENT", "2025-09-25", "cmr_completed")]    # its 14 days have not passed: not yet judged
    cmrs = model("qm_cmr_event", tgt_mtm_enrollment=ledger, tgt_mtm_event=events)
    rows = model("program_metrics", tgt_mtm_enrollment=ledger, tgt_mtm_event=events, qm_cmr_event=cmrs)
    got = {(r["month"], r["metric"]): r["value"] for r in rows if r["contract_id"] == "H1234"}
    assert (got[("2025-08", "cmr_summary_window_closed")], got[("2025-08", "cmr_summary_within_14_days")],
            got[("2025-08", "cmr_summary_within_14_days_rate")]) == (3, 1, 0.3333)
    assert got[("2025-09", "cmr_summary_window_closed")] == 0


def test_dashboard_counts_carry_the_medication_review_panel(model):
    qm = model("qm_dtp", tgt_mtm_event=EVENTS)
    rows = model("dashboard_counts", qm_dtp=qm)
    got = {(r["panel"], r["category"]): r["members"] for r in rows if r["panel"] in ("dtp_type", "medication_review")}
    assert got == {("dtp_type", "drug_interaction"): 2, ("dtp_type", "nonadherence"): 1,
                   ("dtp_type", "dose_too_high"): 1, ("dtp_type", "unspecified"): 2,
                   ("medication_review", "dtp_recommended"): 6, ("medication_review", "dtp_resolved"): 3,
                   ("medication_review", "dtp_answered"): 3, ("medication_review", "dtp_accepted"): 2}


def test_shared_metrics_hide_a_rate_or_median_whose_counts_are_hidden_and_keep_the_equations():
    import polars as pl

    from pipelines.publishing.exports.measures import suppressed_program_metrics

    def row(metric, value):
        return {"as_of_date": "2025-09-30", "contract_id": "H1234", "month": "2025-09", "metric": metric,
                "value": float(value), "published": True,
                "is_rate": metric.endswith(("_rate", "_median_days"))}

    frame = pl.DataFrame([row("prescriber_responses_accepted", 30), row("prescriber_responses_answered", 35),
                          row("prescriber_acceptance_rate", 30 / 35), row("cmr_summary_within_14_days", 40),
                          row("cmr_summary_window_closed", 55), row("cmr_summary_within_14_days_rate", 0.7273),
                          row("dtp_resolutions", 4), row("dtp_resolution_median_days", 12),
                          row("cmr_offered_within_60_days", 20), row("cmr_offer_window_closed", 20),
                          row("cmr_offered_within_60_days_rate", 1.0)])
    shown = {r["metric"]: r["value_display"] for r in suppressed_program_metrics(frame).iter_rows(named=True)}
    # 5 declined (35 - 30) would be read from the two counts: one of them is hidden, and so is the rate
    assert "<11" not in (shown["prescriber_responses_accepted"], shown["prescriber_responses_answered"])
    assert "suppressed" in (shown["prescriber_responses_accepted"], shown["prescriber_responses_answered"])
    assert shown["prescriber_acceptance_rate"] == "suppressed"
    assert (shown["cmr_summary_within_14_days"], shown["cmr_summary_window_closed"],
            shown["cmr_summary_within_14_days_rate"]) == ("40", "55", "0.7273")  # 15 late: nothing small
    assert shown["dtp_resolutions"] == "<11" and shown["dtp_resolution_median_days"] == "suppressed"
    assert shown["cmr_offered_within_60_days_rate"] == "1.0000"  # 0 not offered: a zero is not a small cell
