"""Every SQL model translates to Spark SQL (issue 19: the path past one machine; issue 31 runs it).

sqlglot writes each model in the Spark dialect after the project's DuckDB macros are expanded in place
(``pipelines/engine/spark_sql.py``); what Spark would not understand must not be left in the output. A model whose
DuckDB form cannot be translated has a declared variant beside it (``<model>.spark.sql``, listed in the
README); a model with neither fails here. Whether Spark computes what DuckDB computes is
``tests/test_i31_spark.py`` (``make test-spark``).
"""

import re

import duckdb
import pytest
import sqlglot

from pipelines.engine.models import Model, catalog
from pipelines.engine.package_files import sql_dir
from pipelines.engine.spark_engine import spark_sql_of, variant_path
from pipelines.engine.spark_sql import expand_macros, macro_bodies, to_spark

MODELS = sorted(catalog())
#: DuckDB-only names that must not survive into the Spark text
DUCKDB_ONLY = re.compile(r"\b(query_table|regexp_full_match|list_filter|arg_max|arg_min|list_bool_and|columns|format"
                         r"|len)\s*\(|\bBY\s+NAME\b|\bMATERIALIZED\b|\bINT128\b|\bLISTAGG\s*\(\s*DISTINCT|\bUNPIVOT\s+\w+\s+ON\b"
                         r"|\bPIVOT\s+\w+\s+ON\b|\bOVER\s+\w+\s*-", re.IGNORECASE)


def _code(sql: str) -> str:
    """The SQL without its comments and string literals (a model's header may name the DuckDB form its variant
    replaces; a message may say "format (")."""
    without_comments = re.sub(r"--[^\n]*", "", re.sub(r"/\*.*?\*/", "", sql, flags=re.DOTALL))
    return re.sub(r"'(?:[^']|'')*'", "''", without_comments)


VARIANTS = sorted(name for name, model in catalog().items() if variant_path(model).exists())


def test_every_layer_has_models() -> None:
    assert {catalog()[name].layer for name in MODELS} >= {"reference", "staging", "core", "targeting", "outputs"}


@pytest.mark.parametrize("name", MODELS)
def test_model_transpiles_to_spark(name: str) -> None:
    """The Spark SQL the engine runs (the variant, else the translation) has nothing only DuckDB reads."""
    spark = _code(spark_sql_of(name))
    tree = sqlglot.parse_one(spark, read="spark")  # the output is Spark SQL sqlglot can read back
    ctes = [cte.alias.lower() for cte in tree.find_all(sqlglot.exp.CTE)]
    assert len(ctes) == len(set(ctes)), f"{name}: a CTE name defined twice (Spark: DUPLICATED_CTE_NAMES)"
    macro_calls = [m for m in macro_bodies() if re.search(rf"\b{m}\s*\(", spark, re.IGNORECASE)]
    assert not macro_calls, f"{name}: macros left unexpanded: {macro_calls}"
    assert not DUCKDB_ONLY.search(spark), f"{name}: DuckDB-only function left: {DUCKDB_ONLY.search(spark)}"
    assert not re.search(r"\[[^\]]*\bFOR\s+\w+\s+IN\b", spark), f"{name}: a list comprehension Spark cannot read"


@pytest.mark.parametrize("value", ["1234-5678-90", "12345-678-90", "12345-6789-1", " 12345678901\t", "1234567890",
                                   None])
def test_macro_expansion_computes_what_the_macro_computes(value: str | None) -> None:
    """The expanded text is the macro's rule, not an approximation: DuckDB gives the same answer for both."""
    con = duckdb.connect()
    con.execute((sql_dir() / "_macros.sql").read_text())
    literal = sqlglot.exp.convert(value).sql(dialect="duckdb")
    call = sqlglot.parse_one("SELECT normalise_ndc(v) AS ndc, parse_int(v) AS n "
                             f"FROM (SELECT CAST({literal} AS VARCHAR) AS v)", read="duckdb")
    expanded = expand_macros(call).sql(dialect="duckdb")
    assert "normalise_ndc" not in expanded
    assert con.execute(expanded).fetchall() == con.execute(call.sql(dialect="duckdb")).fetchall()


def test_every_spark_variant_belongs_to_a_model_and_is_listed_in_the_readme() -> None:
    files = sorted(p.name for p in sql_dir().glob("*/*.spark.sql"))
    assert files == sorted(f"{name}.spark.sql" for name in VARIANTS), "a variant without its model"
    readme = (sql_dir().parent / "README.md").read_text()
    assert [f for f in files if f not in readme] == [], "variants missing from the README's list"


@pytest.mark.parametrize("name", VARIANTS)
def test_a_variant_is_there_because_the_translation_would_not_do(name: str) -> None:
    """A variant is kept only while the DuckDB form still needs it: the translation alone fails, or keeps a
    form Spark cannot read."""
    try:
        translated = _code(to_spark(catalog()[name]))
    except sqlglot.errors.SqlglotError:
        return
    assert DUCKDB_ONLY.search(translated) or "LISTAGG(DISTINCT" in translated, \
        f"{name}: the translation is portable now; delete {name}.spark.sql"


def test_the_portable_rewrites() -> None:
    """The DuckDB forms rewritten on the way to Spark, each as the engine writes it."""
    def spark(sql: str) -> str:
        return to_spark(Model("t", "core", sql_dir() / "core" / "t.sql", sql, frozenset()))

    assert spark("SELECT 1 AS a UNION ALL BY NAME SELECT 2 AS a") == "SELECT 1 AS a UNION ALL SELECT 2 AS a"
    assert "BY NAME" not in spark("SELECT 1 AS a, 2 AS b UNION ALL BY NAME SELECT 3 AS b, 4 AS a")
    assert spark("SELECT 1 AS a, 2 AS b UNION ALL BY NAME SELECT 3 AS b, 4 AS a").endswith("SELECT 4 AS a, 3 AS b")
    assert spark("SELECT a / b AS r FROM t") == "SELECT CAST(a AS DOUBLE) / CAST(b AS DOUBLE) AS r FROM t"
    assert spark("SELECT arg_max(a, b) AS m FROM t") == "SELECT MAX_BY(a, IF(a IS NULL, NULL, b)) AS m FROM t"
    assert spark("SELECT len(xs) AS n FROM t") == "SELECT SIZE(xs) AS n FROM t"
    assert "QUALIFY" in spark("SELECT a FROM t QUALIFY row_number() OVER (ORDER BY a) = 1")
    assert "(SUM(a) OVER w) - a" in spark("SELECT sum(a) OVER w - a AS r FROM t WINDOW w AS (ORDER BY a)")
    assert "EXPLODE(SEQUENCE(2, 9 - 1)) AS n" in spark("SELECT n FROM range(2, 9) AS d(n)")
    assert "DUCKDB_FORMAT('{:.1f}', CAST(x AS DOUBLE))" in spark("SELECT format('{:.1f}', x) AS f FROM t")


@pytest.mark.parametrize(("spec", "value"), [("{:.1f}", 76.05), ("{:.1f}", 0.25), ("{:.1f}", 71.15), ("{:,}", 7131),
                                             ("{:,}", 1234567)])
def test_duckdb_format_on_spark_is_duckdbs_format(spec: str, value: float) -> None:
    from pipelines.engine.spark_sql import duckdb_format

    literal = f"CAST({value} AS DOUBLE)" if isinstance(value, float) else str(value)
    assert duckdb_format(spec, value) == duckdb.sql(f"SELECT format('{spec}', {literal})").fetchone()[0]
