"""Amazon Athena (Trino) on Iceberg tables, through dbt-athena-community.

Trino hashes varbinary: the string is encoded with to_utf8 first, and the digest turned into lower hex.
"""

from __future__ import annotations

from sqlglot import exp

from vaultgen.dialects.base import Dialect, call, data_type, literal, six_decimals

# logical type (vaultgen.dialects.logical) -> Athena (Trino) type on Iceberg: no SMALLINT in Iceberg, timestamps
# at microseconds; Athena creates no Iceberg column with a time zone, so instants are stored as UTC wall-clock
# timestamps
TYPES: dict[str, str] = {
    "int16": "INTEGER", "int32": "INTEGER", "int64": "BIGINT", "float32": "REAL", "float64": "DOUBLE",
    "decimal": "DECIMAL", "string": "VARCHAR", "binary": "VARBINARY", "boolean": "BOOLEAN", "date": "DATE",
    "timestamp": "TIMESTAMP(6)", "timestamptz": "TIMESTAMP(6)",
}


def _digest(function: str):
    return lambda value: exp.Lower(this=call("to_hex", call(function, call("to_utf8", value))))


def _format_datetime(pattern: str):
    return lambda value: call("format_datetime", value, literal(pattern))


def _cast(value: exp.Expression, type_name: str) -> exp.Expression:
    return exp.Cast(this=value, to=data_type(type_name, "athena"))


# Trino prints a timestamp(6) as 'yyyy-MM-dd HH:mm:ss.ffffff' (and one with a time zone adds ' UTC' after
# at_timezone): its first 26 characters are the canonical text. format_datetime would not do: Joda formats
# milliseconds only, so the last three digits of a microsecond would be lost.
MICROSECOND_TEXT = 26


def _microsecond_text(value: exp.Expression) -> exp.Expression:
    return exp.Substring(this=_cast(value, "VARCHAR"), start=exp.Literal.number(1), length=exp.Literal.number(MICROSECOND_TEXT))


def _utc_text(value: exp.Expression) -> exp.Expression:
    """An instant's UTC wall-clock time as 'yyyy-MM-dd HH:mm:ss.ffffff'."""
    return _microsecond_text(_cast(call("at_timezone", value, literal("UTC")), "TIMESTAMP(6) WITH TIME ZONE"))


STRING_RENDERERS = {
    "float32": six_decimals("VARCHAR", "athena"),
    "float64": six_decimals("VARCHAR", "athena"),
    "date": _format_datetime("yyyy-MM-dd"),
    "timestamp": lambda value: _microsecond_text(_cast(value, "TIMESTAMP(6)")),
    "timestamptz": _utc_text,
    "binary": lambda value: exp.Lower(this=call("to_hex", value)),
}


def _utc_wall_clock(value: exp.Expression) -> exp.Expression:
    """An instant as the UTC wall-clock TIMESTAMP(6) Athena's Iceberg tables can hold, through text: Athena
    refuses any cast from timestamp with time zone to timestamp."""
    return _cast(_utc_text(value), "TIMESTAMP(6)")


ATHENA = Dialect(
    name="athena",
    sqlglot_dialect="athena",
    dbt_adapter="athena",
    string_type="VARCHAR",
    hash_functions={"md5": _digest("md5"), "sha1": _digest("sha1"), "sha256": _digest("sha256")},
    type_mapping=TYPES,
    string_renderers=STRING_RENDERERS,
    max_identifier_length=255,
    profile={
        "type": "athena",
        "s3_staging_dir": "{{ env_var('VAULTGEN_ATHENA_S3_STAGING_DIR', 's3://athena-results/dbt/') }}",
        "s3_data_dir": "{{ env_var('VAULTGEN_ATHENA_S3_DATA_DIR', 's3://warehouse/vault/') }}",
        "region_name": "{{ env_var('AWS_REGION', 'eu-west-1') }}",
        "work_group": "{{ env_var('VAULTGEN_ATHENA_WORKGROUP', 'primary') }}",
        "database": "awsdatacatalog",
        "schema": "raw_vault",
        "threads": 4,
    },
    project_models_config={"+table_type": "iceberg", "+format": "parquet"},
    # insert-only vault tables: append is the cheapest correct strategy (no merge, no rewrite of files)
    incremental_config={"materialized": "incremental", "incremental_strategy": "append", "on_schema_change": "append_new_columns"},
    partition_config_key="partitioned_by",
    nfc_normalise=lambda value: call("normalize", value, exp.var("NFC")),  # Trino's normalize(string, form)
    store_instant=_utc_wall_clock,
    glue_vault_catalog=True,  # `vaultgen glue sync` defines the vault tables (vaultgen.catalog.glue_vault)
    glue_raw_catalog=True,
)
