"""DuckDB, the embedded default target."""

from __future__ import annotations

from sqlglot import exp

from vaultgen.dialects.base import Dialect
from vaultgen.types import DUCKDB_TYPES


def _call(name: str):
    return lambda value: exp.Lower(this=exp.Anonymous(this=name, expressions=[value]))


DUCKDB = Dialect(
    name="duckdb",
    sqlglot_dialect="duckdb",
    dbt_adapter="duckdb",
    string_type="VARCHAR",
    hash_functions={"md5": _call("md5"), "sha1": _call("sha1"), "sha256": _call("sha256")},
    type_mapping=DUCKDB_TYPES,
    max_identifier_length=255,
)
