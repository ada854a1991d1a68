"""Where the files that ship with the package live: the SQL models and the data files.

In a source checkout (and an editable install) ``sql/`` sits beside ``pipelines/``; an installed wheel
carries the same files as the package ``mtm_sql`` (``pyproject.toml`` maps ``sql/`` onto it), so
``pip install .`` followed by ``mtm run --extract DIR`` works from any directory.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from pipelines import PACKAGE_DIR


@cache
def sql_dir() -> Path:
    beside = PACKAGE_DIR.parent / "sql"
    if (beside / "_macros.sql").exists():
        return beside
    spec = importlib.util.find_spec("mtm_sql")  # a namespace package: its folder is the search location
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the SQL models are missing: neither sql/ beside pipelines/ nor package mtm_sql")
    return Path(next(iter(spec.submodule_search_locations)))
