"""One published home for the issue 26 dashboard tests (items 1, 2, 3, 4, 5): two contracts, two runs (the
last day of August and of September 2025, so September has a "previous run of the prior month"), plan-set
targets in the settings file, and the September run made with `mtm run` so its printed summary can be
compared with the dashboard.

The population is built so every panel has something to disagree about if it were read from the wrong
table: members who completed a CMR with its written summary (the measure numerator) and one whose summary
was never sent (completed, not counted), two opt-outs (enrolled this year, not at the as-of date), a member
seeded into the ledger who no longer meets the criteria (enrolled > meeting the criteria after a backfill),
and TMRs due (the pharmacist's worklist, not the outreach list).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner

from dagster_project.run import run_pipeline
from mtm.cli import main
from pipelines.run_state.run_context import RunContext
from tests.browser import submit
from tests.extract_builder import fill, member, write_extract
from tests.shared_runs import private_copy, shared_build
from tests.targeting_harness import EIGHT_DRUGS, NDC, without_expectations
from tests.template_home import seeded_home

AUG, SEP = dt.date(2025, 8, 31), dt.date(2025, 9, 30)
FILL_DATES = ("2025-07-20", "2025-08-20")
TARGETS = {"cmr_completion": 0.6, "pdc_sta": 0.85}
SETTINGS = """
[dashboard.targets]
cmr_completion = 0.6
pdc_sta = 0.85
"""
PASSWORD = "correct horse 42"
CIPROFLOXACIN = "16714065101"
UNKNOWN_NDC = "99999888877"


def population() -> dict[str, list[dict]]:
    """H1111: 14 meet the criteria, 16 do not; H2222: 12 meet the criteria, 4 do not; GONE (H1111) was
    enrolled in March by the ledger import and has one fill now."""
    eligibility, fills, events = [], [], []
    groups = [("H1111", "CRIT", 14), ("H1111", "NONE", 16), ("H2222", "CRIT", 12), ("H2222", "NONE", 4)]
    for contract, kind, n in groups:
        for k in range(n):
            mid = f"M{contract}{kind}{k:02d}"
            eligibility.append(member(mid, contract_id=contract, first_name=f"Zora{k}", last_name=f"Quill{kind}",
                                      preferred_language=("es", "ko", "en")[k % 3]))
            if kind == "CRIT":
                fills += [fill(mid, d, NDC[drug], 30, 150.0) for drug in EIGHT_DRUGS for d in FILL_DATES]
            else:
                fills.append(fill(mid, FILL_DATES[1]))
    # a 7-day antibiotic course that ended weeks ago and a product no reference knows (item 14)
    fills += [fill("MH1111CRIT00", "2025-09-01", CIPROFLOXACIN, 7, 12.0),
              fill("MH1111CRIT00", "2025-09-15", UNKNOWN_NDC, 30, 40.0)]
    eligibility.append(member("GONE", contract_id="H1111"))
    fills.append(fill("GONE", FILL_DATES[1]))

    def event(mid: str, day: str, kind: str, **more) -> dict:
        return {"member_id": mid, "event_date": day, "event_type": kind, **more}

    for k in range(12):  # H1111: 12 CMRs, 11 with their written summary (counted), one still waiting
        mid = f"MH1111CRIT{k:02d}"
        day = "2025-08-10" if k < 6 else "2025-09-10"
        events += [event(mid, day, "cmr_offered"), event(mid, day, "cmr_completed")]
        if k < 11:
            events.append(event(mid, day, "summary_sent"))
    events += [event(f"MH1111CRIT{k:02d}", "2025-09-15", "opted_out", opt_out_reason="requested") for k in (12, 13)]
    for k in range(5):  # H2222: 5 counted CMRs
        mid = f"MH2222CRIT{k:02d}"
        events += [event(mid, "2025-09-05", "cmr_offered"), event(mid, "2025-09-05", "cmr_completed"),
                   event(mid, "2025-09-06", "summary_sent")]
    return {"eligibility": eligibility, "pharmacy_claim": fills, "mtm_event": events}


def build_home(tmp: Path) -> dict:
    """Both runs published; returns the paths and the September `mtm run` output."""
    home = seeded_home(tmp / "home")
    roster = tmp / "roster.csv"
    roster.write_text("member_id,contract_id,contract_year,mtm_enrollment_date\nGONE,H1111,2025,2025-03-01\n")
    imported = CliRunner().invoke(main, ["ledger", "import", str(roster), "--home", str(home)])
    assert imported.exit_code == 0, imported.output
    settings = tmp / "settings.toml"
    settings.write_text(without_expectations(SETTINGS))
    tables = population()
    aug_events = [e for e in tables["mtm_event"] if e["event_date"] <= AUG.isoformat()]
    aug = write_extract(tmp / "aug", **{**tables, "mtm_event": aug_events})
    run_pipeline(RunContext.create(home=home, extract_dirs=[aug], as_of=AUG, settings_file=settings))
    sep = write_extract(tmp / "sep", **tables)
    printed = CliRunner().invoke(main, ["run", "--extract", str(sep), "--as-of", SEP.isoformat(),
                                        "--settings", str(settings), "--home", str(home)])
    assert printed.exit_code == 0, printed.output
    folder = home / "runs" / SEP.isoformat()
    return {"home": home, "folder": folder, "aug_folder": home / "runs" / AUG.isoformat(),
            "summary": printed.output, "manifest": json.loads((folder / "run_manifest.json").read_text()),
            "tables": tables}


_BUILT: dict[str, dict] = {}


def shared_home(tmp_path_factory) -> dict:
    """The home above, built once per test session (``tests.shared_runs``: the xdist workers share one build,
    three runs cost ~20 s) and copied once per worker, whose item modules add their users to that copy."""
    if "home" not in _BUILT:
        built = shared_build("i26_dashboard", build_home)
        home = private_copy(built["home"], tmp_path_factory.mktemp("i26_dashboard") / "home")
        _BUILT["home"] = {**built, "home": home, "folder": home / "runs" / SEP.isoformat(),
                          "aug_folder": home / "runs" / AUG.isoformat()}
    return _BUILT["home"]


def add_user(home: Path, name: str, role: str, *contracts: str) -> None:
    args = ["users", "add", name, "--role", role, "--home", str(home)]
    for c in contracts:
        args += ["--contract", c]
    added = CliRunner().invoke(main, args, env={"MTM_PASSWORD": PASSWORD})
    assert added.exit_code == 0, added.output


def login(page, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    submit(page)


def csv_rows(path: Path) -> list[dict]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def dashboard_data(html: str) -> dict:
    import re

    match = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.S)
    assert match, "no dashboard-data in the page"
    return json.loads(match.group(1))
