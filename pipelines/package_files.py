"""Where the files that ship with the package live: the SQL models and the data files.

In a source checkout (and an editable install) ``sql/`` sits beside ``pipelines/``; an installed wheel
carries the same files as the package ``mtm_sql`` (``pyproject.toml`` maps ``sql/`` onto it), so
``pip install .`` followed by ``mtm run --extract DIR`` works from any directory.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def sql_dir() -> Path:
    beside = PACKAGE_DIR.parent / "sql"
    if (beside / "_macros.sql").exists():
        return beside
    return Path(str(resources.files("mtm_sql")))
