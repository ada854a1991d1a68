"""The pharmacist's side of MTM (issue 29): the CMR workspace's records and the ``mtm_event`` rows they mean.

Each record is a row of the append-only ``cmr_records`` table of the portal file, written through the one
path every recorded entry takes (``contacts.append_and_rewrite``: insert, rewrite
``<home>/events/portal_mtm_event.csv`` atomically, commit), audited by the page that records it, and read by
the next run as ``mtm_event`` rows (input-contract.md, 2026-12-07). Nothing is written into the warehouse.

What a record kind means (rules as data, ``KINDS``): the working list of medicines and the action plan are
the pharmacist's drafts (no event: CMS counts neither); a drug therapy problem is a ``dtp_recommendation``; a
completed CMR a ``cmr_completed``; the written summary a ``summary_sent``; the prescriber's answer a
``prescriber_response``; a recommendation acted on a ``dtp_resolved``. A later version of a draft supersedes
the earlier one (the latest wins); events are never edited.

Refused, with a message and nothing written (``CmrError``): a role other than the pharmacist's, a member
not enrolled in MTM, a date in the future or before the member's MTM enrollment, a summary before its CMR,
a response or resolution for an unknown ``dtp_id``, a value outside the input contract's lists.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.ingest.contract import (
    CMR_DELIVERY_METHODS,
    CMR_RECIPIENTS,
    DTP_TYPES,
    PRESCRIBER_RESPONSES,
    PROVIDER_TYPES,
)
from pipelines.portal import access
from pipelines.portal.cmr_records import KINDS, dtps, latest, records
from pipelines.portal.contacts import append_and_rewrite
from pipelines.portal.store import now_utc
from pipelines.publishing.exports import medication_list

#: responses after which a recommendation may be recorded as acted on (resolved)
ACTED_ON_RESPONSES = ("accepted", "modified")
#: a recommendation without an answer this many days after it is listed for follow-up (TMR worklist)
FOLLOW_UP_DAYS = 14
MAX_TEXT = 500
INSERT = ("INSERT INTO cmr_records (recorded_at, recorded_by, member_id, contract_id, run_as_of, kind, event_date, "
          "dtp_id, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")


class CmrError(ValueError):
    """A record refused: the message says why; nothing was written."""


@dataclass(frozen=True)
class Member:
    """What the published run says of a member, for checking a record (member_summary, member_events)."""

    member_id: str
    contract_id: str
    enrolled: bool
    enrollment_date: dt.date | None = None
    opt_out_date: dt.date | None = None
    #: cmr_completed dates the run's events already hold (the extract's, and the portal's read by the run)
    cmr_dates: tuple[dt.date, ...] = ()
    run_as_of: str = ""
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_run(cls, summary: dict, events: list[dict], run_as_of: str) -> Member:
        return cls(member_id=str(summary["member_id"]), contract_id=str(summary["contract_id"]),
                   enrolled=bool(summary.get("mtm_enrolled")),
                   enrollment_date=_date_or_none(summary.get("mtm_enrollment_date")),
                   opt_out_date=_date_or_none(summary.get("opt_out_date")),
                   cmr_dates=tuple(d for e in events if e.get("event_type") == "cmr_completed"
                                   and (d := _date_or_none(e.get("event_date"))) is not None),
                   run_as_of=run_as_of)


def _date_or_none(value) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def parse_date(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat((text or "").strip())
    except ValueError as exc:
        raise CmrError(f"the {what} must be a date like 2025-09-30 (got {text!r})") from exc


def _text(value, what: str, required: bool = False) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        raise CmrError(f"the {what} is empty: fill it in")
    if len(text) > MAX_TEXT:
        raise CmrError(f"the {what} has {len(text)} characters: at most {MAX_TEXT}")
    return text


def _one_of(value, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise CmrError(f"unknown {what} {value!r}: one of {', '.join(allowed)}")
    return str(value)


# -- reading ----------------------------------------------------------------------------------------------

def cmr_dates(con: sqlite3.Connection, member: Member) -> list[dt.date]:
    """Completed CMRs of the member: the run's events and the portal's records (not yet read by a run)."""
    recorded = [dt.date.fromisoformat(r["event_date"]) for r in records(con, member.member_id, "cmr_completed")]
    return sorted(set(member.cmr_dates) | set(recorded))


# -- recording --------------------------------------------------------------------------------------------

def record(con: sqlite3.Connection, home: Path, *, role: str, recorded_by: str, member: Member, kind: str,
           event_date: dt.date, payload: dict | None = None, dtp_id: str = "", acted_on: bool = False,
           today: dt.date | None = None) -> list[int]:
    """Check and append one record (a prescriber response acted on also appends its ``dtp_resolved``), and
    rewrite the events file; returns the new record ids. Raises ``CmrError`` (nothing written) when refused."""
    if not access.may_record_cmr(role):
        raise CmrError(f"your role ({role}) may not record CMRs, drug therapy problems, written summaries or "
                       "prescriber responses: only a pharmacist records them")
    if kind not in KINDS:
        raise CmrError(f"unknown record kind {kind!r}")
    if not member.enrolled:
        raise CmrError(f"member {member.member_id} is not enrolled in MTM in the run of {member.run_as_of}: "
                       "a CMR and its records are kept for enrolled members only")
    today = today or dt.date.today()
    if event_date > today:
        raise CmrError(f"the date {event_date} cannot be in the future (today is {today})")
    if member.enrollment_date and event_date < member.enrollment_date:
        raise CmrError(f"the date {event_date} is before this member's MTM enrollment on "
                       f"{member.enrollment_date}: it would count for nothing (check the year)")
    payload = dict(payload or {})
    clean = _CHECKS[kind](con, member, event_date, payload, dtp_id)
    if kind == "dtp":
        dtp_id = f"DTP-{uuid.uuid4().hex[:10].upper()}"
    rows = [(now_utc(), recorded_by, member.member_id, member.contract_id, member.run_as_of, kind,
             event_date.isoformat(), dtp_id, json.dumps(clean, sort_keys=True))]
    if kind == "prescriber_response" and acted_on:
        if clean["prescriber_response"] not in ACTED_ON_RESPONSES:
            raise CmrError(f"a recommendation {clean['prescriber_response']} by the prescriber was not acted on: "
                           "only an accepted or modified one is recorded as resolved")
        rows.append((*rows[0][:5], "dtp_resolved", event_date.isoformat(), dtp_id,
                     json.dumps({"prescriber_response": clean["prescriber_response"]}, sort_keys=True)))
    return append_and_rewrite(con, home, INSERT, rows)


def _check_medicines(con, member, event_date, payload, dtp_id) -> dict:
    medicines = []
    for i, m in enumerate(payload.get("medicines", []), start=1):
        name = _text(m.get("medicine"), f"name of medicine {i}")
        if not name:
            continue  # an empty added row
        stop = _text(m.get("stop"), f"stop date of {name}")
        if stop:
            parse_date(stop, f"stop date of {name}")
        medicines.append({"key": _text(m.get("key"), "key") or f"member-{i}", "medicine": name,
                          "drug_key": _text(m.get("drug_key"), "drug"),
                          "how": _text(m.get("how"), f"'how I use it' of {name}"),
                          "why": _text(m.get("why"), f"'why I use it' of {name}"),
                          "prescriber": _text(m.get("prescriber"), f"prescriber of {name}"),
                          "prescriber_npi": _text(m.get("prescriber_npi"), "prescriber NPI"),
                          "start": _text(m.get("start"), "start date"), "stop": stop,
                          "stop_reason": _text(m.get("stop_reason"), f"why {name} was stopped",
                                               required=bool(stop)),
                          "source": m.get("source") if m.get("source") in ("claims", "member") else "member"})
    return {"medicines": medicines, "allergies": _text(payload.get("allergies"), "allergies and side effects")}


def _check_action_plan(con, member, event_date, payload, dtp_id) -> dict:
    items = []
    for i, item in enumerate(payload.get("items", []), start=1):
        talked, todo = _text(item.get("talked"), f"item {i}: what we talked about"), _text(
            item.get("todo"), f"item {i}: what I need to do")
        if talked or todo:
            if not (talked and todo):
                raise CmrError(f"action item {i} needs both 'what we talked about' and 'what I need to do'")
            items.append({"talked": talked, "todo": todo})
    return {"items": items, "follow_up": _text(payload.get("follow_up"), "follow-up plan"),
            "questions": _text(payload.get("questions"), "questions")}


def _check_dtp(con, member, event_date, payload, dtp_id) -> dict:
    npi = _text(payload.get("prescriber_npi"), "prescriber NPI")
    if npi and not (npi.isdigit() and len(npi) == 10):
        raise CmrError(f"the prescriber NPI {npi!r} is not 10 digits")
    return {"dtp_type": _one_of(payload.get("dtp_type"), DTP_TYPES, "drug therapy problem type"),
            "drug_key": _text(payload.get("drug_key"), "drug", required=True),
            "medicine": _text(payload.get("medicine"), "medicine"),
            "recommendation": _text(payload.get("recommendation"), "recommendation", required=True),
            "prescriber_npi": npi, "prescriber": _text(payload.get("prescriber"), "prescriber")}


def _check_cmr(con, member, event_date, payload, dtp_id) -> dict:
    return {"delivery_method": _one_of(payload.get("delivery_method"), CMR_DELIVERY_METHODS, "delivery method"),
            "recipient": _one_of(payload.get("recipient"), CMR_RECIPIENTS, "recipient"),
            "provider_type": _one_of(payload.get("provider_type") or "pharmacist", PROVIDER_TYPES, "provider type"),
            "cognitively_impaired": bool(payload.get("cognitively_impaired"))}


def _check_summary(con, member, event_date, payload, dtp_id) -> dict:
    done = [d for d in cmr_dates(con, member) if d <= event_date]
    if not done:
        raise CmrError(f"there is no completed CMR of member {member.member_id} on or before {event_date}: "
                       "the written summary follows its CMR (complete the CMR first)")
    language = payload.get("language") or "en"
    return {"cmr_date": max(done).isoformat(), "language": _one_of(language, ("en", "es"), "language")}


def _known_dtp(con, member, dtp_id: str, event_date: dt.date) -> dict:
    found = next((d for d in dtps(con, member.member_id) if d["dtp_id"] == dtp_id), None)
    if found is None:
        raise CmrError(f"unknown drug therapy problem {dtp_id!r} for member {member.member_id}: record the "
                       "recommendation first")
    if event_date < dt.date.fromisoformat(found["recommended_on"]):
        raise CmrError(f"the date {event_date} is before the recommendation of {found['recommended_on']}")
    return found


def _check_response(con, member, event_date, payload, dtp_id) -> dict:
    found = _known_dtp(con, member, dtp_id, event_date)
    return {"prescriber_response": _one_of(payload.get("prescriber_response"), PRESCRIBER_RESPONSES,
                                           "prescriber response"),
            "note": _text(payload.get("note"), "note")} | {"prescriber_npi": found.get("prescriber_npi", "")}


def _check_resolved(con, member, event_date, payload, dtp_id) -> dict:
    found = _known_dtp(con, member, dtp_id, event_date)
    if found["resolved_on"]:
        raise CmrError(f"drug therapy problem {dtp_id} was resolved already on {found['resolved_on']}")
    return {"prescriber_response": found["response"] or "", "basis": _text(payload.get("basis"), "basis")}


_CHECKS = {"medicines": _check_medicines, "action_plan": _check_action_plan, "dtp": _check_dtp,
           "cmr_completed": _check_cmr, "summary_sent": _check_summary, "prescriber_response": _check_response,
           "dtp_resolved": _check_resolved}


# -- the events file --------------------------------------------------------------------------------------

SIGNAL_DTP_TYPES_FILE = Path(__file__).with_name("signal_dtp_types.csv")


def signal_dtp_types() -> dict[str, dict]:
    """signal -> the drug therapy problem type it suggests, and why (signal_dtp_types.csv: rules as data)."""
    import csv

    with SIGNAL_DTP_TYPES_FILE.open(newline="") as fh:
        return {r["signal"]: r for r in csv.DictReader(fh)}


def candidate_dtps(signals: list[dict]) -> list[dict]:
    """The run's risk signals and adherence gaps of a member as candidate drug therapy problems."""
    types = signal_dtp_types()
    return [{**s, "dtp_type": types.get(s["signal"], {}).get("dtp_type", "other"),
             "why": types.get(s["signal"], {}).get("why", "")} for s in signals]


def how_from_claims(drug: dict) -> str:
    """'How I use it' as the last fill tells it (quantity over days supply, route): a draft to confirm."""
    per_day, quantity, days = drug.get("units_per_day"), drug.get("last_quantity"), drug.get("days_supply")
    if per_day and per_day >= 0.5:
        how = f"about {float(per_day):g} per day"
    elif quantity:
        how = f"{float(quantity):g} every {days} days"
    else:
        how = ""
    return ", ".join(x for x in (how, drug.get("route") or "") if x)


def how_filled(drug: dict) -> str:
    """The last fill in words: '30 for 30 days, last 2025-09-01' (quantity unknown: no number)."""
    quantity = drug.get("last_quantity")
    amount = f"{float(quantity):g} " if quantity is not None else ""
    return f"{amount}for {drug.get('days_supply')} days, last {drug.get('last_fill_date')}"


def working_medicines(con: sqlite3.Connection, member_id: str, claims: list[dict]) -> tuple[list[dict], str, bool]:
    """The medicines of the workspace: the pharmacist's latest confirmed list, else a draft from the claims
    (member_medication_list); with the allergies text and whether the list was confirmed."""
    filled = {d.get("ingredients"): how_filled(d) for d in claims}
    saved = latest(con, member_id, "medicines")
    if saved is not None:
        medicines = [{**m, "filled": filled.get(m.get("drug_key"), "")} for m in saved["payload"]["medicines"]]
        return medicines, saved["payload"]["allergies"], True
    draft = [{"key": f"claims-{i}", "medicine": d.get("medication") or d.get("ingredients") or "",
              "drug_key": d.get("ingredients") or "", "how": how_from_claims(d),
              "why": medication_list.purpose(d.get("drug_class")),
              "prescriber": "", "prescriber_npi": d.get("prescriber_npi") or "",
              "start": "", "stop": "", "stop_reason": "", "source": "claims",
              "filled": filled.get(d.get("ingredients"), "")}
             for i, d in enumerate(claims, start=1)]
    return draft, "", False


def action_plan(con: sqlite3.Connection, member_id: str) -> dict:
    saved = latest(con, member_id, "action_plan")
    return saved["payload"] if saved else {"items": [], "follow_up": "", "questions": ""}


# -- follow-up at the next TMR ------------------------------------------------------------------------------

FOLLOWUP_FILE = Path(__file__).with_name("dtp_followup.csv")


def followup_rules() -> dict[str, dict]:
    """dtp_type -> the change in the claims that shows the problem resolved (dtp_followup.csv: rules as data)."""
    import csv

    with FOLLOWUP_FILE.open(newline="") as fh:
        return {r["dtp_type"]: r for r in csv.DictReader(fh)}


def claims_change(dtp: dict, active: dict[str, dt.date | None], reviewed: set[str], run_as_of: dt.date) -> str:
    """What the run's claims say changed since the recommendation ('' when nothing that resolves it):
    ``active`` = the member's active drugs in the run (drug key -> last fill), ``reviewed`` = the drug keys on
    the medicine list confirmed before the recommendation."""
    recommended = dt.date.fromisoformat(dtp["recommended_on"])
    if run_as_of <= recommended:
        return ""  # the claims of this run predate the recommendation
    change = followup_rules().get(dtp.get("dtp_type", ""), {}).get("change", "")
    drug = dtp.get("drug_key", "")
    stopped = drug not in active
    added = sorted(k for k in active if k not in reviewed and k != drug) if reviewed else []
    refilled = (last := active.get(drug)) is not None and last > recommended
    if "stopped" in change and stopped:
        return f"{drug} is no longer filled"
    if "added" in change and added:
        return f"started {', '.join(added)}"
    if change == "refilled" and refilled:
        return f"{drug} filled again on {active[drug]}"
    return ""


def followup(con: sqlite3.Connection, run_as_of: str, active_drugs: dict[str, dict[str, dt.date | None]],
             sees_contract) -> list[dict]:
    """The open drug therapy problems for the TMR worklist (oldest first): days open, whether the prescriber
    has not answered after FOLLOW_UP_DAYS days, and a claims-based proposal to record them resolved.
    ``active_drugs``: member id -> the run's active drugs (drug key -> last fill date)."""
    as_of = dt.date.fromisoformat(run_as_of)
    rows = []
    for d in dtps(con):
        if d["resolved_on"] or not sees_contract(d["contract_id"]):
            continue
        medicines = [r for r in records(con, d["member_id"], "medicines") if r["id"] < d["record_id"]]
        reviewed = {m["drug_key"] for m in medicines[-1]["payload"]["medicines"] if m.get("drug_key")} \
            if medicines else set()
        days_open = (as_of - dt.date.fromisoformat(d["recommended_on"])).days
        rows.append({**d, "days_open": days_open,
                     "unanswered": not d["response"] and days_open > FOLLOW_UP_DAYS,
                     "proposal": claims_change(d, active_drugs.get(d["member_id"], {}), reviewed, as_of)})
    return sorted(rows, key=lambda r: (r["recommended_on"], r["dtp_id"]))
