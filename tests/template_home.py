"""A template warehouse with every seed loaded, copied into each new run home a test makes (issue 24).

A run loads each shipped reference file into a ``seed_*`` table unless the warehouse already holds it from
the same file (``pipelines.engine.seeds.load_seed`` compares a fingerprint: the file's bytes and the way it is
read), and rebuilds a reference model made of seeds alone only when those changed (``pipelines.engine.reuse``).
A fresh home therefore paid ~1-1.5 s of every test's run for the 243k-row FDA NDC map and the other seeds, and
~0.5 s for the NDC identity tables derived from it. The template holds both; it is built once per test session
(shared by the xdist workers under a file lock, as ``schema_warehouse`` is) with the same ``load_seed`` and
``build_model``; a home that starts from a copy of it runs exactly as a home whose previous run loaded the same
seeds: the run still checks every fingerprint, and reloads any seed (rebuilds any model) whose inputs changed.
Nothing else is in the template (no run, no ledger, no staging).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from pathlib import Path

import duckdb

from pipelines.engine.models import build_model, build_order, catalog, create_declared, install_macros
from pipelines.engine.reuse import CONTENT_FINGERPRINTED, reusable
from pipelines.engine.seeds import load_seed, seeds
from pipelines.run_state.home_layout import CURRENT, UNVERSIONED, read_version, write_version

#: Where the session's template lives; conftest.py points it at the session's shared temporary folder.
TEMPLATE_DIR_ENV = "MTM_TEST_TEMPLATE_DIR"
WAREHOUSE = "warehouse.duckdb"


def _build(target: Path) -> None:
    scratch = target.with_suffix(".building")
    scratch.unlink(missing_ok=True)
    with duckdb.connect(str(scratch)) as con:
        for seed in seeds().values():
            load_seed(con, seed)
        install_macros(con)
        for table in CONTENT_FINGERPRINTED:
            create_declared(con, table)  # empty, as on a fresh warehouse
        for model in build_order(catalog(), {name for name in catalog() if reusable(name, catalog())}):
            build_model(con, model)  # with their fingerprints: a run from the template reuses them
        con.execute("CHECKPOINT")
    scratch.rename(target)


def template_warehouse() -> Path:
    """The session's seeded warehouse (built by the first caller; the others wait for it)."""
    folder = Path(os.environ.get(TEMPLATE_DIR_ENV) or tempfile.mkdtemp(prefix="mtm-template-"))
    os.environ[TEMPLATE_DIR_ENV] = str(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "template_warehouse.duckdb"
    if target.exists():
        return target
    with (folder / "template_warehouse.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            _build(target)
    return target


def seeded_home(home: Path) -> Path:
    """``home``, given the template's warehouse if it has none yet (a home with a warehouse is left as is)."""
    warehouse = home / WAREHOUSE
    if not warehouse.exists():
        home.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template_warehouse(), warehouse)
        if read_version(home) == UNVERSIONED:  # a warehouse and no home.json: taken for a pre-2006329 home
            # what a new home's first run writes: without it every test's run upgraded and backed up the home
            write_version(home, CURRENT, [{"layout_version": CURRENT, "created": True}])
    return home
