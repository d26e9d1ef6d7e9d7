"""Type mapping as tables: PostgreSQL source type -> logical type -> each warehouse's type.

A source type is written as PostgreSQL spells it ("smallint", "character varying(40)", "numeric(10,2)").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# PostgreSQL spelling (and aliases) -> logical type
SOURCE_TYPES: dict[str, str] = {
    "smallint": "int16",
    "int2": "int16",
    "integer": "int32",
    "int": "int32",
    "int4": "int32",
    "bigint": "int64",
    "int8": "int64",
    "real": "float32",
    "float4": "float32",
    "double precision": "float64",
    "float8": "float64",
    "numeric": "decimal",
    "decimal": "decimal",
    "character varying": "string",
    "varchar": "string",
    "character": "string",
    "char": "string",
    "text": "string",
    "bytea": "binary",
    "boolean": "boolean",
    "bool": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "timestamp without time zone": "timestamp",
    "timestamptz": "timestamptz",
    "timestamp with time zone": "timestamptz",
}

# PostgreSQL's bare `numeric` has no fixed precision: every target stores it as decimal(38,18), Spark's JDBC
# reader's reading of it too (a bare DECIMAL would be decimal(38,0) on Trino and Snowflake, (10,0) on Spark)
UNBOUNDED_DECIMAL = (38, 18)


def decimal_precision(source_type: "SourceType") -> tuple[int, int]:
    """(precision, scale) of a decimal source type; a bare numeric gets UNBOUNDED_DECIMAL."""
    return (source_type.length, source_type.scale or 0) if source_type.length is not None else UNBOUNDED_DECIMAL

# logical type -> DuckDB type
DUCKDB_TYPES: dict[str, str] = {
    "int16": "SMALLINT",
    "int32": "INTEGER",
    "int64": "BIGINT",
    "float32": "REAL",
    "float64": "DOUBLE",
    "decimal": "DECIMAL",
    "string": "VARCHAR",
    "binary": "BLOB",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "timestamptz": "TIMESTAMPTZ",
}

# logical type -> Spark SQL type (Spark 3.5 on Iceberg: Glue 5.0)
SPARK_TYPES: dict[str, str] = {
    "int16": "SMALLINT", "int32": "INT", "int64": "BIGINT", "float32": "FLOAT", "float64": "DOUBLE",
    "decimal": "DECIMAL", "string": "STRING", "binary": "BINARY", "boolean": "BOOLEAN", "date": "DATE",
    "timestamp": "TIMESTAMP_NTZ", "timestamptz": "TIMESTAMP",
}

# logical type -> Athena (Trino) type on Iceberg: no SMALLINT in Iceberg, timestamps at microseconds; Athena
# creates no Iceberg column with a time zone, so instants are stored as UTC wall-clock timestamps
ATHENA_TYPES: dict[str, str] = {
    "int16": "INTEGER", "int32": "INTEGER", "int64": "BIGINT", "float32": "REAL", "float64": "DOUBLE",
    "decimal": "DECIMAL", "string": "VARCHAR", "binary": "VARBINARY", "boolean": "BOOLEAN", "date": "DATE",
    "timestamp": "TIMESTAMP(6)", "timestamptz": "TIMESTAMP(6)",
}

# logical type -> Snowflake type
SNOWFLAKE_TYPES: dict[str, str] = {
    "int16": "NUMBER(5,0)", "int32": "NUMBER(10,0)", "int64": "NUMBER(19,0)", "float32": "FLOAT", "float64": "FLOAT",
    "decimal": "NUMBER", "string": "VARCHAR", "binary": "BINARY", "boolean": "BOOLEAN", "date": "DATE",
    "timestamp": "TIMESTAMP_NTZ(6)", "timestamptz": "TIMESTAMP_TZ(6)",
}

# logical type -> PostgreSQL type (the source, and the hash parity tests)
POSTGRES_TYPES: dict[str, str] = {
    "int16": "SMALLINT", "int32": "INTEGER", "int64": "BIGINT", "float32": "REAL", "float64": "DOUBLE PRECISION",
    "decimal": "NUMERIC", "string": "VARCHAR", "binary": "BYTEA", "boolean": "BOOLEAN", "date": "DATE",
    "timestamp": "TIMESTAMP", "timestamptz": "TIMESTAMPTZ",
}

_TYPE_PATTERN = re.compile(r"^\s*([a-z][a-z0-9 ]*?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$")


@dataclass(frozen=True)
class SourceType:
    logical: str
    length: int | None = None
    scale: int | None = None


def parse_source_type(text: str) -> SourceType:
    match = _TYPE_PATTERN.match(text.lower())
    if not match or match.group(1) not in SOURCE_TYPES:
        known = ", ".join(sorted(set(SOURCE_TYPES)))
        raise ValueError(f"unknown source type '{text}'; known types: {known}")
    name, length, scale = match.groups()
    logical = SOURCE_TYPES[name]
    if scale is not None and logical != "decimal":
        raise ValueError(f"type '{text}' takes no scale")
    if logical == "decimal" and length is not None and not (1 <= int(length) <= 38 and int(scale or 0) <= int(length)):
        raise ValueError(f"type '{text}': precision must be 1..38 and scale at most the precision")
    return SourceType(logical, int(length) if length else None, int(scale) if scale else None)
