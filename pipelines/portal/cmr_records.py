"""The read side of the pharmacist's records (``cmr_records`` of the portal file, issue 29): the records, the
drug therapy problems they follow, and the ``mtm_event`` rows they mean.

Kept apart from ``cmr`` (which validates and writes records through ``contacts.append_and_rewrite``) so that
the events file's writer in ``contacts`` reads these rows without importing the module that calls it: no
import circle (issue 28's import contract).
"""

from __future__ import annotations

import json
import sqlite3

#: record kind -> the mtm_event type it writes (None: a working draft, no event)
KINDS: dict[str, str | None] = {
    "medicines": None,           # the confirmed / edited medicines, allergies and side effects
    "action_plan": None,         # the member's action items ("What I need to do")
    "dtp": "dtp_recommendation",
    "cmr_completed": "cmr_completed",
    "summary_sent": "summary_sent",
    "prescriber_response": "prescriber_response",
    "dtp_resolved": "dtp_resolved",
}

def records(con: sqlite3.Connection, member_id: str | None = None, kind: str | None = None) -> list[dict]:
    """The records (oldest first), each with its payload decoded."""
    where, args = [], []
    if member_id is not None:
        where.append("member_id = ?")
        args.append(member_id)
    if kind is not None:
        where.append("kind = ?")
        args.append(kind)
    sql = "SELECT * FROM cmr_records" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
    return [{**dict(r), **{"payload": json.loads(r["payload"])}} for r in con.execute(sql, args)]


def latest(con: sqlite3.Connection, member_id: str, kind: str) -> dict | None:
    rows = records(con, member_id, kind)
    return rows[-1] if rows else None


def dtps(con: sqlite3.Connection, member_id: str | None = None) -> list[dict]:
    """Each drug therapy problem recorded in the portal with its latest prescriber response and resolution."""
    found: dict[str, dict] = {}
    for r in records(con, member_id):
        if r["kind"] == "dtp":
            found[r["dtp_id"]] = {**r["payload"], "dtp_id": r["dtp_id"], "member_id": r["member_id"],
                                  "record_id": r["id"],
                                  "contract_id": r["contract_id"], "recommended_on": r["event_date"],
                                  "response": "", "response_date": "", "resolved_on": ""}
        elif r["dtp_id"] in found and r["kind"] == "prescriber_response":
            found[r["dtp_id"]].update(response=r["payload"]["prescriber_response"], response_date=r["event_date"])
        elif r["dtp_id"] in found and r["kind"] == "dtp_resolved":
            found[r["dtp_id"]]["resolved_on"] = r["event_date"]
    return list(found.values())


def event_rows(con: sqlite3.Connection) -> list[dict]:
    """The mtm_event rows of every record that is an event (contacts.EVENT_COLUMNS)."""
    dtp_of = {d["dtp_id"]: d for d in dtps(con)}
    rows = []
    for r in records(con):
        event_type = KINDS[r["kind"]]
        if event_type is None:
            continue
        p = r["payload"]
        row = {"member_id": r["member_id"], "event_date": r["event_date"], "event_type": event_type,
               "contract_id": r["contract_id"], "portal_entry_id": f"cmr-{r['id']}", "dtp_id": r["dtp_id"]}
        if r["kind"] == "cmr_completed":
            row.update(delivery_method=p["delivery_method"], recipient=p["recipient"],
                       provider_type=p["provider_type"],
                       cognitively_impaired="true" if p["cognitively_impaired"] else "false")
        elif r["kind"] == "dtp":
            row.update(dtp_type=p["dtp_type"], drug_key=p["drug_key"], prescriber_npi=p["prescriber_npi"],
                       provider_type="pharmacist")
        elif r["kind"] in ("prescriber_response", "dtp_resolved"):
            dtp = dtp_of.get(r["dtp_id"], {})
            row.update(prescriber_response=p.get("prescriber_response", ""), drug_key=dtp.get("drug_key", ""),
                       prescriber_npi=dtp.get("prescriber_npi", ""))
        rows.append(row)
    return rows


# -- the workspace's drafts -------------------------------------------------------------------------------
