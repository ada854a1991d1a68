"""Every SQL model translates to Spark SQL (issue 19: the path past one machine).

sqlglot writes each model in the Spark dialect after the project's DuckDB macros are expanded in place
(``pipelines/spark_sql.py``); what Spark would not understand must not be left in the output.
"""

import re

import duckdb
import pytest
import sqlglot

from pipelines.models import catalog
from pipelines.package_files import sql_dir
from pipelines.spark_sql import expand_macros, macro_bodies, to_spark

MODELS = sorted(catalog())
#: DuckDB-only names that must not survive into the Spark text
DUCKDB_ONLY = re.compile(r"\b(query_table|regexp_full_match|list_filter|arg_max|arg_min)\s*\(", re.IGNORECASE)


def test_every_layer_has_models() -> None:
    assert {catalog()[name].layer for name in MODELS} >= {"reference", "staging", "core", "targeting", "outputs"}


@pytest.mark.parametrize("name", MODELS)
def test_model_transpiles_to_spark(name: str) -> None:
    spark = to_spark(catalog()[name])
    sqlglot.parse_one(spark, read="spark")  # the output is Spark SQL sqlglot can read back
    macro_calls = [m for m in macro_bodies() if re.search(rf"\b{m}\s*\(", spark, re.IGNORECASE)]
    assert not macro_calls, f"{name}: macros left unexpanded: {macro_calls}"
    assert not DUCKDB_ONLY.search(spark), f"{name}: DuckDB-only function left: {DUCKDB_ONLY.search(spark)}"
    assert not re.search(r"\bFOR\s+\w+\s+IN\b", spark), f"{name}: a list comprehension Spark cannot read"


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
