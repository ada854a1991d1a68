"""Issue 30, a busy morning (make test-long): the portal (`mtm serve`, its own process, 127.0.0.1 only) under 50
concurrent users while `mtm run --delivery` publishes: 35 outreach users download their list and record contacts,
15 quality users read the dashboard, for at least 60 s and until the run has published (at most 240 s).

Asserted: no 5xx; every outreach list downloaded is whole (its rows = its run's manifest rows_out); every dashboard
page complete; every contact recorded (303) is in the next run's events (count in = count out). The p95 page time
and the counts are printed (docs/reliability.md)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time

import httpx
import polars as pl
import pytest

from pipelines.portal import store, users
from pipelines.publishing.run_lock import run_lock
from tests.i30_home import PASSWORD, copy_fixture, csrf, day2_arguments, log_in, portal_rows, stored_refused
from tests.reliability_harness import cli

pytestmark = [pytest.mark.long, pytest.mark.timeout(1800)]

OUTREACH, QUALITY = 35, 15
MIN_SECONDS, MAX_SECONDS = 60.0, 240.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: list[float] = []
        self.statuses: dict[int, int] = {}
        self.problems: list[str] = []
        self.downloads: list[tuple[str, int]] = []  # (as_of, data rows)
        self.contacts = 0
        self.next_contact = 0
        self.seen_as_of: set[str] = set()

    def add(self, response: httpx.Response, seconds: float) -> None:
        with self.lock:
            self.times.append(seconds)
            self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
            if response.status_code >= 500:
                self.problems.append(f"{response.request.method} {response.request.url.path}: {response.status_code}")


def _timed(tally: Tally, send, *args, **kwargs) -> httpx.Response:
    start = time.perf_counter()
    response = send(*args, **kwargs)
    tally.add(response, time.perf_counter() - start)
    return response


def _outreach(base: str, name: str, tally: Tally, stop: threading.Event) -> None:
    with httpx.Client(base_url=base, timeout=60) as client:
        log_in(client, name)
        token = csrf(client.get("/runs").text)
        while not stop.is_set():
            response = _timed(tally, client.get, "/runs/latest/outreach_list.csv")
            if response.status_code != 200:
                tally.problems.append(f"outreach list: {response.status_code}")
                continue
            as_of = response.headers["content-disposition"].split('filename="')[1][:10]
            rows = list(csv.DictReader(io.StringIO(response.text)))
            with tally.lock:
                tally.downloads.append((as_of, len(rows)))
                tally.seen_as_of.add(as_of)
            if not rows:
                continue
            with tally.lock:  # each contact its own member and day (before the fixture's): equal events count once
                n = tally.next_contact
                tally.next_contact += 1
            row = rows[n % len(rows)]
            day = (dt.date(2025, 9, 27) - dt.timedelta(days=n // len(rows))).isoformat()
            if day < (row.get("mtm_enrollment_date") or ""):
                continue  # the portal refuses a contact dated before the member's MTM enrollment (issue 26 item 13)
            form = {"csrf_token": token, "as_of": as_of, "member_id": row["member_id"], "outcome": "cmr_offered",
                    "channel": "phone", "contact_date": day}
            posted = _timed(tally, client.post, "/contacts", data=form, follow_redirects=False)
            if posted.status_code == 303:
                with tally.lock:
                    tally.contacts += 1
            elif posted.status_code < 500:
                tally.problems.append(f"contact refused: {posted.status_code} {posted.text[:200]}")


def _quality(base: str, name: str, tally: Tally, stop: threading.Event) -> None:
    with httpx.Client(base_url=base, timeout=60) as client:
        log_in(client, name)
        while not stop.is_set():
            page = _timed(tally, client.get, "/runs/latest/dashboard")
            if page.status_code == 200 and "</html>" not in page.text:
                tally.problems.append("a dashboard page was cut short")
            _timed(tally, client.get, "/runs/latest/program_metrics.csv")


def test_fifty_users_while_a_run_publishes(tmp_path):
    home = copy_fixture(tmp_path / "fx")
    refused = stored_refused(home)  # read before the upgrade below
    with run_lock(home):  # upgraded before the morning starts
        pass
    con = store.connect(home)
    for i in range(OUTREACH):
        users.add_user(con, f"out{i:02d}", "outreach", [], PASSWORD)
    for i in range(QUALITY):
        users.add_user(con, f"qa{i:02d}", "quality", [], PASSWORD)
    con.close()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    portal = subprocess.Popen([sys.executable, "-m", "mtm.cli", "serve", "--home", str(home), "--host",
                               "127.0.0.1", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and portal.poll() is None, "the portal did not start"
            time.sleep(0.2)
        tally, stop = Tally(), threading.Event()
        workers = [threading.Thread(target=_outreach, args=(base, f"out{i:02d}", tally, stop)) for i in
                   range(OUTREACH)] + [threading.Thread(target=_quality, args=(base, f"qa{i:02d}", tally, stop))
                                       for i in range(QUALITY)]
        for worker in workers:
            worker.start()
        time.sleep(5)  # everyone logged in and busy before the run starts
        started = time.monotonic()
        # the fixture's day 2 as test_i30_upgrade runs it: a full read of the fixture's own extract when the stored
        # staging is refused, never the extract paths the fixture's home recorded (/tmp/r30fx)
        run = subprocess.Popen([sys.executable, "-m", "mtm.cli", "run", *day2_arguments(home, refused)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        while time.monotonic() - started < MAX_SECONDS and (run.poll() is None or
                                                            time.monotonic() - started < MIN_SECONDS):
            time.sleep(1)
        run_seconds = time.monotonic() - started
        stop.set()
        for worker in workers:
            worker.join(120)
        run_out = run.communicate(timeout=600)[0]
    finally:
        portal.terminate()
        portal.wait(30)
    assert run.returncode == 0, run_out
    # the next run reads every contact recorded (a full read of the same extract, as of the same day)
    code, out, err = cli("run", "--home", str(home), "--settings", str(tmp_path / "fx/settings.toml"), "--as-of",
                         "2025-09-30", "--extract", str(tmp_path / "fx/extract/base"), "--extract",
                         str(tmp_path / "fx/extract/day1"), "--extract", str(tmp_path / "fx/extract/day2"))
    assert code == 0, out + err
    times = sorted(tally.times)
    p95 = times[int(0.95 * (len(times) - 1))]
    manifests = {p.name: json.loads((p / "run_manifest.json").read_text()) for p in (home / "runs").iterdir()
                 if p.is_dir() and not p.is_symlink()}
    in_force = len(portal_rows(home)["contacts"])
    events = pl.read_parquet(home / "runs" / "2025-09-30" / "member_events.parquet")
    portal_events = events.filter(pl.col("source_file") == "portal_mtm_event.csv")
    rejects = pl.read_csv(home / "runs" / "2025-09-30" / "rejects.csv", infer_schema=False)
    portal_rejects = rejects.filter(pl.col("file") == "portal_mtm_event.csv")
    figures = {"requests": len(times), "statuses": tally.statuses, "p50_s": round(times[len(times) // 2], 3),
               "p95_s": round(p95, 3), "max_s": round(times[-1], 3), "load_seconds": round(run_seconds, 1),
               "contacts_recorded": tally.contacts, "contacts_in_portal": in_force,
               "portal_event_rows_in_next_run": portal_events.height, "portal_event_rejects": portal_rejects.height,
               "runs_seen_by_downloads": sorted(tally.seen_as_of), "downloads": len(tally.downloads)}
    print("busy morning:", json.dumps(figures))
    assert not tally.problems, tally.problems[:10]
    assert not [s for s in tally.statuses if s >= 500]
    for as_of, rows in tally.downloads:  # never a half-published run: every list whole
        assert rows == manifests[as_of]["rows_out"]["outreach_list"], (as_of, rows)
    assert in_force == tally.contacts + 1  # the fixture's contact and every one recorded this morning
    assert portal_events.height + portal_rejects.height == 2 * in_force  # count in = count out
    recorded = {(c[3], c[6]) for c in portal_rows(home)["contacts"]}  # (member_id, contact_date)
    assert recorded == {(m, str(d)) for m, d in portal_events.select("member_id", "event_date").iter_rows()}
    assert set(portal_events["source_row"]) | {int(r) for r in portal_rejects["row_number"]} == set(
        range(1, 2 * in_force + 1))
