"""Whole runs built once per test session and shared by every test file that only reads them (issue 24).

A whole run costs ~5-20 s; several test files need the same one (the bundled sample published by `mtm run`
for the portal and the pharmacist's review; the issue 26 dashboard home for seven item files). Under
pytest-xdist (``--dist loadfile``) the two workers would each build it: ``shared_build`` builds it once for
the session in the session's common temporary folder while holding a file lock (the other worker waits for
it, which costs no more than building it itself), and records what the builder returned as JSON.

A shared home is never changed: a test that writes to its home (adds users, records contacts, runs again)
works on ``private_copy`` of it (``shutil.copytree``: the same files a run writes; ``runs/latest`` is a relative
link). The template warehouse (``tests/template_home.py``) and the schema warehouse are shared the same way.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from tests.template_home import TEMPLATE_DIR_ENV


def _session_folder() -> Path:
    """The session's common temporary folder (conftest.py points TEMPLATE_DIR_ENV at it)."""
    folder = Path(os.environ.get(TEMPLATE_DIR_ENV) or tempfile.mkdtemp(prefix="mtm-shared-"))
    os.environ[TEMPLATE_DIR_ENV] = str(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shared_build(name: str, build: Callable[[Path], dict]) -> dict:
    """``build(folder)`` once per test session (the first caller builds, the others wait); returns its result,
    a JSON-able dict (paths as strings), read back from ``<name>.json``. A failed build records nothing: the
    next caller builds again (and fails the same way, with its own traceback)."""
    folder = _session_folder()
    done = folder / f"shared-{name}.json"
    if not done.exists():
        with (folder / f"shared-{name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not done.exists():
                target = folder / f"shared-{name}"
                shutil.rmtree(target, ignore_errors=True)
                target.mkdir()
                result = build(target)
                scratch = done.with_suffix(".writing")
                scratch.write_text(json.dumps(result, default=str))
                scratch.rename(done)
    return json.loads(done.read_text())


def private_copy(home: Path | str, target: Path) -> Path:
    """A copy of a shared home for a test that writes to it; returns ``target``."""
    shutil.copytree(home, target, symlinks=True)
    return target


def sample_settings(folder: Path) -> Path:
    """``folder/sample_settings.toml``: the default settings with Great Expectations off (the portal and the
    review read none of it; sampling 25,000 rows a table of the sample costs more than the rest of a small run;
    the suites have tests of their own, tests/test_quality_gx.py)."""
    from tests.targeting_harness import without_expectations

    folder.mkdir(parents=True, exist_ok=True)
    settings = folder / "sample_settings.toml"
    settings.write_text(without_expectations(""))
    return settings


#: the bundled sample's members up to this id (the portal and review tests): 800 of 3,254 members, every
#: contract (H1234 425, H5678 224, S4321 214 members), 41k of 151k claims; every table's rows of those members
SAMPLE_SLICE_LAST_MEMBER = "M000000800"
#: and the member test_i29_browser.py reviews: the first of the only two in the sample (M000002485, M000002693)
#: who await their initial CMR with two medicines that name their prescriber (its ``pick_member``)
SAMPLE_SLICE_REVIEWED = "M000002485"


def _slice(folder: Path) -> dict:
    import duckdb

    from pipelines.run_state.run_context import SAMPLE_EXTRACT

    out = folder / "extract"
    out.mkdir()
    shutil.copyfile(SAMPLE_EXTRACT / "extract.toml", out / "extract.toml")  # its as-of date
    with duckdb.connect() as con:
        for src in sorted(SAMPLE_EXTRACT.glob("*.csv.gz")):
            con.execute(f"COPY (SELECT * FROM read_csv('{src}', all_varchar = true) "
                        f"WHERE member_id <= '{SAMPLE_SLICE_LAST_MEMBER}' OR member_id = '{SAMPLE_SLICE_REVIEWED}') "
                        f"TO '{out / src.name}' "
                        "(HEADER, COMPRESSION gzip)")
    return {"extract": str(out)}


def sample_extract() -> Path:
    """The bundled sample's first 800 members and the reviewed one, every table, as the sample delivers them
    (.csv.gz), its extract.toml (as-of date) beside them: written once per session."""
    return Path(shared_build("sample_slice", _slice)["extract"])


def sample_run(home: Path) -> Path:
    """The real `mtm run` path on ``sample_extract()`` (the Dagster asset graph in-process, the sample's as-of
    date); returns the published folder."""
    from dagster_project.run import run_pipeline
    from pipelines.run_state.run_context import RunContext
    from tests.template_home import seeded_home

    return run_pipeline(RunContext.create(home=seeded_home(home), extract_dirs=[sample_extract()],
                                          settings_file=sample_settings(Path(home).parent)))


def _sample_run(folder: Path) -> dict:
    return {"home": str(folder / "home"), "folder": str(sample_run(folder / "home"))}


def sample_home() -> Path:
    """A home with the sample slice published by ``sample_run``, no users: read it, or ``private_copy`` it to
    change it."""
    return Path(shared_build("sample_run", _sample_run)["home"])


#: the determinism extract (tests/test_determinism.py): the bundled sample's members up to this id
DETERMINISM_LAST_MEMBER = "M000000150"
#: its as-of date
DETERMINISM_AS_OF = "2025-09-30"


def sample_members(out: Path, order: str = "_r", part: tuple[int, int] | None = None) -> Path:
    """The bundled sample's first 150 members (every table, versions, reversals, exact duplicate rows; its version
    ties are all exact duplicates, so row order cannot pick a different winner), as .csv, rows in the given order;
    part (k, n): the k-th of n consecutive slices."""
    import duckdb

    from pipelines.ingest.contract import TABLES
    from pipelines.run_state.run_context import SAMPLE_EXTRACT

    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    for name in TABLES:
        src = SAMPLE_EXTRACT / f"{name}.csv.gz"
        if not src.exists():
            continue
        con.execute(f"CREATE OR REPLACE TABLE t AS SELECT * FROM read_csv('{src}', all_varchar = true)")
        rows = f"(SELECT *, rowid AS _r FROM t WHERE member_id <= '{DETERMINISM_LAST_MEMBER}')"
        where = ""
        if part is not None:
            k, n = part
            total = con.execute(f"SELECT count(*) FROM {rows}").fetchone()[0]
            size = -(-total // n)
            where = f"WHERE _r IN (SELECT _r FROM {rows} ORDER BY _r LIMIT {size} OFFSET {k * size})"
        con.execute(f"COPY (SELECT * EXCLUDE (_r) FROM {rows} {where} ORDER BY {order}) "
                    f"TO '{out / (name + '.csv')}' (HEADER)")
    con.close()
    return out


def _engine_and_dagster(folder: Path) -> dict:
    from dagster_project.run import dagster_materialize, materialize
    from tests.reliability_harness import run_context

    extract = sample_members(folder / "extract")
    steps: list = []
    engine = materialize(run_context(folder / "engine", extract, as_of=DETERMINISM_AS_OF),
                         on_step=lambda *step: steps.append(step))
    dagster = dagster_materialize(run_context(folder / "dagster", extract, as_of=DETERMINISM_AS_OF))
    return {"extract": str(extract), "engine_home": str(folder / "engine"), "dagster_home": str(folder / "dagster"),
            "published": str(engine.published), "steps": steps,
            "engine_checks": {key: outcome.passed for key, outcome in engine.checks.items()},
            "dagster_success": dagster.success,
            "dagster_checks": {f"{e.asset_key.to_user_string()}:{e.check_name}": e.passed
                               for e in dagster.get_asset_check_evaluations()}}


def engine_and_dagster() -> dict:
    """The determinism extract (``sample_members``) at DETERMINISM_AS_OF run on two fresh homes, once per test
    session: by the core engine (``materialize``, its progress recorded) and by ``dg.materialize`` of the Dagster
    definitions (``dagster_materialize``). tests/test_engine.py proves the two paths agree on it,
    tests/test_determinism.py that the same extract and date give identical files (issue 24: the two files made
    four whole runs, two each). ``extract``, ``engine_home`` and ``dagster_home``; ``published`` (what the engine
    returned as its published folder), ``steps`` (its progress calls), ``engine_checks`` and ``dagster_checks``
    ("asset:check" -> passed), ``dagster_success``. Never changed."""
    return shared_build("engine_and_dagster", _engine_and_dagster)
