"""What the infrastructure needs from the spec: the raw tables with Glue/Iceberg and Snowflake column types.

Type mapping is a table (logical type -> Iceberg column as Glue spells it -> how Snowflake shows that Iceberg
column), following `vaultgen.types` for the PostgreSQL side. Pure: takes a loaded Spec, returns plain data.
"""

from __future__ import annotations

from dataclasses import dataclass

from vaultgen.spec.model import Spec
from vaultgen.types import SourceType, parse_source_type


@dataclass(frozen=True)
class IcebergType:
    glue: str  # the Glue column type that Glue's Iceberg table creation turns into this Iceberg type
    snowflake: str  # the data type Snowflake gives such a column (masking policy signatures must match it)


# PostgreSQL numeric without precision has none; Iceberg decimals need one.
DEFAULT_DECIMAL = (38, 10)

ICEBERG_TYPES: dict[str, IcebergType] = {
    "int16": IcebergType("int", "NUMBER"),  # Iceberg has no 16-bit integer
    "int32": IcebergType("int", "NUMBER"),
    "int64": IcebergType("bigint", "NUMBER"),
    "float32": IcebergType("float", "FLOAT"),
    "float64": IcebergType("double", "FLOAT"),
    "decimal": IcebergType("decimal", "NUMBER"),
    "string": IcebergType("string", "VARCHAR"),
    "binary": IcebergType("binary", "BINARY"),
    "boolean": IcebergType("boolean", "BOOLEAN"),
    "date": IcebergType("date", "DATE"),
    # Glue's Hive-style types have no zone: the loader writes UTC instants, Iceberg stores them as timestamp.
    "timestamp": IcebergType("timestamp", "TIMESTAMP_NTZ"),
    "timestamptz": IcebergType("timestamp", "TIMESTAMP_NTZ"),
}

# The batch columns every raw row carries (see vaultgen.raw): load timestamp and batch id.
LOAD_TIMESTAMP_TYPE = SourceType("timestamp")
BATCH_ID_TYPE = SourceType("string")


@dataclass(frozen=True)
class RawColumn:
    name: str
    glue_type: str
    snowflake_type: str
    comment: str
    pii: bool


@dataclass(frozen=True)
class RawTable:
    source: str
    name: str
    description: str
    columns: tuple[RawColumn, ...]

    @property
    def pii_columns(self) -> tuple[RawColumn, ...]:
        return tuple(column for column in self.columns if column.pii)


def glue_type(source_type: SourceType) -> str:
    mapped = ICEBERG_TYPES[source_type.logical].glue
    if source_type.logical != "decimal":
        return mapped
    precision, scale = (source_type.length, source_type.scale or 0) if source_type.length else DEFAULT_DECIMAL
    return f"{mapped}({precision},{scale})"


def _column(name: str, source_type: SourceType, comment: str, pii: bool) -> RawColumn:
    return RawColumn(name, glue_type(source_type), ICEBERG_TYPES[source_type.logical].snowflake, comment, pii)


def raw_tables(spec: Spec) -> list[RawTable]:
    """One raw table per source table, in spec order, with the two batch columns appended."""
    raw = spec.project.raw
    tables = []
    for system, table in spec.tables():
        columns = [
            _column(c.name, parse_source_type(c.type), c.description, c.sensitivity == "pii") for c in table.columns
        ]
        columns.append(_column(raw.load_timestamp_column, LOAD_TIMESTAMP_TYPE, "when the batch was loaded", False))
        columns.append(_column(raw.batch_id_column, BATCH_ID_TYPE, "the batch this row arrived in", False))
        tables.append(RawTable(system.name, table.name, table.description, tuple(columns)))
    return tables


def pii_types(tables: list[RawTable]) -> list[str]:
    """The Snowflake data types of all personal-data columns, sorted: one masking policy each."""
    return sorted({column.snowflake_type for table in tables for column in table.pii_columns})
