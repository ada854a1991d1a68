"""One whole run shared by the scenario test files that only need "a run as of 2025-09-30 on default settings"
(issue 24): each file keeps its own hand-built scenario (``SHARED_SCENARIO``, table -> rows, its own member ids
and claim ids) next to its tests; ``merge_scenarios`` makes one extract of them all and ``shared_build`` runs it
once per test session (one xdist worker builds, the other waits). A whole run costs what DuckDB takes to plan
~100 models, not what the rows take, so a run of every scenario costs about what a run of one did.

The home is read only: a test that writes to a home (`mtm contacts import`, a second run) works on
``private_copy`` of it. Rules are per member, so a scenario cannot see another's members. Some assertions count
over the whole run, and still hold because no other scenario adds to them (each says so where it is made):
tests/test_i26_7_xlsx_labels.py's members are the only ones on the outreach list (the other scenarios target
nobody), tests/test_bad_input.py's P1 has the run's only pending fill and the run has no reject (so
tests/test_bad_input_corpus.py's FUTURE, whose fills after the as-of date must not count, is on no list and has
no pending fill and no reject). A scenario added here must keep that true, or give those assertions a run of
their own. A scenario that needs another date, other settings, a seeded ledger or counts over its own members
only (tests/test_outreach_export.py, tests/test_i25_cms_file.py: services, CMS rows and problems per contract,
program metrics) keeps its own run.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from tests.shared_runs import shared_build
from tests.targeting_harness import AS_OF, merge_scenarios, run_extract

#: the test modules whose ``SHARED_SCENARIO`` the shared run holds (every one, whichever file asked for it)
SCENARIO_MODULES = ("tests.test_i25_scenario", "tests.test_i26_7_xlsx_labels", "tests.test_bad_input",
                    "tests.test_bad_input_corpus")


def _build(folder: Path) -> dict:
    scenarios = [importlib.import_module(name).SHARED_SCENARIO for name in SCENARIO_MODULES]
    run_extract(folder, **merge_scenarios(*scenarios))  # as of AS_OF, the default settings (Great Expectations off)
    home = folder / "home"
    return {"home": str(home), "folder": str(home / "runs" / AS_OF.isoformat())}


def scenario_home() -> Path:
    """The shared run's home (read it; ``private_copy`` it to write)."""
    return Path(shared_build("scenario_run", _build)["home"])


def scenario_folder() -> Path:
    """The shared run's published folder (runs/2025-09-30)."""
    return Path(shared_build("scenario_run", _build)["folder"])
