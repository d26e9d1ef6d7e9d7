"""The two stacks of an environment: AWS and Snowflake, composed from the constructs, with remote state."""

from __future__ import annotations

from cdktn import S3Backend, TerraformOutput, TerraformStack
from cdktn_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from cdktn_provider_snowflake.provider import SnowflakeProvider
from constructs import Construct

from infra_cdktf.config import EnvironmentConfig
from infra_cdktf.constructs.athena import AthenaWorkgroupConstruct
from infra_cdktf.constructs.catalog import Catalog
from infra_cdktf.constructs.database import Database
from infra_cdktf.constructs.encryption import EncryptionKey
from infra_cdktf.constructs.glue_job import GlueJob, GlueNetwork, JobFiles
from infra_cdktf.constructs.iam import GlueJobRole, SnowflakeAccessRole
from infra_cdktf.constructs.network import Network
from infra_cdktf.constructs.orchestration import Orchestration, RunnerProjects
from infra_cdktf.constructs.snowflake import PiiMasking, SnowflakeDatabase, SnowflakeIceberg, SnowflakeRoles
from infra_cdktf.constructs.storage import Storage
from infra_cdktf.raw_tables import RawTable
from vaultgen.emit.dbt_project import BUILD_LOG_SCHEMA, LAYER_SCHEMAS
from vaultgen.emit.selectors import RunStep

# Resources the Snowflake provider still marks as preview; it refuses them unless they are listed.
SNOWFLAKE_PREVIEW_FEATURES = (
    "snowflake_catalog_integration_aws_glue_resource",
    "snowflake_external_volume_resource",
    "snowflake_iceberg_table_from_aws_glue_resource",
)


def stack_name(kind: str, config: EnvironmentConfig) -> str:
    return f"{config.project}-{kind}-{config.name}"


def remote_state(stack: TerraformStack, config: EnvironmentConfig, name: str) -> S3Backend:
    """S3 state, locked by a lock file next to it (Terraform/OpenTofu >= 1.10) or by a DynamoDB table.

    No `required_version` in the terraform block: checkov 3.3.30 cannot parse it in JSON; app.py declares the
    1.10 floor to CDK Terrain (targetVersions), which checks the lock-file feature against it at synth.
    """
    state = config.state
    locking = {"use_lockfile": True} if state.lock == "lockfile" else {"dynamodb_table": state.dynamodb_table}
    return S3Backend(stack, bucket=state.bucket, key=f"{name}/terraform.tfstate", region=state.region, encrypt=True, **locking)


class AwsStack(TerraformStack):
    def __init__(
        self, scope: Construct, config: EnvironmentConfig, *, raw_layer: str, tables: list[RawTable], job_files: JobFiles,
        run_steps: list[RunStep], runner_projects: RunnerProjects,
    ) -> None:
        name = stack_name("aws", config)
        super().__init__(scope, name)
        remote_state(self, config, name)
        AwsProvider(
            self, "aws", region=config.region, allowed_account_ids=[config.aws_account_id],
            default_tags=[AwsProviderDefaultTags(tags=config.all_tags)],
        )
        key = EncryptionKey(self, "kms", config)
        network = Network(self, "network", config, key.arn)
        storage = Storage(self, "storage", config, key.arn)
        database = Database(self, "database", config, vpc_id=network.vpc.id, subnet_ids=network.private_subnet_ids, kms_key_arn=key.arn)
        Catalog(
            self, "catalog", config, raw_layer=raw_layer, tables=tables, warehouse_uri=config.warehouse_uri(), kms_key_arn=key.arn
        )
        raw_database = raw_layer
        glue_network = GlueNetwork(
            self, "glue-network", config, vpc_id=network.vpc.id, vpc_cidr=network.cidr,
            s3_prefix_list_id=network.s3_endpoint.prefix_list_id, database_security_group_id=database.security_group.id,
        )
        connection_name = f"{config.prefix}-source"
        glue_role = GlueJobRole(
            self, "glue-role", config, scripts_bucket_arn=storage.scripts.arn, warehouse_bucket_arn=storage.warehouse.arn,
            raw_database=raw_database, secret_arn=database.secret_arn, kms_key_arn=key.arn, vpc_arn=network.vpc.arn,
            connection_name=connection_name,
        )
        self.glue_job = GlueJob(
            self, "glue-job", config, files=job_files, scripts_bucket=config.bucket_name("glue-scripts"),
            role_arn=glue_role.arn, kms_key_arn=key.arn,
            subnet_id=network.private_subnets[0].id, availability_zone=config.network.availability_zones[0],
            security_group_id=glue_network.security_group.id,
            jdbc_url=f"jdbc:postgresql://{database.endpoint}:{database.cluster.port}/{config.aurora.database_name}",
            secret_arn=database.secret_arn,
        )
        SnowflakeAccessRole(self, "snowflake-role", config, warehouse_bucket_arn=storage.warehouse.arn, raw_database=raw_database, kms_key_arn=key.arn)
        athena = AthenaWorkgroupConstruct(self, "athena", config, results_bucket=config.bucket_name("athena-results"), kms_key_arn=key.arn)
        self.orchestration = Orchestration(
            self, "orchestration", config, steps=run_steps, projects=runner_projects, glue_job_name=self.glue_job.job.name,
            scripts_bucket=storage.scripts.name, scripts_bucket_arn=storage.scripts.arn,
            warehouse_bucket=storage.warehouse.name, warehouse_bucket_arn=storage.warehouse.arn,
            results_bucket=storage.athena_results.name, results_bucket_arn=storage.athena_results.arn,
            workgroup=athena.workgroup.name, raw_database=raw_database,
            vault_databases=sorted({*LAYER_SCHEMAS.values(), BUILD_LOG_SCHEMA}), kms_key_arn=key.arn,
        )

        TerraformOutput(self, "aurora_endpoint", value=database.endpoint)
        TerraformOutput(self, "aurora_secret_arn", value=database.secret_arn)
        TerraformOutput(self, "glue_job_name", value=self.glue_job.job.name)
        TerraformOutput(self, "athena_workgroup", value=athena.workgroup.name)
        TerraformOutput(self, "warehouse_bucket", value=storage.warehouse.name)
        TerraformOutput(self, "run_state_machine_arn", value=self.orchestration.machine.arn)
        TerraformOutput(self, "run_failures_topic_arn", value=self.orchestration.topic.arn)


class SnowflakeStack(TerraformStack):
    def __init__(self, scope: Construct, config: EnvironmentConfig, *, raw_layer: str, tables: list[RawTable]) -> None:
        name = stack_name("snowflake", config)
        super().__init__(scope, name)
        remote_state(self, config, name)
        # Credentials come from SNOWFLAKE_USER / SNOWFLAKE_PRIVATE_KEY (or a profile), never from this file.
        SnowflakeProvider(
            self, "snowflake", organization_name=config.snowflake.organization_name,
            account_name=config.snowflake.account_name, role="ACCOUNTADMIN",
            preview_features_enabled=list(SNOWFLAKE_PREVIEW_FEATURES),
        )
        db = SnowflakeDatabase(self, "database", config, raw_schema=raw_layer)
        SnowflakeRoles(self, "roles", config, db=db)
        iceberg = SnowflakeIceberg(
            self, "iceberg", config, db=db, tables=tables, raw_glue_database=raw_layer,
            warehouse_uri=config.warehouse_uri(),
        )
        PiiMasking(self, "pii", config, db=db, tables=tables, iceberg_tables=iceberg.tables)
        # What the AWS role must trust (SnowflakeTrust in config.py), reported after the first apply.
        volume_location = iceberg.external_volume.describe_output.get(0).storage_locations.get(0).s3_storage_location.get(0)
        TerraformOutput(self, "external_volume_iam_user_arn", value=volume_location.storage_aws_iam_user_arn)
        TerraformOutput(self, "catalog_integration_external_id", value=iceberg.catalog_integration.describe_output.get(0).glue_aws_external_id)
        TerraformOutput(self, "catalog_integration_iam_user_arn", value=iceberg.catalog_integration.describe_output.get(0).glue_aws_iam_user_arn)
