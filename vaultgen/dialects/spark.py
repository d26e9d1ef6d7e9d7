"""Spark 3.5 (AWS Glue 5.0's engine) on Iceberg tables, through dbt-spark.

Spark SQL has no Unicode normalisation function, so a spec asking for NFC keys cannot target Spark.
String literals: Spark reads a backslash as an escape; sqlglot doubles it when it writes a literal."""

from __future__ import annotations

from sqlglot import exp

from vaultgen.dialects.base import Dialect, PartitionTransforms, call, literal, six_decimals

# logical type (vaultgen.dialects.logical) -> Spark SQL type (Spark 3.5 on Iceberg: Glue 5.0)
TYPES: dict[str, str] = {
    "int16": "SMALLINT", "int32": "INT", "int64": "BIGINT", "float32": "FLOAT", "float64": "DOUBLE",
    "decimal": "DECIMAL", "string": "STRING", "binary": "BINARY", "boolean": "BOOLEAN", "date": "DATE",
    "timestamp": "TIMESTAMP_NTZ", "timestamptz": "TIMESTAMP",
}

# logical type -> Spark SQL type of a raw Iceberg column the Glue job (glue/raw_extract) writes, through the
# extract plan (vaultgen.catalog.extract_plan). Spark's smallint would become an Iceberg int anyway (Iceberg has
# no 16-bit integer); naming int here keeps the DataFrame, the Iceberg schema and the Glue definition
# (vaultgen.catalog.glue) in agreement.
RAW_EXTRACT_TYPES: dict[str, str] = {
    "int16": "int",
    "int32": "int",
    "int64": "bigint",
    "float32": "float",
    "float64": "double",
    "decimal": "decimal",
    "string": "string",
    "binary": "binary",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp_ntz",  # PostgreSQL timestamp without time zone: a wall-clock value (Iceberg timestamp)
    "timestamptz": "timestamp",  # an instant (Iceberg timestamptz)
}


def _date_format(pattern: str):
    return lambda value: call("date_format", value, literal(pattern))


STRING_RENDERERS = {
    "float32": six_decimals("STRING", "spark"),
    "float64": six_decimals("STRING", "spark"),
    "date": _date_format("yyyy-MM-dd"),
    # the session time zone is UTC (see the profile), so both kinds of timestamp render in UTC
    "timestamp": _date_format("yyyy-MM-dd HH:mm:ss.SSSSSS"),
    "timestamptz": _date_format("yyyy-MM-dd HH:mm:ss.SSSSSS"),
    "binary": lambda value: exp.Lower(this=call("hex", value)),
}

SPARK = Dialect(
    name="spark",
    sqlglot_dialect="spark",
    dbt_adapter="spark",
    string_type="STRING",
    hash_functions={
        "md5": lambda value: call("md5", value),
        "sha1": lambda value: call("sha1", value),
        "sha256": lambda value: call("sha2", value, exp.Literal.number(256)),
    },
    type_mapping=TYPES,
    string_renderers=STRING_RENDERERS,
    max_identifier_length=255,
    profile={
        "type": "spark",
        "method": "session",
        "host": "localhost",
        "schema": "{{ env_var('VAULTGEN_SPARK_SCHEMA', 'raw_vault') }}",
        # one Spark session serves every dbt thread; its scheduler runs their queries side by side
        "threads": "{{ env_var('VAULTGEN_SPARK_THREADS', '4') | as_number }}",
        "server_side_parameters": {
            "spark.driver.memory": "{{ env_var('VAULTGEN_SPARK_DRIVER_MEMORY', '2g') }}",
            "spark.sql.shuffle.partitions": "{{ env_var('VAULTGEN_SPARK_SHUFFLE_PARTITIONS', '200') }}",
            "spark.ui.enabled": "false",
            "spark.sql.session.timeZone": "UTC",
            "spark.jars": "{{ env_var('VAULTGEN_ICEBERG_JAR', '') }}",
            "spark.sql.extensions": "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
            "spark.sql.catalog.spark_catalog": "org.apache.iceberg.spark.SparkSessionCatalog",
            "spark.sql.catalog.spark_catalog.type": "hive",
            "spark.hadoop.iceberg.engine.hive.lock-enabled": "false",
            "spark.sql.warehouse.dir": "{{ env_var('VAULTGEN_SPARK_WAREHOUSE', 'spark-warehouse') }}",
            "spark.hadoop.javax.jdo.option.ConnectionURL": "{{ env_var('VAULTGEN_SPARK_METASTORE', 'jdbc:derby:;databaseName=metastore_db;create=true') }}",
        },
    },
    project_models_config={"+file_format": "iceberg"},
    staging_materialized="table",
    incremental_config={"materialized": "incremental", "incremental_strategy": "append", "on_schema_change": "append_new_columns"},
    partition_config_key="partition_by",
    partition_transforms=PartitionTransforms(day="days({column})", month="months({column})", year="years({column})", hour="hours({column})"),
    glue_raw_catalog=True,  # on AWS Glue the raw layer is the Iceberg tables `glue sync` defines
)
