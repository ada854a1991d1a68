"""The SQL models rewritten for Spark SQL, to show (and test) that they could run on a distributed engine.

DuckDB macros have no Spark equivalent (Spark's SQL functions are Databricks-only), so the project's
macros are *expanded in place* before translation: a scalar macro call becomes its body with the
arguments substituted, a table macro call (``current_versions('raw_x', 'x')``) becomes a subquery of its
body with the table argument as a plain table name.  sqlglot then writes the Spark dialect
(``arg_max`` -> ``MAX_BY``, ``QUALIFY`` -> window + filter, list functions -> arrays, ...).
Since issue 31 ``mtm run --engine spark`` runs the result (``pipelines/engine/spark_engine.py``); the written
dialect is Spark 4 (``Spark4`` below: QUALIFY is kept, Spark has it since 4.0). A model whose DuckDB form
cannot be translated (PIVOT/UNPIVOT, ``COLUMNS(...)``, ``UNION BY NAME`` over ``*``) has a declared variant
beside it, ``<model>.spark.sql`` (listed in the README), used instead of the translation.
"""

from __future__ import annotations

import re
from functools import cache

import sqlglot
import sqlglot.expressions as exp
from sqlglot import transforms
from sqlglot.dialects.spark import Spark
from sqlglot.generators.spark import SparkGenerator

from pipelines.engine.models import _MACRO_HEAD, MACRO_FILE, Model, _split_sql
from pipelines.engine.package_files import sql_dir


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


def _own_cte_names(body: exp.Expr, n: int) -> exp.Expr:
    """The table macro's CTEs renamed ``<name>_<n>``: Spark's SQL (as sqlglot writes it) lifts a subquery's
    CTEs to the statement's WITH, where two expansions of one macro (interval_islands twice in a model) would
    define ``_ordered`` twice (DUPLICATED_CTE_NAMES)."""
    names = {cte.alias.lower() for cte in body.find_all(exp.CTE)}
    if not names:
        return body

    def rename(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.CTE) and node.alias.lower() in names:
            node.set("alias", exp.TableAlias(this=exp.to_identifier(f"{node.alias}_{n}")))
        elif isinstance(node, exp.Table) and not node.db and node.name.lower() in names:
            node.set("this", exp.to_identifier(f"{node.name}_{n}"))
        return node

    return body.transform(rename)


def expand_macros(tree: exp.Expr) -> exp.Expr:
    """``tree`` with every call of a project macro replaced by the macro's body (repeated until none is left)."""
    bodies = macro_bodies()
    expansions = iter(range(1, 10_000))

    def expand(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Anonymous):
            known = bodies.get(str(node.this.this).lower())
            if known and known[2]:
                params, body, _ = known
                bound = _own_cte_names(_bind(body, params, node.this.expressions), next(expansions))
                subquery = exp.Subquery(this=bound)
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


#: the Spark function (registered by ``pipelines.engine.spark_engine``) that formats as DuckDB's format() does
FORMAT_FUNCTION = "duckdb_format"


def duckdb_format(spec: str | None, value: object) -> str | None:
    """DuckDB's ``format(spec, value)`` for one value: fmt's format specs are Python's (``{:,}``, ``{:.1f}``)."""
    return None if spec is None or value is None else spec.format(value)


class Spark4Generator(SparkGenerator):
    """sqlglot's Spark writer, minus the rewrite of QUALIFY into a subquery: Spark 4 reads QUALIFY itself,
    and the rewrite loses the table aliases a QUALIFY names (``h.as_of_date``)."""

    TRANSFORMS = {
        **SparkGenerator.TRANSFORMS,
        exp.Select: transforms.preprocess([transforms.eliminate_distinct_on, transforms.unnest_to_explode,
                                           transforms.any_to_exists]),
        exp.DataType: lambda self, e: "DECIMAL(38, 0)" if e.this == exp.DataType.Type.INT128
        else SparkGenerator.datatype_sql(self, e),
    }


class Spark4(Spark):
    Generator = Spark4Generator


def _by_position(node: exp.Expr) -> exp.Expr:
    """Spark-lacking DuckDB forms that have a plain equivalent, rewritten before the Spark text is written.

    * ``UNION [ALL] BY NAME`` between SELECTs that name every column: the right side's columns put in the
      left side's order, then a positional union (a ``*`` on either side needs a variant file);
    * a CTE ``AS [NOT] MATERIALIZED``: the hint dropped (Spark plans CTEs itself);
    * ``FROM range(a, b) AS t(x)`` (a series table): ``(SELECT explode(sequence(a, b - 1)) AS x) AS t``;
    * ``(a, b) IN (SELECT (a, b) ...)``: the subquery's tuple unpacked (Spark compares column to column);
    * ``string_agg(DISTINCT x, sep ORDER BY x)``: ``array_join(array_sort(collect_set(x)), sep)``, NULL when
      no x (Spark 4.3's ``LISTAGG(DISTINCT) WITHIN GROUP`` fails to plan);
    * a window function in arithmetic (``sum(x) OVER w - y``): parenthesised (Spark would read ``w-y``
      as one window name).
    """
    if isinstance(node, exp.Union) and node.args.get("by_name"):
        left, right = node.this, node.expression
        while isinstance(left, exp.Union):  # a chain: the first SELECT names the columns
            left = left.this
        if isinstance(left, exp.Select) and isinstance(right, exp.Select) \
                and not any(isinstance(e, exp.Star) for e in (*left.expressions, *right.expressions)):
            wanted = [e.alias_or_name for e in left.expressions]
            by_name = {e.alias_or_name: e for e in right.expressions}
            if sorted(wanted) == sorted(by_name):
                right.set("expressions", [by_name[n] for n in wanted])
                node.set("by_name", None)
    if isinstance(node, exp.CTE):
        node.set("materialized", None)
    if isinstance(node, exp.Table) and isinstance(node.this, exp.GenerateSeries) and node.alias \
            and node.this.args.get("is_end_exclusive") and len(node.args["alias"].columns) == 1:
        series = node.this
        column = node.args["alias"].columns[0].name
        select = exp.select(exp.Explode(this=exp.func("sequence", series.args["start"].copy(),
                                                      exp.Sub(this=series.args["end"].copy(),
                                                              expression=exp.Literal.number(1))))
                            .as_(column))
        return exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(node.alias)))
    if isinstance(node, exp.In) and isinstance(node.args.get("query"), exp.Subquery):
        select = node.args["query"].this
        if isinstance(select, exp.Select) and len(select.expressions) == 1 \
                and isinstance(select.expressions[0], exp.Tuple):
            select.set("expressions", [e.copy() for e in select.expressions[0].expressions])
    if isinstance(node, exp.GroupConcat) and not isinstance(node.parent, exp.Filter):
        order = node.this
        distinct = order.this if isinstance(order, exp.Order) else None
        if isinstance(distinct, exp.Distinct) and len(distinct.expressions) == 1 and len(order.expressions) == 1 \
                and order.expressions[0].this == distinct.expressions[0] and not order.expressions[0].args.get("desc"):
            value = distinct.expressions[0]
            joined = exp.func("array_join", exp.func("array_sort", exp.func("collect_set", value.copy())),
                              node.args.get("separator") or exp.Literal.string(","))
            none = exp.EQ(this=exp.Count(this=value.copy()), expression=exp.Literal.number(0))
            return exp.Case(ifs=[exp.If(this=none, true=exp.Null())], default=joined)
    if isinstance(node, exp.Window) and isinstance(node.parent, exp.Binary):
        return exp.Paren(this=node.copy())
    return node


def _spark_functions(node: exp.Expr) -> exp.Expr:
    """DuckDB functions sqlglot copies verbatim although Spark lacks them, mapped by hand.

    ``regexp_full_match(x, p)`` (whole-string match) becomes ``x RLIKE '^(?:p)$'`` (Spark's RLIKE finds
    a match anywhere, so the pattern is anchored); a list comprehension ``[f(n) FOR n IN xs]`` becomes
    ``TRANSFORM(xs, n -> f(n))`` (sqlglot would write a Python-like form Spark does not accept);
    ``list_bool_and(xs)`` becomes ``FORALL(xs, b -> b)``; ``arg_max(a, v)`` skips rows where ``a`` is NULL (as
    DuckDB does); ``a / b`` divides as DOUBLE (as DuckDB does, whatever the operand types);
    ``format('{:.1f}', x)`` calls ``duckdb_format``, a Python function the Spark engine registers (Java's
    %.1f rounds the decimal digits of a double, fmt and Python round its exact binary value).
    """
    if isinstance(node, (exp.ArgMax, exp.ArgMin)) and node.expression is not None:
        # DuckDB's arg_max/arg_min skip rows whose value is NULL; Spark's MAX_BY/MIN_BY would return it
        skip_null = exp.If(this=exp.Is(this=node.this.copy(), expression=exp.Null()), true=exp.Null(),
                           false=node.expression.copy())
        return node.__class__(this=node.this.copy(), expression=skip_null)
    if isinstance(node, exp.Div) and not any(isinstance(side, exp.Interval) for side in (node.this, node.expression)):
        # DuckDB's / is always a DOUBLE division; Spark divides decimals as decimals (other digits)
        return exp.Div(this=exp.cast(node.this.copy(), "DOUBLE"), expression=exp.cast(node.expression.copy(), "DOUBLE"))
    if isinstance(node, exp.Format) and isinstance(node.this, exp.Literal) and len(node.expressions) == 1:
        # DuckDB's format (the fmt library) and Python's str.format agree on these specs; Java's do not
        value = node.expressions[0].copy()
        if re.search(r"\.\d+f}", node.this.this):
            value = exp.cast(value, "DOUBLE")
        return exp.Anonymous(this=FORMAT_FUNCTION, expressions=[node.this.copy(), value])
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "list_bool_and" and len(node.expressions) == 1:
        return exp.Anonymous(this="FORALL", expressions=[
            node.expressions[0].copy(),
            exp.Lambda(this=exp.to_identifier("_b"), expressions=[exp.to_identifier("_b")])])
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


#: ``len(x)`` is the list length in the project's SQL (``length`` is the string length); sqlglot reads both as
#: LENGTH, which Spark applies to strings only
_LIST_LEN = re.compile(r"\blen\s*\(", re.IGNORECASE)


def to_spark(model: Model) -> str:
    """The model's SELECT in Spark SQL, macros expanded; raises if sqlglot meets something it cannot write."""
    tree = expand_macros(sqlglot.parse_one(_LIST_LEN.sub("array_length(", model.sql), read="duckdb"))
    tree = tree.transform(_spark_functions).transform(_by_position)
    return tree.sql(dialect=Spark4, unsupported_level=sqlglot.ErrorLevel.RAISE)
