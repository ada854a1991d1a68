"""Issue 25 item 4 (a submittable CMS file, edit "opt-out before enrollment") on the model that owns the rule,
tgt_ledger_next: a member who enters the ledger inferred from service events, with an opt-out recorded
before the first of them, was enrolled by the opt-out date (targeting-rules.md section 6: the opt-out "is
honoured the same way" as the service events)."""

from __future__ import annotations

import datetime as dt

D = dt.date(2025, 9, 30)
COLUMNS = ("member_id", "mtm_enrollment_date", "enrollment_source")


def ledger_next(model, evidence: list[dict], opt_outs: list[dict], *members: str) -> list[tuple]:
    rows = model("tgt_ledger_next", params={"as_of_date": D, "contract_year": D.year},
                 tgt_member_criteria=[{"member_id": m, "contract_id": "H1234", "meets_criteria": True,
                                       "targeting_reason": "01"} for m in members],
                 tgt_enrollment_evidence=evidence, tgt_opt_out_request=opt_outs)
    return sorted(tuple(r[c] for c in COLUMNS) for r in rows)


def evidence(member: str, first: str) -> dict:
    return {"member_id": member, "contract_id": "H1234", "first_service_date": dt.date.fromisoformat(first),
            "first_service_event": "outreach_attempt", "service_events": 1}


def opt_out(member: str, day: str) -> dict:
    return {"member_id": member, "contract_id": "H1234", "opt_out_date": dt.date.fromisoformat(day),
            "opt_out_reason": "requested"}


def test_an_opt_out_before_the_first_service_event_dates_the_enrollment(model):
    # was: enrolled 2025-05-04 (the outreach attempt) with an opt-out dated 2025-02-10, before it
    got = ledger_next(model, [evidence("OPT", "2025-05-04")], [opt_out("OPT", "2025-02-10")], "OPT")
    assert got == [("OPT", dt.date(2025, 2, 10), "inferred_from_events")]


def test_an_opt_out_after_the_first_service_event_changes_nothing(model):
    got = ledger_next(model, [evidence("LATE", "2025-03-01")], [opt_out("LATE", "2025-06-01")], "LATE")
    assert got == [("LATE", dt.date(2025, 3, 1), "inferred_from_events")]


def test_an_opt_out_without_service_events_still_keeps_the_member_out(model):
    assert ledger_next(model, [], [opt_out("ONLY", "2025-02-10")], "ONLY") == []
