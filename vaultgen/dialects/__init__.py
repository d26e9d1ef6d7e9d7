"""Dialect knowledge as data: one module per target, looked up by name. The registry below is the one list of
targets: the spec's `targets` and `target_settings` accept its dbt targets (vaultgen.spec.model.Target), the
checks and the renderer iterate them. Adding a target is one module here and one `register` line
(CONTRIBUTING.md)."""

from __future__ import annotations

from vaultgen.dialects.athena import ATHENA
from vaultgen.dialects.base import Dialect
from vaultgen.dialects.duckdb import DUCKDB
from vaultgen.dialects.postgres import POSTGRES
from vaultgen.dialects.snowflake import SNOWFLAKE
from vaultgen.dialects.spark import SPARK

DIALECTS: dict[str, Dialect] = {}


def register(dialect: Dialect) -> None:
    DIALECTS[dialect.name] = dialect


for _dialect in (DUCKDB, SPARK, ATHENA, SNOWFLAKE, POSTGRES):
    register(_dialect)


def targets() -> tuple[str, ...]:
    """The dbt targets, in registration order (postgres is only a source)."""
    return tuple(name for name, dialect in DIALECTS.items() if dialect.dbt_target)


def get_dialect(name: str) -> Dialect:
    return DIALECTS[name]


def glue_vault_target() -> str:
    """The target whose vault tables `vaultgen glue sync` defines in the Glue Data Catalog."""
    (name,) = [name for name in targets() if DIALECTS[name].glue_vault_catalog]
    return name


def target_dialect(name: str, hash_type: str, sentinel_keys: list[str]) -> Dialect:
    """The dialect of a target as the project configures it (hex or binary hash keys)."""
    dialect = get_dialect(name)
    return dialect.with_binary_hashes(sentinel_keys) if hash_type == "binary" else dialect
