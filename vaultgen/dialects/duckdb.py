"""DuckDB, the embedded default target."""

from __future__ import annotations

from sqlglot import exp

from vaultgen.dialects.base import Dialect, call, literal, six_decimals

# logical type (vaultgen.dialects.logical) -> DuckDB type
TYPES: dict[str, str] = {
    "int16": "SMALLINT", "int32": "INTEGER", "int64": "BIGINT", "float32": "REAL", "float64": "DOUBLE",
    "decimal": "DECIMAL", "string": "VARCHAR", "binary": "BLOB", "boolean": "BOOLEAN", "date": "DATE",
    "timestamp": "TIMESTAMP", "timestamptz": "TIMESTAMPTZ",
}


def _hex_digest(function: str):
    return lambda value: exp.Lower(this=call(function, value))


def _strftime(pattern: str):
    return lambda value: call("strftime", value, literal(pattern))


STRING_RENDERERS = {
    "float32": six_decimals("VARCHAR", "duckdb"),
    "float64": six_decimals("VARCHAR", "duckdb"),
    "date": _strftime("%Y-%m-%d"),
    "timestamp": _strftime("%Y-%m-%d %H:%M:%S.%f"),
    "timestamptz": lambda value: _strftime("%Y-%m-%d %H:%M:%S.%f")(call("timezone", literal("UTC"), value)),
    "binary": lambda value: exp.Lower(this=call("hex", value)),
}

DUCKDB = Dialect(
    name="duckdb",
    sqlglot_dialect="duckdb",
    dbt_adapter="duckdb",
    string_type="VARCHAR",
    hash_functions={"md5": _hex_digest("md5"), "sha1": _hex_digest("sha1"), "sha256": _hex_digest("sha256")},
    type_mapping=TYPES,
    string_renderers=STRING_RENDERERS,
    max_identifier_length=255,
    staging_materialized="table",  # each batch hashed once per run: 5-7 consumers read the table, not a view
    profile={"type": "duckdb", "path": "{{ env_var('VAULTGEN_DUCKDB_PATH', 'vault.duckdb') }}", "threads": 2},
    nfc_normalise=lambda value: call("nfc_normalize", value),
    incremental_config={"materialized": "incremental", "incremental_strategy": "append", "on_schema_change": "append_new_columns"},
    rename_qualified=False,  # RENAME TO takes the bare new name: the table stays in its schema
)
