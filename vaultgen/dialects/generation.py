"""The SQL text of a built tree on a target: sqlglot's generator, less the SELECT rewrites that search for
constructs vaultgen never builds.

Before it writes a SELECT, sqlglot's generator of a dialect runs that dialect's rewrites of constructs it lacks.
Most read one clause of the SELECT (QUALIFY, DISTINCT ON, SEMI/ANTI joins, WINDOW) and are kept here. A few
search the SELECT's whole scope, for every SELECT and subquery again, for EXPLODE, UNNEST, ANY or
GENERATE_DATE_ARRAY, which the builders never make (vaultgen/sql/): on Athena, Snowflake and Spark those
searches cost about a fifth of a cold render and never change the text. The generators below are sqlglot's
with the kept rewrites only, in sqlglot's order; a target not listed uses sqlglot's generator's own.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

from sqlglot import exp, transforms
from sqlglot.dialects.dialect import Dialect
from sqlglot.generator import Generator

# sqlglot dialect -> the SELECT rewrites kept, and the generator and dialect sqlglot writes a query with
# (an Athena query is written by its Trino generator with the Trino dialect, sqlglot.generators.athena)
SELECT_REWRITES: dict[str, tuple[list, str, str]] = {
    # Trino's: less explode_projection_to_unnest and amend_exploded_column_table (EXPLODE)
    "athena": ([transforms.eliminate_qualify, transforms.eliminate_distinct_on, transforms.eliminate_semi_and_anti_joins],
               "sqlglot.generators.athena.AthenaTrinoGenerator", "trino"),
    # less explode_projection_to_unnest, _transform_generate_date_array, _qualify_unnested_columns and
    # _eliminate_dot_variant_lookup (EXPLODE, GENERATE_DATE_ARRAY, UNNEST)
    "snowflake": ([transforms.eliminate_window_clause, transforms.eliminate_distinct_on, transforms.eliminate_semi_and_anti_joins],
                  "sqlglot.generators.snowflake.SnowflakeGenerator", "snowflake"),
    # Spark 2's: less unnest_to_explode and any_to_exists (UNNEST, ANY)
    "spark": ([transforms.eliminate_qualify, transforms.eliminate_distinct_on],
              "sqlglot.generators.spark.SparkGenerator", "spark"),
}


def _upper_case(write_identifier: Callable[[Generator, exp.Identifier], str]) -> Callable[[Generator, exp.Identifier], str]:
    """Writes every identifier in upper case but vaultgen's placeholders (`vg.ref:...`): a target whose
    identifier_case is "upper" (Snowflake), upper-cased as it is written instead of in a walk over the tree before."""

    def write(generator: Generator, identifier: exp.Identifier) -> str:
        name = identifier.this
        if not name.startswith("vg."):
            identifier.set("this", name.upper())
        return write_identifier(generator, identifier)

    return write


Handler = Callable[[Generator, exp.Expression], str]

# Spark's generator asks of every cast whether it is one to JSON and of most types whether it is FLOAT by the
# type's name, which sqlglot parses again on each call (DataType.is_type("json"), is_type("float")): some 8,000
# parses in a render of 100 hubs. A cast or a type that none of the Spark and Hive generators' own cases touch
# (the types below, nested types) is written as those generators end up writing it, by sqlglot's base generator;
# every other goes to them as before.
_SPARK_CAST_CASES = {exp.DType.JSON, exp.DType.DECIMAL, exp.DType.USERDEFINED}  # sqlglot.generators.spark2 cast_sql
_HIVE_TYPE_CASES = {exp.DType.FLOAT, exp.DType.USERDEFINED, *exp.DataType.TEMPORAL_TYPES}  # hive datatype_sql; TEXT(n) too


def _spark_cast(write_cast: Handler) -> Handler:
    def write(generator: Generator, cast: exp.Expression) -> str:
        to = cast.args["to"]
        if to.this in _SPARK_CAST_CASES or to.args.get("nested"):
            return write_cast(generator, cast)
        return Generator.cast_sql(generator, cast)  # type: ignore[arg-type]

    return write


def _hive_data_type(write_type: Handler) -> Handler:
    def write(generator: Generator, data_type: exp.Expression) -> str:
        kind = data_type.this
        if kind in _HIVE_TYPE_CASES or kind in generator.PARAMETERIZABLE_TEXT_TYPES or (kind is exp.DType.TEXT and data_type.expressions):
            return write_type(generator, data_type)
        return Generator.datatype_sql(generator, data_type)  # type: ignore[arg-type]

    return write


# sqlglot dialect -> node type -> the shortcut wrapped around sqlglot's handler of it
SHORTCUTS: dict[str, dict[type[exp.Expression], Callable[[Handler], Handler]]] = {
    "spark": {exp.Cast: _spark_cast, exp.DataType: _hive_data_type},
}


@lru_cache(maxsize=None)
def _generator(name: str, upper_identifiers: bool) -> tuple[type[Generator], Dialect, dict]:
    """The generator class that writes a query in sqlglot dialect `name`, the dialect it writes it with, and its
    handlers (node type -> function) with vaultgen's changes. The handlers are set on each generator rather than
    in a subclass: sqlglot's compiled build (sqlglotc) lets no Python class inherit from its generators."""
    if name in SELECT_REWRITES:
        from importlib import import_module

        rewrites, path, dialect_name = SELECT_REWRITES[name]
        module, _, class_name = path.rpartition(".")
        generator: type[Generator] = getattr(import_module(module), class_name)
    else:
        rewrites, dialect_name = [], name
        generator = Dialect.get_or_raise(name).generator_class
    dialect = Dialect.get_or_raise(dialect_name)
    handlers = dict(generator(dialect=dialect)._dispatch)  # sqlglot's own, as it builds them for the class
    if rewrites:
        handlers[exp.Select] = transforms.preprocess(rewrites)
    if upper_identifiers:
        handlers[exp.Identifier] = _upper_case(handlers[exp.Identifier])
    for node_type, shortcut in SHORTCUTS.get(name, {}).items():
        handlers[node_type] = shortcut(handlers[node_type])
    return generator, dialect, handlers


def generate(query: exp.Expression, name: str, upper_identifiers: bool = False) -> str:
    """The pretty SQL of `query` in sqlglot dialect `name`, as query.sql(dialect=name, pretty=True) writes it (with
    `upper_identifiers`, as it writes the query with every identifier but the placeholders upper-cased). Consumes
    the tree (the generator rewrites it in place). Comments are not written: the builders make none."""
    generator_class, dialect, handlers = _generator(name, upper_identifiers)
    generator = generator_class(dialect=dialect, pretty=True, comments=False)
    generator._dispatch = handlers
    return generator.generate(query, copy=False)
