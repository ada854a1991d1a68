"""Seeds: every shipped reference file becomes a table ``seed_<file stem>``, loaded as it is (text).

The Tuva pattern: the files in ``pipelines/reference/data/`` (with ``PROVENANCE.md``) are versioned in
the repository with codes as text (NDCs and ICD codes keep their leading zeros), loaded by one generic
loader, and every typed or derived table is a SQL model of ``sql/reference/`` that reads them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb

from pipelines.engine.db import replace_with_comment, scalar, table_comment
from pipelines.reference.files import DATA_DIR

SEED_SUFFIXES = (".csv", ".csv.gz", ".parquet")


@dataclass(frozen=True)
class Seed:
    table: str
    path: Path

    @property
    def relation(self) -> str:
        path = str(self.path).replace("'", "''")
        if self.path.name.endswith(".parquet"):
            return f"read_parquet('{path}')"
        return f"read_csv('{path}', header = true, all_varchar = true, delim = ',', quote = '\"')"


def _stem(path: Path) -> str:
    name = path.name
    for suffix in SEED_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


@cache
def seeds() -> dict[str, Seed]:
    """seed table name -> file, for every CSV / Parquet file shipped in the reference data folder."""
    found = {}
    for path in sorted(DATA_DIR.iterdir()):
        if path.name.endswith(SEED_SUFFIXES):
            table = f"seed_{_stem(path)}"
            found[table] = Seed(table, path)
    return found


def _fingerprint(seed: Seed) -> str:
    """What a loaded seed table is made of: the file's bytes and the way it is read."""
    digest = hashlib.sha256(seed.path.read_bytes())
    digest.update(seed.relation.replace(str(seed.path), seed.path.name).encode())
    return f"seed sha256:{digest.hexdigest()}"


def load_seed(con: duckdb.DuckDBPyConnection, seed: Seed) -> int:
    """(Re)load a seed unless the warehouse already holds it from the same file (issue 19: the largest,
    the FDA NDC map, took ~1 s of every run). The fingerprint is the table's comment, written in the
    same transaction as the table, so a table carrying it is complete."""
    fingerprint = _fingerprint(seed)
    if table_comment(con, seed.table) != fingerprint:
        return replace_with_comment(con, seed.table, f"SELECT * FROM {seed.relation}", fingerprint)
    return scalar(con, f"SELECT count(*) FROM {seed.table}")
