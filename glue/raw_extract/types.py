"""Logical type (vaultgen.types) -> Spark SQL type of the raw Iceberg column, as a table.

Spark's SMALLINT becomes an Iceberg int anyway (Iceberg has no 16-bit integer); naming `int` here keeps the
DataFrame, the Iceberg schema and the Glue definition (vaultgen.catalog.glue) in agreement.
"""

from __future__ import annotations

from vaultgen.catalog.glue import UNBOUNDED_DECIMAL
from vaultgen.types import SourceType, parse_source_type

SPARK_TYPES: dict[str, str] = {
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

LOAD_TS_TYPE = "timestamp"
BATCH_ID_TYPE = "string"


def spark_type(source_type: SourceType | str) -> str:
    parsed = parse_source_type(source_type) if isinstance(source_type, str) else source_type
    base = SPARK_TYPES[parsed.logical]
    if parsed.logical != "decimal":
        return base
    precision, scale = (parsed.length, parsed.scale or 0) if parsed.length is not None else UNBOUNDED_DECIMAL
    return f"decimal({precision},{scale})"
