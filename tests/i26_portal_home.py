"""One published home for the issue 26 portal tests that record contacts (issue 24): tests/test_i26_contacts.py
(its members in contract H1234) and tests/test_i26_portal_browser.py (its members in contract H5678). Each file
keeps its own scenario next to its tests (``PORTAL_SCENARIO``: table -> rows, its own member ids); the browser's
roster (``PORTAL_ROSTER``, its members of H5678 enrolled in spring) is imported into the home's ledger with
`mtm ledger import` before the run, as that test did on its own home. One run at 2025-09-30 with the default
settings: Great Expectations ON (the contacts file's Data Docs test reads them; the browser's pages do not
depend on them). ``shared_build`` makes it once per test session; both files write to it (users, contacts, a
next run), so each works on ``private_copy`` of it.

What each file counts stays its own: the outreach pages and the contact forms show a user the members of the
user's contracts only (H1234 for the contacts file's users, H5678 for the browser's), and each contract is
ranked on its own (outreach_list.sql: one ranking per contract), so the browser's list is still its three
members ranked 1-3. The contacts file's events file and next run are on its own copy. A file whose totals
would see the other's members (tests/test_i26_xlsx_import.py: its workbook sheet holds every contract's
members of a service) keeps its own run.
"""

from __future__ import annotations

import datetime as dt
import importlib
from pathlib import Path

from click.testing import CliRunner

from dagster_project.run import run_pipeline
from mtm.cli import main
from pipelines.run_state.run_context import RunContext
from tests.extract_builder import write_extract
from tests.shared_runs import shared_build
from tests.targeting_harness import merge_scenarios
from tests.template_home import seeded_home

D = dt.date(2025, 9, 30)
#: the test modules whose ``PORTAL_SCENARIO`` the home holds (every one, whichever file asked for it)
PORTAL_MODULES = ("tests.test_i26_contacts", "tests.test_i26_portal_browser")


def _build(folder: Path) -> dict:
    modules = [importlib.import_module(name) for name in PORTAL_MODULES]
    extract = write_extract(folder / "extract", **merge_scenarios(*(m.PORTAL_SCENARIO for m in modules)))
    home = seeded_home(folder / "home")  # the seeds loaded from the session template (tests/template_home.py)
    imports = {}
    for module in modules:
        if getattr(module, "PORTAL_ROSTER", None):
            roster = folder / f"{module.__name__.rsplit('.', 1)[1]}_roster.csv"
            roster.write_text(module.PORTAL_ROSTER)
            result = CliRunner().invoke(main, ["ledger", "import", str(roster), "--home", str(home)])
            imports[module.__name__] = {"exit_code": result.exit_code, "output": result.output}
    run_pipeline(RunContext.create(home=home, extract_dirs=[extract], as_of=D))  # default settings: GX on
    return {"home": str(home), "roster_imports": imports}


def portal_home() -> dict:
    """The shared home (``home``: read it, or ``private_copy`` it to write) and what each roster import said
    (``roster_imports``: module name -> exit code and output)."""
    return shared_build("i26_portal_home", _build)
