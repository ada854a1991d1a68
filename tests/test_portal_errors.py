"""A failing page answers 500 and the server log names the kind of error only, never the member."""

from __future__ import annotations

import json
import logging
import re
import sqlite3

from starlette.testclient import TestClient

from pipelines.portal import store, users
from pipelines.portal.app import create_app


def test_a_broken_run_file_gives_500_without_member_ids_in_the_log(tmp_path, caplog):
    home = tmp_path / "home"
    run = home / "runs" / "2025-09-30"
    run.mkdir(parents=True)
    (run / "run_manifest.json").write_text(json.dumps({"status": "complete", "as_of_date": "2025-09-30"}))
    (run / "member_summary.parquet").write_text("M000000777 is not parquet")
    con = store.connect(home)
    users.add_user(con, "ana", "analyst", [], "long enough pw")
    con.close()
    caplog.set_level(logging.DEBUG)
    with TestClient(create_app(home), raise_server_exceptions=False) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
        assert client.post("/login", data={"username": "ana", "password": "long enough pw", "csrf_token": token},
                           follow_redirects=False).status_code == 303
        response = client.get("/runs/2025-09-30/members/M000000777")
    assert response.status_code == 500
    server_log = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))  # not the client's
    assert "details withheld" in server_log
    assert "M000000777" not in server_log
    audit = sqlite3.connect(home / "portal.sqlite").execute("SELECT action FROM audit_log").fetchall()
    assert ("login",) in audit
