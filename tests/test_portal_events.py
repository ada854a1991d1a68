"""The portal's recorded-contacts file is read as one more mtm_event delivery, after the extract's own."""

from __future__ import annotations

import duckdb

from pipelines.extract_files import recorded_event_files
from pipelines.readers import ingest_extract
from pipelines.run_context import SAMPLE_EXTRACT


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
    rows = con.execute("SELECT _file, _row, event_date, event_type FROM raw_mtm_event "
                       "WHERE _file = 'portal_mtm_event.csv' ORDER BY _row").fetchall()
    assert rows == [("portal_mtm_event.csv", 1, "2025-09-30", "outreach_attempt"),
                    ("portal_mtm_event.csv", 2, "2025-09-31", "cmr_offered")]
    last_seq = con.execute("SELECT max(_seq) FROM raw_mtm_event WHERE _file <> 'portal_mtm_event.csv'").fetchone()[0]
    first_portal = con.execute("SELECT min(_seq) FROM raw_mtm_event WHERE _file = 'portal_mtm_event.csv'").fetchone()[0]
    assert first_portal > last_seq  # read after the extract's deliveries
    assert {"table": "mtm_event", "file": "portal_mtm_event.csv"}.items() <= next(
        f for f in report.files if f["file"] == "portal_mtm_event.csv").items()
