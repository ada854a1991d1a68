"""Reference models reused across runs: rebuilt only when what they are made of changed.

A reference model that reads only seeds, the plan's NDC imports and other such models gives the same rows at
every run until one of those changes: the NDC identity tables derived from the 243k-row FDA map, the valid ICD
codes. Rebuilding them took ~0.5 s of a small run's ~1.2 s of steps (and of every staging build in the tests).
Each such table carries a fingerprint as its comment, written in the same transaction as the table (as a seed
does, ``pipelines.engine.seeds``): the SHA-256 of its SQL, the macro file, the session settings, DuckDB's
version, and what each table it reads is made of (a seed's or another reused model's fingerprint, the content
of the plan's imports). A run whose fingerprint matches the table's comment keeps the table; any difference
rebuilds it. Models reading anything else (the run's parameters, the extract, a Python step's table) are
rebuilt at every run, as before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Protocol

import duckdb

from pipelines.engine.db import table_comment
from pipelines.engine.seeds import seeds

#: the declared tables a reused model may read, fingerprinted by their content: the plan's own NDC facts
#: (`mtm reference import`), small and changed only by that command
CONTENT_FINGERPRINTED = ("ref_ndc_import",)


class ModelLike(Protocol):
    """What is read of a model here (``pipelines.engine.models.Model``; this module does not import it)."""

    @property
    def name(self) -> str: ...

    @property
    def layer(self) -> str: ...

    @property
    def sql(self) -> str: ...

    @property
    def reads(self) -> frozenset[str]: ...


def reusable(name: str, models: Mapping[str, ModelLike]) -> bool:
    """Whether model ``name`` of ``models`` is kept across runs while unchanged."""
    return name in models and _made_of_seeds(models[name], models)


def _made_of_seeds(model: ModelLike, models: Mapping[str, ModelLike]) -> bool:
    """A reference model whose every input is a seed, a reusable model or a content-fingerprinted import."""
    return model.layer == "reference" and all(
        table in seeds() or table in CONTENT_FINGERPRINTED or reusable(table, models) for table in model.reads)


def _content(con: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """The rows of a (small) declared table, in a fixed order, as one digest; None when it is missing."""
    try:
        row = con.execute(f"SELECT count(*), md5(coalesce(string_agg(t::VARCHAR, chr(10) ORDER BY t::VARCHAR), "
                          f"'')) FROM {table} AS t").fetchone()
    except duckdb.CatalogException:
        return None
    return f"{row[0]} {row[1]}" if row else None


def fingerprint(con: duckdb.DuckDBPyConnection, model: ModelLike, models: Mapping[str, ModelLike],
                context: str) -> str | None:
    """What ``model`` (the other models' reads looked up in ``models``) would be built from now (``context``: the
    macros and session settings every model is built with); None when it is not reusable, or when an input is
    missing or carries no fingerprint (built by an older version or by the Spark engine): then it is rebuilt."""
    if not _made_of_seeds(model, models):
        return None
    digest = hashlib.sha256()
    for part in (duckdb.__version__, context, model.sql):
        digest.update(part.encode() + b"\0")
    for table in sorted(model.reads):
        made_of = _content(con, table) if table in CONTENT_FINGERPRINTED else table_comment(con, table)
        if made_of is None:
            return None
        digest.update(f"{table}={made_of}".encode() + b"\0")
    return f"model sha256:{digest.hexdigest()}"
