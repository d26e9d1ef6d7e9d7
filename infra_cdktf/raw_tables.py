"""What the infrastructure needs from the spec: the raw Iceberg tables, as Glue and as Snowflake see them.

The Glue side comes from `vaultgen.catalog.glue` (the same definitions `vaultgen glue sync` applies), so Terraform
and the sync agree on names, columns, Iceberg schema and partitioning. This module adds only how Snowflake types
an Iceberg column (a masking policy's signature must match it) and which columns the spec marks as pii.
Pure: takes a loaded Spec, returns plain data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vaultgen.catalog.glue import glue_table_inputs, iceberg_create_input, iceberg_types, table_location
from vaultgen.spec.model import Spec

# Iceberg type -> the data type Snowflake gives that column in an Iceberg table
SNOWFLAKE_TYPES: dict[str, str] = {
    "boolean": "BOOLEAN",
    "int": "NUMBER",
    "long": "NUMBER",
    "float": "FLOAT",
    "double": "FLOAT",
    "decimal": "NUMBER",
    "date": "DATE",
    "timestamp": "TIMESTAMP_NTZ",
    "timestamptz": "TIMESTAMP_LTZ",
    "string": "VARCHAR",
    "binary": "BINARY",
}


def snowflake_type(iceberg_type: str) -> str:
    return SNOWFLAKE_TYPES[iceberg_type.split("(")[0]]


@dataclass(frozen=True)
class RawColumn:
    name: str
    glue_type: str
    comment: str
    iceberg_type: str
    snowflake_type: str
    pii: bool


@dataclass(frozen=True)
class RawTable:
    name: str
    description: str
    parameters: dict[str, str]
    columns: tuple[RawColumn, ...]
    location: str
    iceberg: dict[str, Any]  # CreateIcebergTableInput: Location, Schema, PartitionSpec, Properties

    @property
    def pii_columns(self) -> tuple[RawColumn, ...]:
        return tuple(column for column in self.columns if column.pii)


def raw_tables(spec: Spec, warehouse_uri: str) -> list[RawTable]:
    """Every raw table (each source table, then the load log) with its Iceberg table under `warehouse_uri`."""
    database = spec.project.raw.schema_name
    tables = []
    for definition in glue_table_inputs(spec):
        table_input = definition["TableInput"]
        name = table_input["Name"]
        source = spec.table(name)
        pii = {column.name for column in source.columns if column.sensitivity == "pii"} if source else set()
        iceberg = {column: kind for column, kind, _required in iceberg_types(spec, name)}
        location = table_location(warehouse_uri, database, name)
        columns = tuple(
            RawColumn(
                name=column["Name"],
                glue_type=column["Type"],
                comment=column.get("Comment", ""),
                iceberg_type=iceberg[column["Name"]],
                snowflake_type=snowflake_type(iceberg[column["Name"]]),
                pii=column["Name"] in pii,
            )
            for column in table_input["StorageDescriptor"]["Columns"]
        )
        tables.append(
            RawTable(
                name=name,
                description=table_input.get("Description", ""),
                parameters=dict(table_input.get("Parameters", {})),
                columns=columns,
                location=location,
                iceberg=iceberg_create_input(spec, name, location),
            )
        )
    return tables


def pii_types(tables: list[RawTable]) -> list[str]:
    """The Snowflake data types of all personal-data columns, sorted: one masking policy each."""
    return sorted({column.snowflake_type for table in tables for column in table.pii_columns})
