"""The SQL models rewritten for Spark SQL, to show (and test) that they could run on a distributed engine.

DuckDB macros have no Spark equivalent (Spark's SQL functions are Databricks-only), so the project's
macros are *expanded in place* before translation: a scalar macro call becomes its body with the
arguments substituted, a table macro call (``current_versions('raw_x', 'x')``) becomes a subquery of its
body with the table argument as a plain table name.  sqlglot then writes the Spark dialect
(``arg_max`` -> ``MAX_BY``, ``QUALIFY`` -> window + filter, list functions -> arrays, ...).
Used by ``tests/test_spark_transpile.py``; not on the pipeline's path.
"""

from __future__ import annotations

from functools import cache

import sqlglot
import sqlglot.expressions as exp

from pipelines.models import _MACRO_HEAD, MACRO_FILE, Model, _split_sql
from pipelines.package_files import sql_dir


@cache
def macro_bodies() -> dict[str, tuple[list[str], exp.Expr, bool]]:
    """Each macro of ``sql/_macros.sql``: parameter names, parsed body, whether it is a table macro."""
    found: dict[str, tuple[list[str], exp.Expr, bool]] = {}
    for statement in _split_sql((sql_dir() / MACRO_FILE).read_text()):
        head = _MACRO_HEAD.search(statement)
        if head:
            params = [p.strip().lower() for p in head.group(2).split(",")]
            body = sqlglot.parse_one(statement[head.end():].strip(), read="duckdb")
            found[head.group(1).lower()] = (params, body, bool(head.group(3)))
    return found


def _bind(body: exp.Expr, params: list[str], args: list[exp.Expr]) -> exp.Expr:
    """The macro body with every parameter replaced by its argument (``query_table(p)`` by the table named)."""
    values = dict(zip(params, args, strict=False))

    def substitute(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Anonymous) \
                and str(node.this.this).lower() == "query_table":
            name = node.this.expressions[0]
            bound = values.get(name.name.lower()) if isinstance(name, exp.Column) else name
            return exp.to_table(bound.this if isinstance(bound, exp.Literal) else str(bound))
        if isinstance(node, exp.Column) and not node.table and node.name.lower() in values:
            return values[node.name.lower()].copy()
        return node

    return body.copy().transform(substitute)


def expand_macros(tree: exp.Expr) -> exp.Expr:
    """``tree`` with every call of a project macro replaced by the macro's body (repeated until none is left)."""
    bodies = macro_bodies()

    def expand(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Anonymous):
            known = bodies.get(str(node.this.this).lower())
            if known and known[2]:
                params, body, _ = known
                subquery = exp.Subquery(this=_bind(body, params, node.this.expressions))
                return subquery.as_(node.alias or str(node.this.this))
        if isinstance(node, exp.Anonymous):
            known = bodies.get(str(node.this).lower())
            if known and not known[2]:
                params, body, _ = known
                return exp.Paren(this=_bind(body, params, node.expressions))
        return node

    for _ in range(10):  # macros call macros (normalise_ndc -> ndc_trimmed); the nesting is shallow
        before = tree.sql(dialect="duckdb")
        tree = tree.transform(expand)
        if tree.sql(dialect="duckdb") == before:
            return tree
    raise ValueError("macro expansion did not settle after 10 rounds (a macro calling itself?)")


def _spark_functions(node: exp.Expr) -> exp.Expr:
    """DuckDB functions sqlglot copies verbatim although Spark lacks them, mapped by hand.

    ``regexp_full_match(x, p)`` (whole-string match) becomes ``x RLIKE '^(?:p)$'`` (Spark's RLIKE finds
    a match anywhere, so the pattern is anchored); a list comprehension ``[f(n) FOR n IN xs]`` becomes
    ``TRANSFORM(xs, n -> f(n))`` (sqlglot would write a Python-like form Spark does not accept).
    """
    comprehension = node.expressions[0] if isinstance(node, exp.Array) and len(node.expressions) == 1 else None
    if isinstance(comprehension, exp.Comprehension) and not comprehension.args.get("condition"):
        variable = comprehension.expression
        body = comprehension.this.copy().transform(
            lambda n: exp.to_identifier(variable.name) if isinstance(n, exp.Column) and not n.table
            and n.name == variable.name else n)
        return exp.Transform(this=comprehension.args["iterator"].copy(),
                             expression=exp.Lambda(this=body, expressions=[exp.to_identifier(variable.name)]))
    if isinstance(node, exp.RegexpFullMatch) and isinstance(node.expression, exp.Literal):
        anchored = exp.Literal.string(f"^(?:{node.expression.this})$")
        return exp.RegexpLike(this=node.this, expression=anchored)
    return node


def to_spark(model: Model) -> str:
    """The model's SELECT in Spark SQL, macros expanded; raises if sqlglot meets something it cannot write."""
    tree = expand_macros(sqlglot.parse_one(model.sql, read="duckdb")).transform(_spark_functions)
    return sqlglot.transpile(tree.sql(dialect="duckdb"), read="duckdb", write="spark",
                             unsupported_level=sqlglot.ErrorLevel.RAISE)[0]
