"""Glue Data Catalog: one database per layer and the raw layer's Iceberg tables (each spec source table and the
load log), defined by `vaultgen.catalog.glue` through `infra_cdktf.raw_tables`."""

from __future__ import annotations

from cdktn_provider_aws.glue_catalog_database import GlueCatalogDatabase
from cdktn_provider_aws.glue_catalog_table import (
    GlueCatalogTable,
    GlueCatalogTableOpenTableFormatInput,
    GlueCatalogTableOpenTableFormatInputIcebergInput,
    GlueCatalogTableOpenTableFormatInputIcebergInputIcebergTableInput,
    GlueCatalogTableOpenTableFormatInputIcebergInputIcebergTableInputPartitionSpec,
    GlueCatalogTableOpenTableFormatInputIcebergInputIcebergTableInputPartitionSpecFields,
    GlueCatalogTableOpenTableFormatInputIcebergInputIcebergTableInputSchema,
    GlueCatalogTableOpenTableFormatInputIcebergInputIcebergTableInputSchemaFields,
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
        warehouse_uri: str,
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
        # One AWS account per environment (the provider's allowed_account_ids): database names are the layers'.
        for layer in (raw_layer, *DERIVED_LAYERS):
            self.databases[layer] = GlueCatalogDatabase(
                self, f"db-{layer}", name=layer, location_uri=f"{warehouse_uri}/{layer}.db",
                description=f"{config.prefix}: {layer} layer",
            )
        self.raw_database = self.databases[raw_layer]
        self.tables = [self._table(table) for table in tables]

    def _table(self, table: RawTable) -> GlueCatalogTable:
        iceberg = table.iceberg
        schema, partition = iceberg["Schema"], iceberg["PartitionSpec"]
        return GlueCatalogTable(
            self, f"raw-{table.name}",
            name=table.name,
            database_name=self.raw_database.name,
            description=table.description or None,
            table_type="EXTERNAL_TABLE",
            parameters=table.parameters,
            open_table_format_input=GlueCatalogTableOpenTableFormatInput(
                iceberg_input=GlueCatalogTableOpenTableFormatInputIcebergInput(
                    metadata_operation="CREATE",
                    version=ICEBERG_FORMAT_VERSION,
                    # The Iceberg schema and day partitioning Glue writes into the first metadata file: the same
                    # as `vaultgen glue sync` (load timestamp as timestamptz, partitioned by its day).
                    iceberg_table_input=GlueCatalogTableOpenTableFormatInputIcebergInputIcebergTableInput(
                        location=iceberg["Location"],
                        properties=iceberg["Properties"],
                        schema=GlueCatalogTableOpenTableFormatInputIcebergInputIcebergTableInputSchema(
                            schema_id=schema["SchemaId"],
                            type=schema["Type"],
                            fields=[
                                GlueCatalogTableOpenTableFormatInputIcebergInputIcebergTableInputSchemaFields(
                                    id=field["Id"], name=field["Name"], type=field["Type"], required=field["Required"]
                                )
                                for field in schema["Fields"]
                            ],
                        ),
                        partition_spec=GlueCatalogTableOpenTableFormatInputIcebergInputIcebergTableInputPartitionSpec(
                            spec_id=partition["SpecId"],
                            fields=[
                                GlueCatalogTableOpenTableFormatInputIcebergInputIcebergTableInputPartitionSpecFields(
                                    name=field["Name"], source_id=field["SourceId"], transform=field["Transform"], field_id=field["FieldId"]
                                )
                                for field in partition["Fields"]
                            ],
                        ),
                    ),
                )
            ),
            storage_descriptor=GlueCatalogTableStorageDescriptor(
                location=table.location,
                columns=[
                    GlueCatalogTableStorageDescriptorColumns(name=column.name, type=column.glue_type, comment=column.comment or None)
                    for column in table.columns
                ],
            ),
        )
