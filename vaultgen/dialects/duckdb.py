"""DuckDB, the embedded default target."""

from __future__ import annotations

from sqlglot import exp

from vaultgen.dialects.base import Dialect
from vaultgen.types import DUCKDB_TYPES


def _call(name: str):
    return lambda value: exp.Lower(this=exp.Anonymous(this=name, expressions=[value]))


def _strftime(pattern: str):
    return lambda value: exp.Anonymous(this="strftime", expressions=[value, exp.Literal.string(pattern)])


def _six_decimals(value: exp.Expression) -> exp.Expression:
    as_decimal = exp.Cast(this=exp.Cast(this=value, to=exp.DataType.build("DOUBLE")), to=exp.DataType.build("DECIMAL(38, 6)"))
    return exp.Cast(this=as_decimal, to=exp.DataType.build("VARCHAR"))


def _utc(value: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this="timezone", expressions=[exp.Literal.string("UTC"), value])


STRING_RENDERERS = {
    "float32": _six_decimals,
    "float64": _six_decimals,
    "date": _strftime("%Y-%m-%d"),
    "timestamp": _strftime("%Y-%m-%d %H:%M:%S.%f"),
    "timestamptz": lambda value: _strftime("%Y-%m-%d %H:%M:%S.%f")(_utc(value)),
    "binary": lambda value: exp.Lower(this=exp.Hex(this=value)),
}

DUCKDB = Dialect(
    name="duckdb",
    sqlglot_dialect="duckdb",
    dbt_adapter="duckdb",
    string_type="VARCHAR",
    hash_functions={"md5": _call("md5"), "sha1": _call("sha1"), "sha256": _call("sha256")},
    type_mapping=DUCKDB_TYPES,
    string_renderers=STRING_RENDERERS,
    max_identifier_length=255,
)
