"""Shared helpers of the issue-30 tests: a copy of the home written by commit 2006329, its first run of this release
(built once per test session), and what a home holds that must survive an upgrade, a backup and restore, or a disk
full (compared exactly)."""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
from pathlib import Path

import duckdb

from pipelines.ingest.staging_store import committed_extract
from tests.reliability_harness import cli
from tests.shared_runs import shared_build

FIXTURE = Path(__file__).parent / "fixtures" / "home_2006329"
#: the fixture's next delivery (extract/day2): the as-of date of its first run of this release
DAY2 = "2025-09-30"
#: the columns of the ledger as commit 2006329 wrote them (a later migration may add columns, never change these)
LEDGER_2006329 = ("member_id", "contract_id", "contract_year", "mtm_enrollment_date", "date_met_criteria",
                  "enrollment_source", "targeting_reason", "opt_out_date", "opt_out_reason")
#: columns the layout migrations added to stored tables since 2006329 (empty on the rows kept): compared
#: without them, as the ledger is compared on its 2006329 columns (home layout 4, issue 29)
ADDED_SINCE_2006329 = {"staged_mtm_event": ("dtp_id", "dtp_type", "drug_key", "prescriber_npi", "prescriber_response")}
PORTAL_TABLES = ("users", "audit_log", "contacts")
PASSWORD = "fixture-password-1"


def copy_fixture(dest: Path) -> Path:
    """The fixture home copied to ``dest/home`` (with its extract and settings beside it); returns the home."""
    shutil.copytree(FIXTURE, dest, symlinks=True, ignore=shutil.ignore_patterns("README.md", "make_fixture.py"))
    return dest / "home"


def stored_refused(home: Path) -> str | None:
    """Why ``home``'s stored staging cannot take a delivery (a later release changed the input layout), or None."""
    with duckdb.connect(str(Path(home) / "warehouse.duckdb"), read_only=True) as con:
        return committed_extract(con)[1]


def day2_arguments(home: Path, refused: str | None) -> list[str]:
    """The arguments of `mtm run` for the fixture's day-2 delivery on ``home`` (a copy of the fixture, its extract
    and settings beside it): the delivery alone on the stored staging, unless it is ``refused`` (then a full read
    of the extract the fixture carries, as `mtm run --delivery` asks)."""
    fx = Path(home).parent
    full = [] if refused is None else ["--extract", str(fx / "extract/base"), "--extract", str(fx / "extract/day1")]
    return ["--home", str(home), "--settings", str(fx / "settings.toml"), "--as-of", DAY2,
            "--delivery", str(fx / "extract/day2"), *full]


def _day2_run(folder: Path) -> dict:
    home = copy_fixture(folder / "fx")
    refused = stored_refused(home)
    code, out, err = cli("run", *day2_arguments(home, refused))
    return {"home": str(home), "code": code, "out": out, "err": err, "stored_refused": refused}


def day2_run() -> dict:
    """The fixture home's first run of this release (``day2_arguments``), once per test session (issue 24,
    ``tests/shared_runs.py``): test_i30_upgrade.py reads what it upgraded and published, the restore drill of
    test_i30_backup.py compares its own run with it. Never changed. ``home`` (a str), the run's exit ``code``,
    ``out`` and ``err``, and ``stored_refused`` (``stored_refused`` of the copy before the run)."""
    return shared_build("i30_day2", _day2_run)


def ledger_csv(home: Path) -> bytes:
    """The ledger's rows (the 2006329 columns), sorted, as DuckDB writes them to CSV: compared byte for byte."""
    out = Path(home).parent / f".ledger-{hashlib.md5(str(home).encode()).hexdigest()}.csv"
    with duckdb.connect(str(Path(home) / "warehouse.duckdb"), read_only=True) as con:
        con.execute(f"COPY (SELECT {', '.join(LEDGER_2006329)} FROM mtm_enrollment_ledger ORDER BY ALL) "
                    f"TO '{out}' (HEADER)")
    data = out.read_bytes()
    out.unlink()
    return data


def warehouse_rows(home: Path) -> dict[str, list[tuple]]:
    """Every persistent table's rows, sorted (the ledger, the stored staging, the metrics history, imports)."""
    with duckdb.connect(str(Path(home) / "warehouse.duckdb"), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE table_name = 'mtm_enrollment_ledger' OR table_name LIKE "
            "'staged_%' OR table_name IN ('program_metrics_history', 'ref_ndc_import') ORDER BY 1").fetchall()]
        out = {}
        for table in tables:
            cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()
                    if r[0] not in ADDED_SINCE_2006329.get(table, ())]
            if table == "mtm_enrollment_ledger":
                cols = list(LEDGER_2006329)
            where = ""  # the stored staging is the committed deliveries (a failed run's rows go at the next start)
            if table == "staged_delivery":
                where = " WHERE committed"
            elif table.startswith("staged_"):
                column = "delivery_id" if table == "staged_file" else "_delivery"
                where = f" WHERE {column} IN (SELECT delivery_id FROM staged_delivery WHERE committed)"
            out[table] = sorted(con.execute(f"SELECT {', '.join(cols)} FROM {table}{where}").fetchall(), key=repr)
        return out


def portal_rows(home: Path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(Path(home) / "portal.sqlite")
    try:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in PORTAL_TABLES}
    finally:
        con.close()


def file_hashes(folder: Path) -> dict[str, str]:
    """Every file of a folder (symlinks by target), for "nothing changed" checks."""
    out = {}
    for path in sorted(Path(folder).rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_symlink():
            out[rel] = "-> " + str(path.readlink())
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def home_record(home: Path) -> dict:
    """What must survive: warehouse persistent rows, portal users/audit/contacts, events file, published runs."""
    home = Path(home)
    events = home / "events" / "portal_mtm_event.csv"
    return {"warehouse": warehouse_rows(home), "ledger_csv": ledger_csv(home), "portal": portal_rows(home),
            "events": events.read_bytes() if events.exists() else None, "runs": file_hashes(home / "runs")}


def log_in(client, name: str, password: str = PASSWORD) -> None:
    """Log ``client`` (an httpx client of the portal) in through the login form."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    response = client.post("/login", data={"username": name, "password": password, "csrf_token": token.group(1)})
    assert response.status_code in (200, 303), response.text[:300]


def csrf(page_html: str) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', page_html)
    assert token is not None
    return token.group(1)
