"""Glue Data Catalog definitions of the raw Iceberg tables, derived from the spec. Pure: no AWS calls.

One definition per raw table (each source table, plus the raw load log), in the shape boto3's
`glue.create_table(**definition)` takes: DatabaseName, TableInput and OpenTableFormatInput. `vaultgen render`
writes them to generated/glue/<database>/<table>.json; `vaultgen glue sync` (vaultgen.catalog.sync) applies them.

Types go through two tables: PostgreSQL -> logical (vaultgen.types) -> Glue (what Athena and the catalog show)
and Iceberg (the table format's own type names, used in the Iceberg schema Glue creates from): vaultgen.dialects.glue.
"""

from __future__ import annotations

import json
from typing import Any

from vaultgen.dialects.glue import CATALOG_TYPES, GLUE_TYPES, ICEBERG_TYPES, MAX_COMMENT, MAX_DESCRIPTION, CatalogType
from vaultgen.dialects.logical import mapped_type
from vaultgen.spec.model import Column, Spec, Table
from vaultgen.types import SourceType, parse_source_type

LOAD_TS_TYPE = CatalogType("timestamp", "timestamptz", "UTC")
BATCH_ID_TYPE = CatalogType("string", "string")

TABLE_PARAMETERS: dict[str, str] = {
    "table_type": "ICEBERG",
    "format-version": "2",
    "write.format.default": "parquet",
    "write.parquet.compression-codec": "zstd",
    "write_compression": "zstd",
    "vaultgen.generated": "true",
}

OPEN_TABLE_FORMAT_INPUT: dict[str, Any] = {"IcebergInput": {"MetadataOperation": "CREATE", "Version": "2"}}

# Every raw table is partitioned by the day of its load timestamp: one batch lands in one partition, and a
# rerun of a batch rewrites only that day's files.
PARTITION_TRANSFORM = "day"


def catalog_type(source_type: SourceType) -> tuple[str, str]:
    """(Glue type, Iceberg type) of a parsed source type."""
    return mapped_type(GLUE_TYPES, source_type), mapped_type(ICEBERG_TYPES, source_type)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _column(column: Column) -> dict[str, Any]:
    parsed = parse_source_type(column.type)
    glue_type, _ = catalog_type(parsed)
    note = CATALOG_TYPES[parsed.logical].note
    comment = "; ".join(part for part in (f"source: {column.type}", note, column.description) if part)
    return {
        "Name": column.name,
        "Type": glue_type,
        "Comment": _clip(comment, MAX_COMMENT),
        "Parameters": {"vaultgen.sensitivity": column.sensitivity, "vaultgen.source_type": column.type, "vaultgen.nullable": str(column.nullable).lower()},
    }


def _batch_columns(spec: Spec) -> list[dict[str, Any]]:
    raw = spec.project.raw
    return [
        {"Name": raw.load_timestamp_column, "Type": LOAD_TS_TYPE.glue, "Comment": "when the batch was loaded (UTC); partitioned by its day"},
        {"Name": raw.batch_id_column, "Type": BATCH_ID_TYPE.glue, "Comment": "identifier of the load batch"},
    ]


def raw_columns(spec: Spec, table: Table) -> list[dict[str, Any]]:
    """The Glue columns of a raw table: the spec's columns in spec order, then the batch columns."""
    return [_column(column) for column in table.columns] + _batch_columns(spec)


def load_log_columns(spec: Spec) -> list[dict[str, Any]]:
    raw = spec.project.raw
    return [
        {"Name": "table_name", "Type": "string", "Comment": "the raw table loaded"},
        {"Name": raw.batch_id_column, "Type": "string", "Comment": "identifier of the load batch"},
        {"Name": raw.load_timestamp_column, "Type": "timestamp", "Comment": "when the batch was loaded (UTC)"},
        {"Name": "row_count", "Type": "bigint", "Comment": "rows the table's batch loaded (0 when empty): the snapshot, or an incremental table's changed rows"},
    ]


def _partition_parameters(spec: Spec) -> dict[str, str]:
    column = spec.project.raw.load_timestamp_column
    spec_json = json.dumps([{"name": f"{column}_{PARTITION_TRANSFORM}", "source": column, "transform": PARTITION_TRANSFORM}], sort_keys=True)
    return {"vaultgen.partition-spec": spec_json}


def _load_parameters(table: Table) -> dict[str, str]:
    """How the table's batches are loaded, for readers of the catalog: an incremental batch holds changed rows only."""
    parameters = {"vaultgen.load": table.load}
    if table.watermark_column is not None:
        parameters["vaultgen.watermark_column"] = table.watermark_column
    return parameters


def _definition(spec: Spec, name: str, description: str, columns: list[dict[str, Any]], parameters: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "DatabaseName": spec.project.raw.schema_name,
        "TableInput": {
            "Name": name,
            "Description": _clip(description, MAX_DESCRIPTION),
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {**TABLE_PARAMETERS, **_partition_parameters(spec), **(parameters or {})},
            # Iceberg partitions are hidden (a transform of load_ts), so Glue lists no partition keys; the
            # partition spec travels in the Iceberg metadata (see iceberg_create_input) and in Parameters.
            "PartitionKeys": [],
            "StorageDescriptor": {"Columns": columns},
        },
        "OpenTableFormatInput": json.loads(json.dumps(OPEN_TABLE_FORMAT_INPUT)),
    }


def glue_database_input(spec: Spec) -> dict[str, Any]:
    return {"Name": spec.project.raw.schema_name, "Description": f"Raw layer of {spec.project.name}: one Iceberg table per source table, one snapshot per batch."}


def glue_table_inputs(spec: Spec) -> list[dict[str, Any]]:
    """The create_table request of every raw table: the spec's source tables in spec order, then the load log."""
    definitions = []
    for system, table in spec.tables():
        description = table.description or f"{system.name}.{table.name}"
        definitions.append(_definition(spec, table.name, f"{description} (source {system.name}.{table.name}, load {table.load})", raw_columns(spec, table),
                                       _load_parameters(table)))
    raw = spec.project.raw
    definitions.append(_definition(spec, raw.load_log_table, "One row per raw table and batch, even when the snapshot is empty.", load_log_columns(spec)))
    return definitions


def iceberg_types(spec: Spec, table_name: str) -> list[tuple[str, str, bool]]:
    """(column, Iceberg type, required) of a raw table, in the order of its Glue columns."""
    raw = spec.project.raw
    if table_name == raw.load_log_table:
        return [("table_name", "string", True), (raw.batch_id_column, "string", True), (raw.load_timestamp_column, "timestamptz", True), ("row_count", "long", True)]
    table = spec.table(table_name)
    if table is None:
        raise KeyError(table_name)
    # Source columns stay optional in the raw layer: a NOT NULL that the source drops must not fail a load.
    columns = [(c.name, catalog_type(parse_source_type(c.type))[1], False) for c in table.columns]
    return columns + [(raw.load_timestamp_column, LOAD_TS_TYPE.iceberg, True), (raw.batch_id_column, BATCH_ID_TYPE.iceberg, True)]


def iceberg_create_input(spec: Spec, table_name: str, location: str) -> dict[str, Any]:
    """The IcebergInput.CreateIcebergTableInput Glue needs to write real Iceberg metadata at `location`."""
    fields = [
        {"Id": position, "Name": name, "Type": kind, "Required": required}
        for position, (name, kind, required) in enumerate(iceberg_types(spec, table_name), start=1)
    ]
    source_id = next(field["Id"] for field in fields if field["Name"] == spec.project.raw.load_timestamp_column)
    return {
        "Location": location,
        "Schema": {"SchemaId": 0, "Type": "struct", "Fields": fields},
        "PartitionSpec": {"SpecId": 0, "Fields": [{"SourceId": source_id, "Transform": PARTITION_TRANSFORM, "Name": f"{spec.project.raw.load_timestamp_column}_{PARTITION_TRANSFORM}", "FieldId": 1000}]},
        "Properties": {key: value for key, value in TABLE_PARAMETERS.items() if key.startswith("write.")},
    }


def table_location(warehouse: str, database: str, table: str) -> str:
    """Where the Iceberg table lives under a warehouse prefix: the layout Iceberg's Glue catalog uses."""
    return f"{warehouse.rstrip('/')}/{database}.db/{table}"


def render_glue_files(spec: Spec) -> dict[str, str]:
    """generated/glue/<database>/<table>.json for every raw table: deterministic JSON, one file per table."""
    files: dict[str, str] = {}
    for definition in glue_table_inputs(spec):
        path = f"glue/{definition['DatabaseName']}/{definition['TableInput']['Name']}.json"
        files[path] = json.dumps(definition, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return files
