"""The raw extract's plan: what the Glue job (glue/raw_extract) needs from the spec, as plain JSON. Pure.

The job reads this file instead of the spec, so it runs on AWS Glue with PySpark and the standard library alone
(no vaultgen, pydantic or YAML to install on the workers, which have no internet access). Everything in it was
validated by vaultgen when the spec loaded: identifiers, source types, load modes. `vaultgen render` writes it to
generated/glue/extract_plan.json, and the infrastructure uploads it beside the job.
"""

from __future__ import annotations

import json
from typing import Any

from vaultgen.spec.model import Spec
from vaultgen.types import SourceType, decimal_precision, parse_source_type

PLAN_VERSION = 1
PLAN_PATH = "glue/extract_plan.json"

# logical type -> Spark SQL type of the raw Iceberg column. Spark's smallint would become an Iceberg int anyway
# (Iceberg has no 16-bit integer); naming int here keeps the DataFrame, the Iceberg schema and the Glue
# definition (vaultgen.catalog.glue) in agreement.
RAW_SPARK_TYPES: dict[str, str] = {
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


def raw_spark_type(source_type: SourceType) -> str:
    base = RAW_SPARK_TYPES[source_type.logical]
    if source_type.logical != "decimal":
        return base
    precision, scale = decimal_precision(source_type)
    return f"decimal({precision},{scale})"


def extract_plan(spec: Spec) -> dict[str, Any]:
    raw = spec.project.raw
    tables = []
    for system, table in spec.tables():
        columns = []
        for column in table.columns:
            parsed = parse_source_type(column.type)
            columns.append({"name": column.name, "source_type": column.type, "logical": parsed.logical, "spark_type": raw_spark_type(parsed),
                            **({"source_name": column.source_name} if column.source_name else {})})  # the extract selects "AlbumId" AS album_id
        tables.append({
            **({"source_name": table.source_name} if table.source_name else {}),
            "name": table.name,
            "source_system": system.name,
            "load": table.load,
            "watermark_column": table.watermark_column,
            "columns": columns,
        })
    return {
        "version": PLAN_VERSION,
        "project": spec.project.name,
        "raw": {
            "database": raw.schema_name,
            "load_timestamp_column": raw.load_timestamp_column,
            "batch_id_column": raw.batch_id_column,
            "load_log_table": raw.load_log_table,
        },
        "tables": tables,
    }


def render_extract_plan(spec: Spec) -> dict[str, str]:
    return {PLAN_PATH: json.dumps(extract_plan(spec), indent=2, sort_keys=True, ensure_ascii=False) + "\n"}
