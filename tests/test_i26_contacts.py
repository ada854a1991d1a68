"""Issue 26 items 9, 13 and 17 through the portal and the CLI, on one real run of a small extract:
the contact form's outcomes (wrong number, left message, no answer, refused) and note reach the next list
(phone flagged, attempts counted, next-try date); the server refuses contact dates before the member's MTM
enrollment or in the future; the run page links the Data Docs, which open; `mtm users add` refuses a
contract no run has seen; `mtm backfill --every month`; a failed run names the file of its rejects."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from dagster_project.run import run_pipeline
from mtm.backfill import as_of_dates
from mtm.cli import main
from pipelines.portal.server import serve_in_thread
from pipelines.run_state.run_context import RunContext
from tests.extract_builder import fill, member, write_extract
from tests.i26_portal_home import portal_home
from tests.shared_runs import private_copy
from tests.targeting_harness import without_expectations
from tests.template_home import seeded_home

D, NEXT = dt.date(2025, 9, 30), dt.date(2025, 10, 7)
PASSWORD = "correct horse 42"
CALLED = {"WRONG": "wrong_number", "MESSAGE": "left_message", "NOANSWER": "no_answer", "REFUSED": "refused"}


def _arb(members):
    return [{"member_id": m, "arb_start_date": "2024-01-01"} for m in members]


_MEMBERS = [*CALLED, "QUIET"]
#: this file's members in the shared portal home (tests/i26_portal_home.py; issue 24), all of contract H1234:
#: at-risk (reason 02) since 2024, one fill each, a phone number each
PORTAL_SCENARIO = {
    "eligibility": [member(m, phone=f"555-01{i:02d}") for i, m in enumerate(_MEMBERS)],
    "pharmacy_claim": [fill(m, "2025-09-01") for m in _MEMBERS],
    "dmp_arb": _arb(_MEMBERS),
}


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """One run at D with the Great Expectations suites on (Data Docs), users added through the CLI.

    Issue 24: the run is the session's shared portal home (tests/i26_portal_home.py: this file's
    ``PORTAL_SCENARIO`` in H1234 and the browser test's members in H5678); the tests write to a private copy."""
    home = private_copy(portal_home()["home"], tmp_path_factory.mktemp("i26") / "home")
    runner = CliRunner()
    for name, role in (("ana", "analyst"), ("olga", "outreach")):
        added = runner.invoke(main, ["users", "add", name, "--role", role, "--contract", "H1234", "--home",
                                     str(home)], env={"MTM_PASSWORD": PASSWORD})
        assert added.exit_code == 0, added.output
    return home


@pytest.fixture(scope="module")
def base(home):
    server, url = serve_in_thread(home)
    yield url
    server.should_exit = True


def logged_in(base: str, name: str) -> httpx.Client:
    client = httpx.Client(base_url=base)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    response = client.post("/login", data={"csrf_token": token, "username": name, "password": PASSWORD,
                                           "next": "/runs"})
    assert response.status_code == 303, response.text
    return client


def post_contact(client: httpx.Client, member_id: str, outcome: str, day: str, note: str = "") -> httpx.Response:
    form = client.get(f"/runs/{D}/contacts/{member_id}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    return client.post("/contacts", data={"csrf_token": token, "as_of": D.isoformat(), "member_id": member_id,
                                          "outcome": outcome, "channel": "phone", "contact_date": day, "note": note})


def list_rows(home: Path, as_of: dt.date) -> dict[str, dict]:
    with (home / "runs" / as_of.isoformat() / "outreach_list.csv").open(newline="") as fh:
        return {r["member_id"]: r for r in csv.DictReader(fh)}


def test_the_server_refuses_contact_dates_before_enrollment_and_in_the_future(home, base):
    client = logged_in(base, "olga")
    form = client.get(f"/runs/{D}/contacts/WRONG").text
    assert f'min="{D}"' in form  # the browser's hint; the server checks on its own below
    old = post_contact(client, "WRONG", "no_answer", "1999-01-01")
    assert old.status_code == 200
    assert f"the contact date 1999-01-01 is before this member&#39;s MTM enrollment on {D}" in old.text
    future = post_contact(client, "WRONG", "no_answer", (dt.date.today() + dt.timedelta(days=1)).isoformat())
    assert "cannot be in the future" in future.text
    assert not (home / "events" / "portal_mtm_event.csv").exists() or "1999-01-01" not in (
        home / "events" / "portal_mtm_event.csv").read_text()


def test_call_outcomes_and_notes_reach_the_next_list(home, base):
    client = logged_in(base, "olga")
    form = client.get(f"/runs/{D}/contacts/WRONG").text
    for outcome in CALLED.values():
        assert f'value="{outcome}"' in form
    assert 'name="note"' in form
    for member_id, outcome in CALLED.items():
        response = post_contact(client, member_id, outcome, D.isoformat(), note=f"note for {member_id}\nsecond line")
        assert response.status_code == 303, response.text
    with (home / "events" / "portal_mtm_event.csv").open(newline="") as fh:
        events = {(r["member_id"], r["event_type"], r["channel"], r["outcome"]) for r in csv.DictReader(fh)}
    assert events == {(m, "outreach_attempt", "phone", o) for m, o in CALLED.items()}
    page = client.get(f"/runs/{D}/outreach").text
    assert "Wrong number 2025-09-30: note for WRONG second line" in page  # the note, on one line

    settings = home.parent / "next_settings.toml"  # Great Expectations off: the Data Docs test reads the run at D
    settings.write_text(without_expectations(""))
    run_pipeline(RunContext.create(home=home, extract_dirs=_extract_of(home), as_of=NEXT, settings_file=settings))
    rows = list_rows(home, NEXT)
    got = {m: (rows[m]["attempts_since_last_offer"], rows[m]["last_attempt_outcome"], rows[m]["phone_flag"],
               rows[m]["next_try_date"]) for m in [*CALLED, "QUIET"]}
    assert got == {
        "WRONG": ("1", "wrong number", "wrong number reported 2025-09-30", ""),
        "MESSAGE": ("1", "left message", "", "2025-10-03"),
        "NOANSWER": ("1", "no answer", "", "2025-10-02"),
        "REFUSED": ("1", "refused", "", "2025-10-30"),
        "QUIET": ("0", "", "", ""),
    }
    page = client.get(f"/runs/{NEXT}/outreach").text
    assert re.search(r"<s[^>]*>555-01\d\d</s> <span class=\"overdue-tag phone-flag\">wrong number reported 2025-09-30",
                     page)
    assert "next try 2025-10-02" in page


def _extract_of(home: Path) -> list[Path]:
    import json

    manifest = json.loads((home / "runs" / D.isoformat() / "run_manifest.json").read_text())
    return [Path(d) for d in manifest["extract_dirs"]]


def test_the_run_page_links_the_data_docs_and_they_open_for_the_analyst_only(home, base):
    analyst = logged_in(base, "ana")
    page = analyst.get(f"/runs/{D}").text
    assert f'href="/runs/{D}/data_docs/index.html"' in page
    docs = analyst.get(f"/runs/{D}/data_docs/index.html")
    assert docs.status_code == 200 and "Expectation" in docs.text
    suite = re.search(r'href="(expectations/[a-z_]+\.html)"', docs.text).group(1)
    assert analyst.get(f"/runs/{D}/data_docs/{suite}").status_code == 200  # its relative links resolve
    # a path out of the Data Docs folder is refused (".." encoded, so that no client normalises it away)
    assert analyst.get(f"/runs/{D}/data_docs/..%2F..%2F..%2Fportal.sqlite").status_code == 404
    outreach = logged_in(base, "olga")
    assert "data_docs" not in outreach.get(f"/runs/{D}").text
    assert outreach.get(f"/runs/{D}/data_docs/index.html").status_code == 403


def test_users_add_refuses_a_contract_no_run_has_seen(home, tmp_path):
    runner, env = CliRunner(), {"MTM_PASSWORD": PASSWORD}
    typo = runner.invoke(main, ["users", "add", "tom", "--role", "outreach", "--contract", "H9999",
                                "--home", str(home)], env=env)
    assert typo.exit_code != 0
    # (the shared home's run also holds the browser test's H5678: the runs hold "H1234, H5678")
    assert "no published run of" in typo.output and "H9999" in typo.output and "the runs hold H1234" in typo.output
    meant = runner.invoke(main, ["users", "add", "tom", "--role", "outreach", "--contract", "h9999",
                                 "--new-contract", "--home", str(home)], env=env)
    assert meant.exit_code == 0 and "accepted: --new-contract" in meant.output
    fresh = runner.invoke(main, ["users", "add", "una", "--role", "outreach", "--contract", "H1234",
                                 "--home", str(tmp_path / "fresh")], env=env)
    assert fresh.exit_code == 0 and "no published run" in fresh.output and "cannot be checked" in fresh.output


def test_backfill_steps_by_month_keeping_month_ends():
    assert as_of_dates(dt.date(2025, 1, 31), dt.date(2025, 5, 15), "month") == [
        dt.date(2025, 1, 31), dt.date(2025, 2, 28), dt.date(2025, 3, 31), dt.date(2025, 4, 30), dt.date(2025, 5, 15)]
    assert as_of_dates(dt.date(2024, 11, 15), dt.date(2025, 1, 15), "month") == [
        dt.date(2024, 11, 15), dt.date(2024, 12, 15), dt.date(2025, 1, 15)]
    usage = CliRunner().invoke(main, ["backfill", "--help"])
    assert "[month|week|day]" in usage.output


def test_a_failed_run_names_the_file_of_its_rejects(tmp_path):
    rows = [fill("M1", "2025-09-01", claim_id=f"C{i}") for i in range(8)]
    rows += [fill("M1", "2025-09-01", "BADNDC", claim_id="X1"), fill("M1", "2025-09-01", days_supply=0)]
    extract = write_extract(tmp_path / "bad", eligibility=[member("M1")], pharmacy_claim=rows)  # 20% rejected
    settings = tmp_path / "settings.toml"
    settings.write_text(without_expectations(""))
    home = seeded_home(tmp_path / "home")  # the seeds from the session template: the failure is what is tested
    result = CliRunner().invoke(main, ["run", "--home", str(home), "--extract", str(extract),
                                       "--settings", str(settings), "--as-of", D.isoformat()])
    assert result.exit_code == 1
    named = re.search(r"See (\S+rejects\.csv) for every rejected row", result.output).group(1)
    assert Path(named).is_file() and Path(named).parent.parent == tmp_path / "home" / "failed"
    assert f"Rejected rows and their reasons: {named}" in result.output
