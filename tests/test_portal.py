"""The portal (`mtm serve`) in a real browser against a real published run of the bundled sample extract (its
first 800 members: tests/shared_runs.py).

One run is built for the module (users added through `mtm users add`), the server runs on a free
127.0.0.1 port in a thread, and headless Chromium logs in as each role.  The last test records contacts,
runs the pipeline again while the portal keeps answering, and finds the contacts in the new run.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import os
import re
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import openpyxl
import polars as pl
import pytest
from click.testing import CliRunner

from mtm.cli import main
from pipelines.portal.server import serve_in_thread
from pipelines.publishing.exports.outreach import column_label, sheet_title
from tests.browser import chromium, submit
from tests.shared_runs import private_copy, sample_home, sample_run

PASSWORD = "correct horse 42"
AS_OF = "2025-09-30"
OWN, OTHER = "H1234", "H5678"
USERS = {  # name -> (role, contracts)
    "ana": ("analyst", []),
    "olga": ("outreach", [OWN]),
    "phil": ("pharmacist", [OWN]),
    "quinn": ("quality", []),
}
SCREENSHOTS = os.environ.get("MTM_PORTAL_SCREENSHOTS")  # a folder: write the README's screenshots there


def run_pipeline(home: Path) -> Path:
    """The real `mtm run` path: the Dagster asset graph materialised in-process (tests/shared_runs.py)."""
    return sample_run(home)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """A copy of the session's published sample run (tests/shared_runs.py): this module adds users, records
    contacts and runs again in it."""
    home = private_copy(sample_home(), tmp_path_factory.mktemp("portal") / "home")
    runner = CliRunner()
    for name, (role, contracts) in USERS.items():
        args = ["users", "add", name, "--role", role, "--home", str(home)]
        for contract in contracts:
            args += ["--contract", contract]
        result = runner.invoke(main, args, env={"MTM_PASSWORD": PASSWORD})
        assert result.exit_code == 0, result.output
    listed = runner.invoke(main, ["users", "list", "--home", str(home)]).output
    assert "olga\toutreach\tH1234" in listed
    return home


@pytest.fixture(scope="module")
def base(home) -> str:
    server, url = serve_in_thread(home)
    yield url
    server.should_exit = True


@pytest.fixture(scope="module")
def browser_context():
    with chromium() as context:
        yield context


@pytest.fixture
def page(browser_context):
    browser_context.clear_cookies()
    page = browser_context.new_page()
    yield page
    page.close()


def log_in(page, base: str, name: str, password: str = PASSWORD):
    page.context.clear_cookies()  # a fresh visitor
    page.goto(f"{base}/login")
    page.fill("#username", name)
    page.fill("#password", password)
    submit(page)


def outreach_rows(home: Path, as_of: str = AS_OF) -> pl.DataFrame:
    return pl.read_csv(home / "runs" / as_of / "outreach_list.csv", infer_schema=False)


def audit_rows(home: Path, action: str) -> list[sqlite3.Row]:
    con = sqlite3.connect(home / "portal.sqlite")
    con.row_factory = sqlite3.Row
    try:
        return con.execute("SELECT * FROM audit_log WHERE action = ? ORDER BY id", (action,)).fetchall()
    finally:
        con.close()


def shoot(page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 1100, "height": 640})
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"))
        page.set_viewport_size({"width": 1366, "height": 900})


def test_healthz_answers_without_login_and_pages_ask_for_one(base):
    assert httpx.get(f"{base}/healthz").status_code == 200
    response = httpx.get(f"{base}/runs/{AS_OF}/outreach")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert httpx.get(f"{base}/runs/{AS_OF}/outreach_list.csv").status_code == 303


# URL -> status for each role (analyst sees everything; the others exactly their part)
MEMBER_OWN = "/runs/{as_of}/members/{own_member}"
MEMBER_OTHER = "/runs/{as_of}/members/{other_member}"
ACCESS = {
    "/runs": {"ana": 200, "olga": 200, "phil": 200, "quinn": 200},
    "/runs/{as_of}/outreach": {"ana": 200, "olga": 200, "phil": 403, "quinn": 403},
    "/runs/{as_of}/tmr": {"ana": 200, "olga": 403, "phil": 200, "quinn": 403},
    "/runs/{as_of}/dashboard": {"ana": 200, "olga": 403, "phil": 403, "quinn": 200},
    MEMBER_OWN: {"ana": 200, "olga": 403, "phil": 200, "quinn": 403},
    MEMBER_OTHER: {"ana": 200, "olga": 403, "phil": 403, "quinn": 403},
    "/contacts": {"ana": 200, "olga": 200, "phil": 403, "quinn": 403},
    "/audit": {"ana": 200, "olga": 403, "phil": 403, "quinn": 403},
    "/runs/{as_of}/outreach_list.csv": {"ana": 200, "olga": 403, "phil": 403, "quinn": 403},
    "/runs/{as_of}/outreach_list_H1234.csv": {"ana": 200, "olga": 200, "phil": 403, "quinn": 403},
    "/runs/{as_of}/outreach_list_H5678.csv": {"ana": 200, "olga": 403, "phil": 403, "quinn": 403},
    "/runs/{as_of}/outreach_list_H5678.xlsx": {"ana": 200, "olga": 403, "phil": 403, "quinn": 403},
    "/runs/{as_of}/member_summary.parquet": {"ana": 200, "olga": 403, "phil": 403, "quinn": 403},
    "/runs/{as_of}/run_manifest.json": {"ana": 200, "olga": 403, "phil": 403, "quinn": 200},
    "/runs/{as_of}/rejects.csv": {"ana": 200, "olga": 403, "phil": 403, "quinn": 403},
}
NAV = {  # the menu each role is shown
    "ana": {"Dashboard", "Outreach list", "TMR worklist", "Recorded contacts", "Audit log"},
    "olga": {"Outreach list", "Recorded contacts"},
    "phil": {"TMR worklist"},
    "quinn": {"Dashboard"},
}


@pytest.mark.parametrize("name", list(USERS))
def test_each_role_sees_exactly_what_it_allows(home, base, page, name):
    listed = outreach_rows(home)
    own_member = listed.filter(pl.col("contract_id") == OWN)["member_id"][0]
    other_member = listed.filter(pl.col("contract_id") == OTHER)["member_id"][0]
    log_in(page, base, name)
    page.goto(f"{base}/runs")  # each role lands on its own work first (issue 26 item 11, test_i26_11_worklists.py)
    assert page.locator("#runs").inner_text().count(AS_OF) == 1
    menu = {t.strip() for t in page.locator("header a").all_inner_texts()} - {"Runs"}
    assert menu == NAV[name]
    for template, expected in ACCESS.items():
        url = base + template.format(as_of=AS_OF, own_member=own_member, other_member=other_member)
        status = page.request.get(url, max_redirects=0).status
        assert status == expected[name], f"{name} GET {url}: {status}, expected {expected[name]}"
    page.goto(f"{base}/runs/{AS_OF}")
    offered = set(page.locator("#downloads a").all_inner_texts()) if page.locator("#downloads").count() else set()
    expected_files = {"ana": {"outreach_list.csv", "outreach_list.xlsx", "member_summary.csv", "rejects.csv"},
                      "olga": {"outreach_list_H1234.csv", "outreach_list_H1234.xlsx"},
                      "phil": set(), "quinn": {"run_manifest.json"}}[name]
    assert expected_files <= offered
    if name != "ana":  # only what the role may download is offered, and each offered link works
        for file_name in offered:
            assert page.request.get(f"{base}/runs/{AS_OF}/{file_name}").status == 200
    if name == "olga":
        assert offered == expected_files
    if name == "quinn":
        shoot(page, "runs-quality")


def test_outreach_list_filters_sorts_and_downloads_as_csv_and_xlsx(home, base, page):
    log_in(page, base, "olga")
    page.goto(f"{base}/runs/{AS_OF}/outreach")
    own = outreach_rows(home).filter(pl.col("contract_id") == OWN)
    rows = page.locator("#outreach tbody tr")
    assert rows.count() == own.height  # only the user's contract
    assert set(page.locator("#outreach tbody tr").evaluate_all("rs => rs.map(r => r.dataset.contract)")) == {OWN}
    shoot(page, "outreach-list")
    member = own["member_id"][5]
    page.fill("#filter-text", member)
    visible = page.locator("#outreach tbody tr:not([hidden])")
    assert visible.count() == own.filter(pl.col("member_id") == member).height
    page.fill("#filter-text", "")
    # TMRs are on the TMR worklist now (issue 12): filter by the list's rarest CMR service
    rarest = own.group_by("service").len().sort("len", "service")["service"][0]
    page.select_option("#filter-service", rarest)
    shown = page.locator("#outreach tbody tr:not([hidden])").count()
    assert shown == own.filter(pl.col("service") == rarest).height < own.height
    page.select_option("#filter-service", "")
    page.locator("#outreach th", has_text="due date").click()
    page.locator("#outreach th", has_text="due date").click()  # descending
    first_due = page.locator("#outreach tbody tr").first.locator("td").nth(2).inner_text()
    assert first_due == max(own["due_date"])

    with page.expect_download() as info:
        page.click("a.download:text('outreach_list_H1234.csv')")
    text = Path(info.value.path()).read_text()
    downloaded = list(csv.DictReader(io.StringIO(text)))
    assert len(downloaded) == own.height and {r["contract_id"] for r in downloaded} == {OWN}
    assert downloaded[0]["first_name"] == own["first_name"][0]

    with page.expect_download() as info:
        page.click("a.download:text('outreach_list_H1234.xlsx')")
    assert info.value.suggested_filename == f"{AS_OF}_outreach_list_H1234.xlsx"
    workbook = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()), read_only=True)
    sheet_rows = {ws.title: list(ws.iter_rows(values_only=True)) for ws in workbook.worksheets}
    header = sheet_rows[sheet_title("cmr_initial")][0]  # labels (issue 26 item 7)
    contract_at, member_at = header.index(column_label("contract_id")), header.index(column_label("member_id"))
    body = [r for rows_ in sheet_rows.values() for r in rows_[1:]]
    assert len(body) == own.height and {r[contract_at] for r in body} == {OWN}
    assert all(isinstance(r[member_at], str) for r in body)  # ids stay text

    downloads = [r for r in audit_rows(home, "download") if r["username"] == "olga"]
    assert {r["target"] for r in downloads} >= {f"{AS_OF}/outreach_list_H1234.csv", f"{AS_OF}/outreach_list_H1234.xlsx"}
    assert all(r["client"] == "127.0.0.1" and r["at"] for r in downloads)
    assert any(r["username"] == "olga" for r in audit_rows(home, "view_outreach_list"))


def test_form_posts_without_the_csrf_token_are_refused(home, base, page):
    member = outreach_rows(home).filter(pl.col("contract_id") == OWN)["member_id"][0]
    anonymous = httpx.Client(base_url=base)
    token = re.search(r'name="csrf_token" value="([^"]+)"', anonymous.get("/login").text).group(1)
    refused = anonymous.post("/login", data={"username": "olga", "password": PASSWORD})
    assert refused.status_code == 403 and "mtm_session" not in refused.headers.get("set-cookie", "")
    forged = anonymous.post("/login", data={"username": "olga", "password": PASSWORD, "csrf_token": token + "x"})
    assert forged.status_code == 403

    log_in(page, base, "olga")
    form = {"as_of": AS_OF, "member_id": member, "outcome": "reached", "channel": "phone", "contact_date": AS_OF}
    response = page.request.post(f"{base}/contacts", form=form, max_redirects=0)
    assert response.status == 403 and "CSRF" in response.text()
    response = page.request.post(f"{base}/logout", max_redirects=0)
    assert response.status == 403
    assert not (home / "events" / "portal_mtm_event.csv").exists()  # nothing was recorded
    assert len(audit_rows(home, "csrf_refused")) >= 3


def test_failed_logins_are_audited_and_rate_limited(home, base, page):
    name = "rita"  # a user of her own: the limit locks her out for 15 minutes
    result = CliRunner().invoke(main, ["users", "add", name, "--role", "quality", "--home", str(home)],
                                env={"MTM_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output
    log_in(page, base, name, "wrong password")
    assert page.locator("[role=alert]").inner_text() == "Wrong user name or password."
    failed = audit_rows(home, "failed_login")
    assert failed[-1]["username"] == name and failed[-1]["client"] == "127.0.0.1" and failed[-1]["at"]
    for _ in range(4):
        log_in(page, base, name, "wrong again")
    log_in(page, base, name)  # the right password, but too many failures in 15 minutes
    assert "Too many failed logins" in page.locator("[role=alert]").inner_text()
    assert not page.url.endswith("/runs")
    assert audit_rows(home, "login_rate_limited")[-1]["username"] == name
    con = sqlite3.connect(home / "portal.sqlite")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM audit_log WHERE action = 'failed_login'")
    con.close()


def test_session_cookie_flags(base):
    cookie = httpx.get(f"{base}/login").headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie


def test_cookie_is_secure_over_tls(home):
    from starlette.testclient import TestClient

    from pipelines.portal.app import create_app

    with TestClient(create_app(home), base_url="https://portal.example") as client:
        cookie = client.get("/login").headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_member_page_and_printable_medication_list(home, base, page, caplog):
    run = home / "runs" / AS_OF
    summary = pl.read_parquet(run / "member_summary.parquet")
    evidence = pl.read_parquet(run / "member_evidence.parquet")
    signals = pl.read_parquet(run / "member_risk_signals.parquet")
    # a member of the pharmacist's contract with condition evidence from claims and a risk signal
    candidates = (summary.filter((pl.col("contract_id") == OWN) & pl.col("mtm_enrolled"))
                  .join(signals.select("member_id").unique(), on="member_id")
                  .join(evidence.filter(pl.col("source") == "dx").select("member_id").unique(), on="member_id"))
    member = candidates["member_id"].sort()[0]  # the same member on every run (a join has no order)
    drugs = pl.read_parquet(run / "member_medication_list.parquet").filter(pl.col("member_id") == member)
    caplog.set_level(logging.DEBUG)
    log_in(page, base, "phil")
    page.goto(f"{base}/runs/{AS_OF}/members/{member}")
    assert "Targeting reason" in page.locator("#why").inner_text()
    conditions = page.locator("#conditions").inner_text()
    mine = evidence.filter(pl.col("member_id") == member)
    for row in mine.filter(pl.col("source") == "dx").head(3).iter_rows(named=True):
        assert row["claim_id"] in conditions and row["code"] in conditions
    assert page.locator("#drugs tbody tr").count() == drugs.height
    member_signals = signals.filter(pl.col("member_id") == member)
    shown_signals = page.locator("#signals").inner_text() + page.locator("#gaps").inner_text()
    assert all(d in shown_signals for d in member_signals["detail"])
    assert page.locator("#services tbody tr").count() >= 1
    shoot(page, "member-page")
    page.click("#pml-link")
    # every medicine once: current ones (+ three blank lines to complete) and, apart, courses that have ended
    ended = page.locator("#pml-ended tbody tr").count()
    assert page.locator("#pml tbody tr").count() + ended == drugs.height + 3
    first = drugs.sort("ingredients").row(0, named=True)
    listed = page.locator("#pml").inner_text() + (page.locator("#pml-ended").inner_text() if ended else "")
    assert first["medication"] in listed
    shoot(page, "medication-list")
    views = [r for r in audit_rows(home, "view_member") if r["username"] == "phil"]
    assert views and views[-1]["target"] == member
    assert member not in caplog.text  # no member id (let alone PHI) in the server's log


def test_dashboard_page_says_when_the_run_has_none(home, base, page):
    log_in(page, base, "quinn")
    page.goto(f"{base}/runs/{AS_OF}/dashboard")
    if (home / "runs" / AS_OF / "dashboard.html").exists():
        assert page.locator("#dashboard").count() == 1
    else:
        assert "has no dashboard" in page.locator("#no-dashboard").inner_text()
    log_in(page, base, "phil")
    page.goto(f"{base}/runs/{AS_OF}/tmr")
    if not (home / "runs" / AS_OF / "tmr_worklist.csv").exists():
        assert "has no TMR worklist" in page.locator("#no-worklist").inner_text()


def run_in_progress(home: Path) -> bool:
    """A run is being written (its .incoming folder exists: it holds the run lock and the warehouse)."""
    return any((home / "runs").glob(".incoming-*"))


def test_recorded_contacts_reach_the_next_run_while_the_portal_keeps_serving(home, base, page):
    listed = outreach_rows(home).filter(pl.col("contract_id") == OWN)
    initial = listed.filter(pl.col("service") == "cmr_initial")["member_id"]
    offered, mistaken = initial[0], initial[1]
    log_in(page, base, "olga")

    page.goto(f"{base}/runs/{AS_OF}/outreach")
    page.locator(f"tr[data-member='{offered}'] a", has_text="Record contact").first.click()
    token = page.locator("#contact-form input[name=csrf_token]").input_value()
    future = page.request.post(f"{base}/contacts", form={
        "csrf_token": token, "as_of": AS_OF, "member_id": offered, "outcome": "reached", "channel": "phone",
        "contact_date": "2999-01-01"})
    assert "cannot be in the future" in future.text()  # refused, nothing recorded
    page.check("input[name=outcome][value=cmr_offered]")
    page.fill("input[name=contact_date]", AS_OF)
    submit(page, "#contact-form button[type=submit]")
    assert "Recorded (entry #1)" in page.locator("[role=status]").inner_text()
    shoot(page, "record-contact")

    # a contact recorded by mistake, then withdrawn by a correction: both entries stay, no event results
    page.goto(f"{base}/runs/{AS_OF}/contacts/{mistaken}")
    page.check("input[name=outcome][value=no_answer]")
    page.fill("input[name=contact_date]", AS_OF)
    submit(page, "#contact-form button[type=submit]")
    page.select_option("form.correct select[name=outcome]", "entered_in_error")
    submit(page, "form.correct button[type=submit]")
    assert "corrected by #3" in page.locator("#entries").inner_text()

    with (home / "events" / "portal_mtm_event.csv").open(newline="") as fh:
        events = list(csv.DictReader(fh))
    assert {(e["member_id"], e["event_type"], e["outcome"]) for e in events} == {
        (offered, "outreach_attempt", "reached"), (offered, "cmr_offered", "")}
    recorded = audit_rows(home, "record_contact")
    assert [r["target"] for r in recorded] == [offered, mistaken, mistaken]
    assert "corrects entry 2" in recorded[-1]["detail"]

    # the next run, while the portal answers
    failures: list[BaseException] = []

    def next_run():
        try:
            run_pipeline(home)
        except BaseException as exc:  # noqa: BLE001 -- reported by the test below
            failures.append(exc)

    runner = threading.Thread(target=next_run)
    runner.start()
    served_during_run = 0
    while runner.is_alive():
        if run_in_progress(home):
            assert httpx.get(f"{base}/healthz").status_code == 200
            assert page.request.get(f"{base}/runs/{AS_OF}/outreach").status == 200
            assert page.request.get(f"{base}/runs/{AS_OF}/outreach_list_H1234.csv").status == 200
            served_during_run += 1
        time.sleep(0.02)  # polled often: a run on a fast host holds its lock for well under two seconds
    runner.join()
    assert not failures, failures
    assert served_during_run >= 3

    run = home / "runs" / AS_OF
    history = pl.read_parquet(run / "member_events.parquet").filter(pl.col("member_id") == offered)
    from_portal = history.filter(pl.col("source_file") == "portal_mtm_event.csv")
    assert sorted(from_portal["event_type"]) == ["cmr_offered", "outreach_attempt"]
    assert from_portal["event_date"].to_list() == [dt.date(2025, 9, 30)] * 2
    services = pl.read_parquet(run / "member_services.parquet")
    assert "cmr_initial" not in services.filter(pl.col("member_id") == offered)["service"].to_list()
    assert "cmr_initial" in services.filter(pl.col("member_id") == mistaken)["service"].to_list()
    assert offered not in outreach_rows(home).filter(pl.col("service") == "cmr_initial")["member_id"].to_list()

    log_in(page, base, "ana")
    page.goto(f"{base}/runs/{AS_OF}/members/{offered}")
    assert "portal_mtm_event.csv" in page.locator("#history").inner_text()
