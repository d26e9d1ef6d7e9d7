"""Snowflake: database and schemas, an auto-suspending warehouse, roles and grants, the Iceberg integration that
reads the raw layer from Glue and S3, and masking of the spec's personal-data columns through a tag.

Identifiers and masking-policy bodies are built as sqlglot trees and rendered for Snowflake, never as text.
"""

from __future__ import annotations

from cdktn_provider_snowflake.account_role import AccountRole
from cdktn_provider_snowflake.catalog_integration_aws_glue import CatalogIntegrationAwsGlue
from cdktn_provider_snowflake.database import Database
from cdktn_provider_snowflake.external_volume import ExternalVolume, ExternalVolumeStorageLocation
from cdktn_provider_snowflake.grant_account_role import GrantAccountRole
from cdktn_provider_snowflake.grant_privileges_to_account_role import (
    GrantPrivilegesToAccountRole,
    GrantPrivilegesToAccountRoleOnAccountObject,
    GrantPrivilegesToAccountRoleOnSchema,
    GrantPrivilegesToAccountRoleOnSchemaObject,
    GrantPrivilegesToAccountRoleOnSchemaObjectAll,
    GrantPrivilegesToAccountRoleOnSchemaObjectFuture,
)
from cdktn_provider_snowflake.iceberg_table_from_aws_glue import IcebergTableFromAwsGlue
from cdktn_provider_snowflake.masking_policy import MaskingPolicy, MaskingPolicyArgument
from cdktn_provider_snowflake.schema import Schema
from cdktn_provider_snowflake.tag import Tag
from cdktn_provider_snowflake.tag_association import TagAssociation
from cdktn_provider_snowflake.warehouse import Warehouse
from constructs import Construct
from sqlglot import exp

from infra_cdktf.config import EnvironmentConfig
from infra_cdktf.raw_tables import RawTable, pii_types

GOVERNANCE_SCHEMA = "GOVERNANCE"
DERIVED_SCHEMAS = ("STAGING", "RAW_VAULT")
PII_TAG = "PII"
PII_TAG_VALUE = "pii"
MASKED_TEXT = "***MASKED***"
POLICY_ARGUMENT = "val"
SYSTEM_PARENT_ROLE = "SYSADMIN"


def column_identifier(database: str, schema: str, table: str, column: str) -> str:
    """`"DB"."RAW"."CUSTOMERS"."contact_name"`: Iceberg columns from Glue keep their lower-case names."""
    return exp.Column(
        this=exp.to_identifier(column, quoted=True),
        table=exp.to_identifier(table, quoted=True),
        db=exp.to_identifier(schema, quoted=True),
        catalog=exp.to_identifier(database, quoted=True),
    ).sql(dialect="snowflake")


def masking_body(snowflake_type: str, unmasked_roles: list[str]) -> str:
    """CASE WHEN the session holds an unmasked role THEN the value ELSE a masked value END."""
    allowed = exp.or_(*(exp.func("IS_ROLE_IN_SESSION", exp.Literal.string(role)) for role in unmasked_roles))
    masked = exp.Literal.string(MASKED_TEXT) if snowflake_type == "VARCHAR" else exp.null()
    return exp.Case().when(allowed, exp.column(POLICY_ARGUMENT)).else_(masked).sql(dialect="snowflake")


class SnowflakeDatabase(Construct):
    """Database, the layer schemas, a governance schema for tags and policies, and the warehouse."""

    def __init__(self, scope: Construct, id_: str, config: EnvironmentConfig, *, raw_schema: str) -> None:
        super().__init__(scope, id_)
        snowflake = config.snowflake
        self.name = config.snowflake_database
        self.database = Database(
            self, "database", name=self.name, comment=f"{config.project} {config.name}: Data Vault",
            data_retention_time_in_days=snowflake.data_retention_days, drop_public_schema_on_creation=True,
        )
        self.raw_schema_name = raw_schema.upper()
        self.schemas: dict[str, Schema] = {
            name: Schema(self, f"schema-{name.lower()}", database=self.database.name, name=name, with_managed_access="true")
            for name in (self.raw_schema_name, *DERIVED_SCHEMAS, GOVERNANCE_SCHEMA)
        }
        self.warehouse = Warehouse(
            self, "warehouse", name=f"{self.name}_WH", warehouse_size=snowflake.warehouse_size,
            auto_suspend=snowflake.auto_suspend_seconds, auto_resume="true", initially_suspended=True,
            comment="Transforms and queries; suspends itself when idle",
        )


class SnowflakeRoles(Construct):
    """loader (raw), transformer (raw -> staging -> raw_vault) and reader (raw_vault), all under SYSADMIN."""

    def __init__(self, scope: Construct, id_: str, config: EnvironmentConfig, *, db: SnowflakeDatabase) -> None:
        super().__init__(scope, id_)
        self._db = db
        self.roles = {
            purpose: AccountRole(self, purpose, name=config.snowflake_role(purpose), comment=f"{config.prefix}: {purpose}")
            for purpose in ("loader", "transformer", "reader")
        }
        for purpose, role in self.roles.items():
            GrantAccountRole(self, f"{purpose}-to-sysadmin", role_name=role.name, parent_role_name=SYSTEM_PARENT_ROLE)
            self._account_object(purpose, "database", "DATABASE", db.database.name, ["USAGE"])
            self._account_object(purpose, "warehouse", "WAREHOUSE", db.warehouse.name, ["USAGE"])
        raw, staging, vault = db.raw_schema_name, *DERIVED_SCHEMAS
        self._schema("loader", raw, ["USAGE", "CREATE ICEBERG TABLE"])
        self._objects("loader", raw, "ICEBERG TABLES", ["SELECT"])
        self._schema("transformer", raw, ["USAGE"])
        self._objects("transformer", raw, "ICEBERG TABLES", ["SELECT"])
        for schema in (staging, vault):
            self._schema("transformer", schema, ["USAGE", "CREATE TABLE", "CREATE VIEW"])
        self._schema("reader", vault, ["USAGE"])
        for plural in ("TABLES", "VIEWS"):
            self._objects("reader", vault, plural, ["SELECT"])

    def _account_object(self, purpose: str, id_: str, object_type: str, name: str, privileges: list[str]) -> None:
        GrantPrivilegesToAccountRole(
            self, f"{purpose}-{id_}", account_role_name=self.roles[purpose].name, privileges=privileges,
            on_account_object=GrantPrivilegesToAccountRoleOnAccountObject(object_type=object_type, object_name=name),
        )

    def _schema(self, purpose: str, schema: str, privileges: list[str]) -> None:
        GrantPrivilegesToAccountRole(
            self, f"{purpose}-{schema.lower()}-schema", account_role_name=self.roles[purpose].name, privileges=privileges,
            on_schema=GrantPrivilegesToAccountRoleOnSchema(schema_name=self._db.schemas[schema].fully_qualified_name),
        )

    def _objects(self, purpose: str, schema: str, plural: str, privileges: list[str]) -> None:
        in_schema = self._db.schemas[schema].fully_qualified_name
        slug = f"{purpose}-{schema.lower()}-{plural.lower().replace(' ', '-')}"
        GrantPrivilegesToAccountRole(
            self, f"{slug}-all", account_role_name=self.roles[purpose].name, privileges=privileges,
            on_schema_object=GrantPrivilegesToAccountRoleOnSchemaObject(
                all=GrantPrivilegesToAccountRoleOnSchemaObjectAll(object_type_plural=plural, in_schema=in_schema)
            ),
        )
        GrantPrivilegesToAccountRole(
            self, f"{slug}-future", account_role_name=self.roles[purpose].name, privileges=privileges,
            on_schema_object=GrantPrivilegesToAccountRoleOnSchemaObject(
                future=GrantPrivilegesToAccountRoleOnSchemaObjectFuture(object_type_plural=plural, in_schema=in_schema)
            ),
        )


class SnowflakeIceberg(Construct):
    """External volume (S3) + Glue catalog integration, and one Iceberg table per raw Glue table."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        config: EnvironmentConfig,
        *,
        db: SnowflakeDatabase,
        tables: list[RawTable],
        raw_glue_database: str,
        warehouse_uri: str,
    ) -> None:
        super().__init__(scope, id_)
        role_arn = config.role_arn(config.snowflake_access_role_name)
        self.external_volume = ExternalVolume(
            self, "external-volume", name=f"{db.name}_RAW_VOLUME", allow_writes="false",
            comment="The raw Iceberg tables in S3, read through our IAM role",
            storage_location=[
                ExternalVolumeStorageLocation(
                    storage_location_name=f"{config.prefix}-warehouse",
                    storage_provider="S3",
                    storage_base_url=f"{warehouse_uri}/{raw_glue_database}.db/",
                    storage_aws_role_arn=role_arn,
                    storage_aws_external_id=config.snowflake.external_volume_external_id,
                )
            ],
        )
        self.catalog_integration = CatalogIntegrationAwsGlue(
            self, "glue-catalog", name=f"{db.name}_GLUE", enabled=True, glue_aws_role_arn=role_arn,
            glue_catalog_id=config.aws_account_id, glue_region=config.region, catalog_namespace=raw_glue_database,
            refresh_interval_seconds=60, comment="The raw layer's Glue database",
        )
        self.tables: dict[str, IcebergTableFromAwsGlue] = {
            table.name: IcebergTableFromAwsGlue(
                self, f"raw-{table.name}",
                database=db.database.name,
                schema=db.schemas[db.raw_schema_name].name,
                name=table.name.upper(),
                catalog=self.catalog_integration.name,
                catalog_namespace=raw_glue_database,
                catalog_table_name=table.name,
                external_volume=self.external_volume.name,
                auto_refresh="true",
                comment=table.description or None,
            )
            for table in tables
        }


class PiiMasking(Construct):
    """A PII tag carrying one masking policy per data type; every spec column marked pii is tagged."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        config: EnvironmentConfig,
        *,
        db: SnowflakeDatabase,
        tables: list[RawTable],
        iceberg_tables: dict[str, IcebergTableFromAwsGlue],
    ) -> None:
        super().__init__(scope, id_)
        unmasked = [config.snowflake_role(purpose) for purpose in config.snowflake.unmasked_roles]
        governance = db.schemas[GOVERNANCE_SCHEMA]
        self.policies = {
            data_type: MaskingPolicy(
                self, f"mask-{data_type.lower()}",
                database=db.database.name, schema=governance.name, name=f"MASK_PII_{data_type}",
                argument=[MaskingPolicyArgument(name=POLICY_ARGUMENT, type=data_type)],
                return_data_type=data_type,
                body=masking_body(data_type, unmasked),
                comment=f"Masks personal data of type {data_type} for all but {', '.join(unmasked)}",
            )
            for data_type in pii_types(tables)
        }
        self.tag = Tag(
            self, "pii-tag", database=db.database.name, schema=governance.name, name=PII_TAG,
            allowed_values=[PII_TAG_VALUE], comment="Personal data: masked by data type",
            masking_policies=[policy.fully_qualified_name for policy in self.policies.values()],
        )
        self.associations = {
            table.name: TagAssociation(
                self, f"pii-{table.name}",
                object_type="COLUMN",
                object_identifiers=[
                    column_identifier(db.name, db.raw_schema_name, table.name.upper(), column.name)
                    for column in table.pii_columns
                ],
                tag_id=self.tag.fully_qualified_name,
                tag_value=PII_TAG_VALUE,
                depends_on=[iceberg_tables[table.name]],
            )
            for table in tables
            if table.pii_columns
        }
