"""Glue Data Catalog: one database per layer and the raw layer's Iceberg tables, one per spec source table."""

from __future__ import annotations

from cdktn_provider_aws.glue_catalog_database import GlueCatalogDatabase
from cdktn_provider_aws.glue_catalog_table import (
    GlueCatalogTable,
    GlueCatalogTableOpenTableFormatInput,
    GlueCatalogTableOpenTableFormatInputIcebergInput,
    GlueCatalogTableStorageDescriptor,
    GlueCatalogTableStorageDescriptorColumns,
)
from cdktn_provider_aws.glue_data_catalog_encryption_settings import (
    GlueDataCatalogEncryptionSettings,
    GlueDataCatalogEncryptionSettingsDataCatalogEncryptionSettings,
    GlueDataCatalogEncryptionSettingsDataCatalogEncryptionSettingsConnectionPasswordEncryption,
    GlueDataCatalogEncryptionSettingsDataCatalogEncryptionSettingsEncryptionAtRest,
)
from constructs import Construct

from infra_cdktf.config import EnvironmentConfig
from infra_cdktf.raw_tables import RawTable

# Layers with a Glue database; the raw layer's name comes from the spec (project.raw.schema).
DERIVED_LAYERS = ("staging", "raw_vault")
ICEBERG_FORMAT_VERSION = "2"


class Catalog(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        config: EnvironmentConfig,
        *,
        raw_layer: str,
        tables: list[RawTable],
        warehouse_bucket: str,
        kms_key_arn: str,
    ) -> None:
        super().__init__(scope, id_)
        GlueDataCatalogEncryptionSettings(
            self, "encryption",
            data_catalog_encryption_settings=GlueDataCatalogEncryptionSettingsDataCatalogEncryptionSettings(
                encryption_at_rest=GlueDataCatalogEncryptionSettingsDataCatalogEncryptionSettingsEncryptionAtRest(
                    catalog_encryption_mode="SSE-KMS", sse_aws_kms_key_id=kms_key_arn
                ),
                connection_password_encryption=GlueDataCatalogEncryptionSettingsDataCatalogEncryptionSettingsConnectionPasswordEncryption(
                    return_connection_password_encrypted=True, aws_kms_key_id=kms_key_arn
                ),
            ),
        )
        self.databases: dict[str, GlueCatalogDatabase] = {}
        for layer in (raw_layer, *DERIVED_LAYERS):
            name = config.glue_database_name(layer)
            self.databases[layer] = GlueCatalogDatabase(
                self, f"db-{layer}", name=name, location_uri=f"s3://{warehouse_bucket}/{name}/",
                description=f"{config.prefix}: {layer} layer",
            )
        self.raw_database = self.databases[raw_layer]
        self.raw_database_name = config.glue_database_name(raw_layer)
        self.tables = [self._table(table, warehouse_bucket) for table in tables]

    def _table(self, table: RawTable, warehouse_bucket: str) -> GlueCatalogTable:
        return GlueCatalogTable(
            self, f"raw-{table.name}",
            name=table.name,
            database_name=self.raw_database.name,
            description=table.description or None,
            table_type="EXTERNAL_TABLE",
            open_table_format_input=GlueCatalogTableOpenTableFormatInput(
                iceberg_input=GlueCatalogTableOpenTableFormatInputIcebergInput(
                    metadata_operation="CREATE", version=ICEBERG_FORMAT_VERSION
                )
            ),
            storage_descriptor=GlueCatalogTableStorageDescriptor(
                location=f"s3://{warehouse_bucket}/{self.raw_database_name}/{table.name}",
                columns=[
                    GlueCatalogTableStorageDescriptorColumns(name=column.name, type=column.glue_type, comment=column.comment or None)
                    for column in table.columns
                ],
            ),
        )
