"""The AWS Glue Data Catalog and Iceberg: not a dbt target, the catalog the targets with `glue_raw_catalog` or
`glue_vault_catalog` read. Its type table and limits, used by vaultgen.catalog.glue and vaultgen.catalog.glue_vault."""

from __future__ import annotations

from dataclasses import dataclass

# Glue's limits (CommentString, DescriptionString)
MAX_COMMENT = 255
MAX_DESCRIPTION = 2048


@dataclass(frozen=True)
class CatalogType:
    glue: str  # the column type in the Glue Data Catalog (Hive spelling, as Athena shows it)
    iceberg: str  # the Iceberg type
    note: str = ""  # added to the column comment where the mapping loses something


# logical type (vaultgen.dialects.logical) -> Glue and Iceberg types. Iceberg has no 8- or 16-bit integers.
CATALOG_TYPES: dict[str, CatalogType] = {
    "int16": CatalogType("int", "int", "smallint widened to int (Iceberg has no smallint)"),
    "int32": CatalogType("int", "int"),
    "int64": CatalogType("bigint", "long"),
    "float32": CatalogType("float", "float"),
    "float64": CatalogType("double", "double"),
    "decimal": CatalogType("decimal", "decimal"),
    "string": CatalogType("string", "string"),
    "binary": CatalogType("binary", "binary"),
    "boolean": CatalogType("boolean", "boolean"),
    "date": CatalogType("date", "date"),
    "timestamp": CatalogType("timestamp", "timestamp"),
    "timestamptz": CatalogType("timestamp", "timestamptz", "timestamp with time zone, stored as a UTC instant"),
}
GLUE_TYPES = {logical: mapped.glue for logical, mapped in CATALOG_TYPES.items()}
ICEBERG_TYPES = {logical: mapped.iceberg for logical, mapped in CATALOG_TYPES.items()}
