"""Dialect knowledge as data: one module per target, looked up by name. Adding a target is one module here."""

from __future__ import annotations

from vaultgen.dialects.athena import ATHENA
from vaultgen.dialects.base import Dialect
from vaultgen.dialects.duckdb import DUCKDB
from vaultgen.dialects.postgres import POSTGRES
from vaultgen.dialects.snowflake import SNOWFLAKE
from vaultgen.dialects.spark import SPARK

DIALECTS: dict[str, Dialect] = {dialect.name: dialect for dialect in (DUCKDB, SPARK, ATHENA, SNOWFLAKE, POSTGRES)}
TARGETS = ("duckdb", "spark", "athena", "snowflake")  # dbt targets; postgres is only a source


def get_dialect(name: str) -> Dialect:
    return DIALECTS[name]


def target_dialect(name: str, hash_type: str, sentinel_keys: list[str]) -> Dialect:
    """The dialect of a target as the project configures it (hex or binary hash keys)."""
    dialect = get_dialect(name)
    return dialect.with_binary_hashes(sentinel_keys) if hash_type == "binary" else dialect
