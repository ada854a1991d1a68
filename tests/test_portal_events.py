"""The portal's recorded-contacts file is read as one more mtm_event delivery, after the extract's own."""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3
from concurrent.futures import ThreadPoolExecutor

import duckdb
import pytest

from pipelines.ingest.extract_files import recorded_event_files
from pipelines.ingest.readers import ingest_extract
from pipelines.portal import contacts, store
from pipelines.run_state.run_context import SAMPLE_EXTRACT


def test_recorded_events_are_read_after_the_extract_with_their_own_file_name_and_rows(tmp_path):
    home = tmp_path / "home"
    assert recorded_event_files(home) == []  # no portal contacts: nothing extra to read
    events = home / "events" / "portal_mtm_event.csv"
    events.parent.mkdir(parents=True)
    events.write_text("member_id,event_date,event_type,contract_id,channel,outcome,opt_out_reason,portal_entry_id\n"
                      "M000000335,2025-09-30,outreach_attempt,H1234,phone,reached,,1\n"
                      "M000000335,2025-09-31,cmr_offered,H1234,,,,1\n")
    con = duckdb.connect()
    report = ingest_extract(con, [SAMPLE_EXTRACT], extra_sources=recorded_event_files(home))
    rows = con.execute("SELECT _file, _row, event_date, event_type, _problems[1].value FROM raw_mtm_event "
                       "WHERE _file = 'portal_mtm_event.csv' ORDER BY _row").fetchall()
    assert rows == [("portal_mtm_event.csv", 1, dt.date(2025, 9, 30), "outreach_attempt", None),
                    ("portal_mtm_event.csv", 2, None, "cmr_offered", "2025-09-31")]  # typed; the bad date kept
    last_seq = con.execute("SELECT max(_seq) FROM raw_mtm_event WHERE _file <> 'portal_mtm_event.csv'").fetchone()[0]
    first_portal = con.execute("SELECT min(_seq) FROM raw_mtm_event WHERE _file = 'portal_mtm_event.csv'").fetchone()[0]
    assert first_portal > last_seq  # read after the extract's deliveries
    assert {"table": "mtm_event", "file": "portal_mtm_event.csv"}.items() <= next(
        f for f in report.files if f["file"] == "portal_mtm_event.csv").items()


def test_contacts_recorded_at_once_all_reach_the_events_file_and_corrections_keep_history(tmp_path):
    home = tmp_path / "home"
    store.connect(home).close()

    def record(i: int) -> int:
        con = store.connect(home)
        try:
            return contacts.record_contact(con, home, recorded_by="olga", member_id=f"M{i:03d}", contract_id="H1234",
                                           run_as_of="2025-09-30", contact_date=dt.date(2025, 9, 30),
                                           outcome="cmr_offered", channel="mail")
        finally:
            con.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(record, range(24)))
    with contacts.events_path(home).open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 48  # an outreach attempt and a cmr_offered per entry, none lost
    assert {r["outcome"] for r in rows if r["event_type"] == "outreach_attempt"} == {"other"}  # a letter
    con = store.connect(home)
    contacts.record_contact(con, home, recorded_by="ana", member_id="M000", contract_id="H1234",
                            run_as_of="2025-09-30", contact_date=dt.date(2025, 9, 29), outcome="cmr_declined",
                            channel="phone", supersedes=ids[0])
    with pytest.raises(contacts.ContactError, match="corrected already"):
        contacts.record_contact(con, home, recorded_by="ana", member_id="M000", contract_id="H1234",
                                run_as_of="2025-09-30", contact_date=dt.date(2025, 9, 29), outcome="reached",
                                channel="phone", supersedes=ids[0])
    history = contacts.entries(con, "M000")
    assert [(e["outcome"], e["superseded_by"]) for e in history] == [("cmr_declined", None), ("cmr_offered", 25)]
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE contacts SET outcome = 'reached'")
    con.close()
    with contacts.events_path(home).open(newline="") as fh:
        mine = [(r["event_type"], r["event_date"]) for r in csv.DictReader(fh) if r["member_id"] == "M000"]
    assert sorted(mine) == [("cmr_declined", "2025-09-29"), ("outreach_attempt", "2025-09-29")]
