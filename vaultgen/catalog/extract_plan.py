"""The raw extract's plan: what the Glue job (glue/raw_extract) needs from the spec, as plain JSON. Pure.

The job reads this file instead of the spec, so it runs on AWS Glue with PySpark and the standard library alone
(no vaultgen, pydantic or YAML to install on the workers, which have no internet access). Everything in it was
validated by vaultgen when the spec loaded: identifiers, source types, load modes. `vaultgen render` writes it to
generated/glue/extract_plan.json, and the infrastructure uploads it beside the job.
"""

from __future__ import annotations

import json
from typing import Any

from vaultgen.dialects.logical import mapped_type
from vaultgen.dialects.spark import RAW_EXTRACT_TYPES
from vaultgen.spec.model import Spec
from vaultgen.types import SourceType, parse_source_type

PLAN_VERSION = 1
PLAN_PATH = "glue/extract_plan.json"


def raw_spark_type(source_type: SourceType) -> str:
    """The Spark SQL type of a raw column (vaultgen.dialects.spark.RAW_EXTRACT_TYPES)."""
    return mapped_type(RAW_EXTRACT_TYPES, source_type)


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
