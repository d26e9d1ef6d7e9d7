"""Snowflake, through dbt-snowflake: upper-case identifiers, clustering keys from the spec.

Snowflake has no Unicode normalisation function, so a spec asking for NFC keys cannot target Snowflake.
String literals: Snowflake reads a backslash as an escape; sqlglot doubles it when it writes a literal."""

from __future__ import annotations

from sqlglot import exp

from vaultgen.dialects.base import Dialect, call, literal, six_decimals

# logical type (vaultgen.dialects.logical) -> Snowflake type
TYPES: dict[str, str] = {
    "int16": "NUMBER(5,0)", "int32": "NUMBER(10,0)", "int64": "NUMBER(19,0)", "float32": "FLOAT", "float64": "FLOAT",
    "decimal": "NUMBER", "string": "VARCHAR", "binary": "BINARY", "boolean": "BOOLEAN", "date": "DATE",
    "timestamp": "TIMESTAMP_NTZ(6)", "timestamptz": "TIMESTAMP_TZ(6)",
}


def _to_char(pattern: str):
    return lambda value: call("TO_CHAR", value, literal(pattern))


STRING_RENDERERS = {
    "float32": six_decimals("VARCHAR", "snowflake"),
    "float64": six_decimals("VARCHAR", "snowflake"),
    "date": _to_char("YYYY-MM-DD"),
    "timestamp": _to_char("YYYY-MM-DD HH24:MI:SS.FF6"),
    "timestamptz": lambda value: _to_char("YYYY-MM-DD HH24:MI:SS.FF6")(call("CONVERT_TIMEZONE", literal("UTC"), value)),
    "binary": lambda value: exp.Lower(this=call("HEX_ENCODE", value)),
    "boolean": lambda value: exp.Lower(this=call("TO_VARCHAR", value)),
}

SNOWFLAKE = Dialect(
    name="snowflake",
    sqlglot_dialect="snowflake",
    dbt_adapter="snowflake",
    string_type="VARCHAR",
    hash_functions={
        "md5": lambda value: call("MD5", value),
        "sha1": lambda value: call("SHA1", value),
        "sha256": lambda value: call("SHA2", value, exp.Literal.number(256)),
    },
    type_mapping=TYPES,
    string_renderers=STRING_RENDERERS,
    max_identifier_length=255,
    identifier_case="upper",
    profile={
        "type": "snowflake",
        "account": "{{ env_var('SNOWFLAKE_ACCOUNT', 'account') }}",
        "user": "{{ env_var('SNOWFLAKE_USER', 'transformer') }}",
        "password": "{{ env_var('SNOWFLAKE_PASSWORD', '') }}",
        "role": "{{ env_var('SNOWFLAKE_ROLE', 'TRANSFORMER') }}",
        "warehouse": "{{ env_var('SNOWFLAKE_WAREHOUSE', 'TRANSFORMING') }}",
        "database": "{{ env_var('SNOWFLAKE_DATABASE', 'NORTHWIND_VAULT') }}",
        "schema": "RAW_VAULT",
        "threads": 4,
    },
    staging_materialized="table",  # each batch hashed once per run: 5-7 consumers read the table, not a view
    incremental_config={"materialized": "incremental", "incremental_strategy": "append", "on_schema_change": "append_new_columns"},
    cluster_config_key="cluster_by",
    binary_hash_functions={
        "md5": lambda value: call("MD5_BINARY", value),
        "sha1": lambda value: call("SHA1_BINARY", value),
        "sha256": lambda value: call("SHA2_BINARY", value, exp.Literal.number(256)),
    },
)
