"""The SQL models: one file per table under ``sql/<layer>/``, each a single SELECT named after its table.

The folder listing *is* the list of tables, and the tables a model reads are **read from its SQL**
(sqlglot parses every ``FROM`` / ``JOIN``, and the table arguments of the project's table macros), so
the build order and the lineage shown in the Dagster UI are derived, never kept by hand.  A model that
reads a table no one builds fails when the graph is assembled (and so ``dg check defs`` fails).

``sql/_macros.sql`` holds the macros every model may use; ``sql/declared/<table>.sql`` holds the
``CREATE TABLE`` of the tables that are written by Python rather than selected (the enrollment
ledger, the run report, the plan's NDC imports; the run's parameters are declared by their typed row,
``pipelines/run_state/run_parameters.py``).
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipelines.engine import reuse
from pipelines.engine.cache import cached_text
from pipelines.engine.db import create_table_as, replace_with_comment, scalar, table_comment
from pipelines.engine.package_files import sql_dir

if TYPE_CHECKING:  # sqlglot is imported when a model is parsed, not at start-up (the parse is cached)
    import sqlglot.expressions as exp

#: the flow of the data, in order; a model may read its own layer and the layers before it
LAYERS = ("reference", "staging", "core", "targeting", "measures", "outputs")
MACRO_FILE = "_macros.sql"
DECLARED_DIR = "declared"
#: ``sql/<layer>/<model>.spark.sql``: the Spark SQL form of a model DuckDB's SQL cannot be translated from
#: (issue 31, ``pipelines/engine/spark_engine.py``); not a table of its own
SPARK_VARIANT_SUFFIX = ".spark.sql"

_MACRO_HEAD = re.compile(
    r"CREATE\s+OR\s+REPLACE\s+MACRO\s+(\w+)\s*\(([^)]*)\)\s+AS\s+(TABLE\b)?", re.IGNORECASE
)


@dataclass(frozen=True)
class Model:
    name: str
    layer: str
    path: Path
    sql: str
    #: every table the SQL reads (directly or through a table macro)
    reads: frozenset[str]

    @property
    def description(self) -> str:
        """The model's header comment: what the table holds and which rule it implements."""
        lines = []
        for line in self.sql.splitlines():
            if not line.startswith("--"):
                break
            lines.append(line[2:].strip())
        return "\n".join(lines)


@dataclass(frozen=True)
class Macro:
    name: str
    #: tables the macro body reads itself
    reads: frozenset[str]
    #: positions of parameters that name a table (passed to ``query_table``)
    table_params: tuple[int, ...]


@dataclass(frozen=True)
class Declared:
    """A table created by DDL and written by Python (``sql/declared/<name>.sql``)."""

    name: str
    path: Path
    ddl: str
    #: CREATE OR REPLACE = rebuilt every run; CREATE ... IF NOT EXISTS = kept across runs
    persistent: bool


def _split_sql(text: str) -> list[str]:
    """The statements of a macro file: comments dropped, split on the semicolons that end a statement."""
    return [part for part in re.split(r";\s*(?:\n|$)", re.sub(r"--[^\n]*", "", text)) if part.strip()]


def _tables_read(tree: exp.Expr, macros: dict[str, Macro]) -> set[str]:
    import sqlglot.expressions as exp

    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    found = {t.name for t in tree.find_all(exp.Table) if t.name and t.name not in ctes}
    for call in tree.find_all(exp.Anonymous):
        macro = macros.get(str(call.this).lower())
        if macro is None:
            continue
        found |= macro.reads
        for position in macro.table_params:
            if position < len(call.expressions) and isinstance(call.expressions[position], exp.Literal):
                found.add(call.expressions[position].this)
    return found - ctes  # a table macro may be given one of the query's own CTEs (interval_islands('fill'))


def _parse(sql: str, where: Path) -> exp.Expr:
    import sqlglot

    try:
        return sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:  # a model the parser cannot read has no known lineage
        raise ValueError(f"{where}: cannot read the tables this SQL uses ({exc})") from exc


@cache
def macros() -> dict[str, Macro]:
    """Every macro of ``sql/_macros.sql`` with the tables its body reads."""
    import sqlglot.expressions as exp

    path = sql_dir() / MACRO_FILE
    found: dict[str, Macro] = {}
    for statement in _split_sql(path.read_text()):
        head = _MACRO_HEAD.search(statement)
        if not head:
            continue
        name, params, is_table = head.group(1).lower(), [p.strip() for p in head.group(2).split(",")], head.group(3)
        body = statement[head.end():].strip()
        if not is_table:
            found[name] = Macro(name, frozenset(), ())
            continue
        tree = _parse(body, path)
        table_args = {str(c.expressions[0].this) for c in tree.find_all(exp.Anonymous)
                      if str(c.this).lower() == "query_table" and c.expressions}
        table_args |= {t.name for t in tree.find_all(exp.Table) if t.name in params}
        positions = tuple(i for i, p in enumerate(params) if p in table_args)
        reads = _tables_read(tree, found) - set(params) - {"query_table"}
        found[name] = Macro(name, frozenset(reads), positions)
    return found


def _model_files() -> list[tuple[str, Path, str]]:
    """(layer, path, SQL) of every model file, in layer order; two files for one table is an error."""
    found: dict[str, tuple[str, Path, str]] = {}
    for layer in LAYERS:
        folder = sql_dir() / layer
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.sql")):
            if path.name.startswith("_") or path.name.endswith(SPARK_VARIANT_SUFFIX):  # a Spark form, not a table
                continue
            if path.stem in found:
                raise ValueError(f"two models build table {path.stem}: {found[path.stem][1]} and {path}")
            found[path.stem] = (layer, path, path.read_text().strip().rstrip(";"))
    return list(found.values())


def _parse_reads(files: list[tuple[str, Path, str]]) -> dict[str, list[str]]:
    known_macros = macros()
    return {path.stem: sorted(_tables_read(_parse(sql, path), known_macros) - {path.stem}) for _, path, sql in files}


@cache
def catalog() -> dict[str, Model]:
    """Every model of every layer, by table name.

    Parsing every model with sqlglot costs seconds at each start, so the tables each model reads are
    cached on disk (``pipelines.engine.cache``) under a key of everything they depend on: the model files, the
    macro file, this module and the sqlglot version; any change re-parses."""
    files = _model_files()
    key = "\n".join([importlib.metadata.version("sqlglot"), Path(__file__).read_text(),
                     (sql_dir() / MACRO_FILE).read_text(), *(f"{path.stem}\n{sql}" for _, path, sql in files)])
    reads = json.loads(cached_text("model-reads", key, lambda: json.dumps(_parse_reads(files))))
    return {path.stem: Model(path.stem, layer, path, sql, frozenset(reads[path.stem])) for layer, path, sql in files}


@cache
def declared() -> dict[str, Declared]:
    """The tables written by Python, with their DDL."""
    out = {}
    for path in sorted((sql_dir() / DECLARED_DIR).glob("*.sql")):
        ddl = path.read_text().strip().rstrip(";")
        out[path.stem] = Declared(path.stem, path, ddl, persistent="IF NOT EXISTS" in ddl.upper())
    return out


#: Settings DuckDB takes only from SET on an open connection (as a connect-time config they are ignored).
#: FSST string compression costs more CPU to write than it saves on the wide per-fill tables (1M members:
#: rebuilding core_fill 95 -> 81 s); dictionary and uncompressed strings are still chosen per segment.
SESSION_SETTINGS = {"disabled_compression_methods": "fsst"}


@cache
def _build_context() -> str:
    """What every model is built with besides its own SQL: the macros and the session settings."""
    return (sql_dir() / MACRO_FILE).read_text() + "\n" + repr(sorted(SESSION_SETTINGS.items()))


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """The project's macros, and the session settings every model is built with: every connection that
    ingests or builds models calls this once."""
    for name, value in SESSION_SETTINGS.items():
        con.execute(f"SET {name} = '{value}'")
    con.execute((sql_dir() / MACRO_FILE).read_text())


def create_declared(con: duckdb.DuckDBPyConnection, name: str) -> None:
    table = declared()[name]
    con.execute(table.ddl)
    if table.persistent:
        _add_new_columns(con, table)


@cache
def _declared_columns(table: Declared) -> tuple[tuple[str, str], ...]:
    """(name, DuckDB type) of each column in a declared table's DDL (parsed once per process)."""
    import sqlglot.expressions as exp

    schema = _parse(table.ddl, table.path).find(exp.Schema)
    top_level = [c for c in (schema.expressions if schema else []) if isinstance(c, exp.ColumnDef)]  # not struct fields
    return tuple((c.name, c.args["kind"].sql("duckdb")) for c in top_level)


def _add_new_columns(con: duckdb.DuckDBPyConnection, table: Declared) -> None:
    """A persistent table written by an older version gains the columns its DDL has since added (empty)."""
    present = {r[0].lower() for r in con.execute(f"DESCRIBE {table.name}").fetchall()}
    for name, kind in _declared_columns(table):
        if name.lower() not in present:
            con.execute(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind}")


def build_model(con: duckdb.DuckDBPyConnection, model: Model) -> dict:
    """Build one table from its file; returns its row count and build time. A reference model made of
    unchanged seeds and imports is kept as the last run built it (``pipelines.engine.reuse``)."""
    started = time.perf_counter()
    fingerprint = reuse.fingerprint(con, model, catalog(), _build_context())  # the model as given: a test may change it
    if fingerprint is None:
        rows = create_table_as(con, model.name, model.sql)
    elif table_comment(con, model.name) == fingerprint:
        rows = scalar(con, f"SELECT count(*) FROM {model.name}")
        return {"table": model.name, "rows": rows, "seconds": round(time.perf_counter() - started, 3),
                "reused": True}
    else:
        rows = replace_with_comment(con, model.name, model.sql, fingerprint)
    return {"table": model.name, "rows": rows, "seconds": round(time.perf_counter() - started, 3)}


def build_order(models: dict[str, Model], targets: set[str] | None = None) -> list[Model]:
    """The models needed for ``targets`` (default: all), each after every model it reads."""
    wanted: set[str] = set()
    stack = list(targets if targets is not None else models)
    while stack:
        name = stack.pop()
        if name in wanted or name not in models:
            continue
        wanted.add(name)
        stack.extend(models[name].reads)
    order: list[Model] = []
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in done or name not in wanted:
            return
        if name in path:
            raise ValueError("models read each other in a cycle: " + " -> ".join((*path, name)))
        for dep in sorted(models[name].reads):
            visit(dep, (*path, name))
        done.add(name)
        order.append(models[name])

    for name in sorted(wanted, key=lambda n: (LAYERS.index(models[n].layer), n)):
        visit(name, ())
    return order


def check_layers(models: dict[str, Model]) -> list[str]:
    """Problems: a model that reads a model of a later layer (the data flows one way)."""
    problems = []
    for model in models.values():
        for dep in model.reads:
            if dep in models and LAYERS.index(models[dep].layer) > LAYERS.index(model.layer):
                problems.append(f"{model.path.name} ({model.layer}) reads {dep} of the later layer "
                                f"{models[dep].layer}")
    return problems
