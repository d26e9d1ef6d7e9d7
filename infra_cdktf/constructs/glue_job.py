"""The Glue job that copies the source tables into the raw Iceberg tables, with its network and encryption."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cdktn import AssetType, TerraformAsset
from cdktn_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktn_provider_aws.glue_connection import GlueConnection, GlueConnectionPhysicalConnectionRequirements
from cdktn_provider_aws.glue_job import GlueJob as GlueJobResource
from cdktn_provider_aws.glue_job import GlueJobCommand, GlueJobExecutionProperty
from cdktn_provider_aws.glue_security_configuration import (
    GlueSecurityConfiguration,
    GlueSecurityConfigurationEncryptionConfiguration,
    GlueSecurityConfigurationEncryptionConfigurationCloudwatchEncryption,
    GlueSecurityConfigurationEncryptionConfigurationJobBookmarksEncryption,
    GlueSecurityConfigurationEncryptionConfigurationS3Encryption,
)
from cdktn_provider_aws.s3_object import S3Object
from cdktn_provider_aws.security_group import SecurityGroup, SecurityGroupEgress, SecurityGroupIngress
from cdktn_provider_aws.security_group_rule import SecurityGroupRule
from constructs import Construct

from infra_cdktf.config import EnvironmentConfig

SCRIPT_PREFIX = "jobs"
PLAN_KEY = "plan/extract_plan.json"  # what the job reads instead of the spec (vaultgen.catalog.extract_plan)
POSTGRES_PORT = 5432


class GlueNetwork(Construct):
    """The job's security group: Glue workers talk to each other, to the database and to AWS over HTTPS."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        config: EnvironmentConfig,
        *,
        vpc_id: str,
        vpc_cidr: str,
        s3_prefix_list_id: str,
        database_security_group_id: str,
    ) -> None:
        super().__init__(scope, id_)
        https_out = [
            SecurityGroupEgress(description="S3 through the gateway endpoint", protocol="tcp", from_port=443, to_port=443, prefix_list_ids=[s3_prefix_list_id]),
            SecurityGroupEgress(description="Interface endpoints in the VPC", protocol="tcp", from_port=443, to_port=443, cidr_blocks=[vpc_cidr]),
        ]
        if config.network.nat_gateway:
            https_out.append(SecurityGroupEgress(description="AWS APIs through the NAT gateway", protocol="tcp", from_port=443, to_port=443, cidr_blocks=["0.0.0.0/0"]))
        self.security_group = SecurityGroup(
            self, "sg", name=f"{config.prefix}-glue-job", vpc_id=vpc_id, description="Glue job workers",
            ingress=[SecurityGroupIngress(description="Glue workers among themselves", protocol="tcp", from_port=0, to_port=65535, self_attribute=True)],
            egress=[
                SecurityGroupEgress(description="Glue workers among themselves", protocol="tcp", from_port=0, to_port=65535, self_attribute=True),
                SecurityGroupEgress(description="The source database", protocol="tcp", from_port=POSTGRES_PORT, to_port=POSTGRES_PORT, security_groups=[database_security_group_id]),
                *https_out,
            ],
        )
        SecurityGroupRule(
            self, "db-from-glue", type="ingress", description="PostgreSQL from the Glue job",
            security_group_id=database_security_group_id, source_security_group_id=self.security_group.id,
            protocol="tcp", from_port=POSTGRES_PORT, to_port=POSTGRES_PORT,
        )


def iceberg_conf(catalog: str, warehouse_uri: str) -> str:
    """The job's --conf value: an Iceberg catalog backed by Glue, as Glue 5.0 expects it (one argument)."""
    settings = {
        "spark.sql.extensions": "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
        f"spark.sql.catalog.{catalog}": "org.apache.iceberg.spark.SparkCatalog",
        f"spark.sql.catalog.{catalog}.catalog-impl": "org.apache.iceberg.aws.glue.GlueCatalog",
        f"spark.sql.catalog.{catalog}.io-impl": "org.apache.iceberg.aws.s3.S3FileIO",
        f"spark.sql.catalog.{catalog}.warehouse": warehouse_uri,
    }
    # Glue takes several settings in one --conf as "k=v --conf k=v".
    return " --conf ".join(f"{key}={value}" for key, value in settings.items())


@dataclass(frozen=True)
class JobFiles:
    """What the job needs from the repository; None/empty where it is not on disk (uploaded by hand then)."""

    script: Path | None
    modules: Path | None  # a folder, zipped and passed as --extra-py-files
    plan: Path  # the extract plan rendered from the spec


class GlueJob(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        config: EnvironmentConfig,
        *,
        files: JobFiles,
        scripts_bucket: str,
        role_arn: str,
        kms_key_arn: str,
        subnet_id: str,
        availability_zone: str,
        security_group_id: str,
        jdbc_url: str,
        secret_arn: str,
    ) -> None:
        super().__init__(scope, id_)
        job = config.glue
        name = f"{config.prefix}-load-raw"
        script_key = f"{SCRIPT_PREFIX}/{Path(job.script).name}"
        modules_key = f"{SCRIPT_PREFIX}/{Path(job.modules).name}.zip"
        # Files are copied into the synth output (assets/), so the output is self-contained.
        if files.script is not None:
            self._upload("script", files.script, AssetType.FILE, scripts_bucket, script_key, kms_key_arn)
        if files.modules is not None:
            self._upload("modules", files.modules, AssetType.ARCHIVE, scripts_bucket, modules_key, kms_key_arn)
        self._upload("plan", files.plan, AssetType.FILE, scripts_bucket, PLAN_KEY, kms_key_arn)
        self.connection = GlueConnection(
            self, "source", name=f"{config.prefix}-source", connection_type="JDBC",
            connection_properties={"JDBC_CONNECTION_URL": jdbc_url, "SECRET_ID": secret_arn, "JDBC_ENFORCE_SSL": "true"},
            physical_connection_requirements=GlueConnectionPhysicalConnectionRequirements(
                subnet_id=subnet_id, availability_zone=availability_zone, security_group_id_list=[security_group_id]
            ),
        )
        self.security_configuration = GlueSecurityConfiguration(
            self, "security", name=f"{config.prefix}-glue",
            encryption_configuration=GlueSecurityConfigurationEncryptionConfiguration(
                cloudwatch_encryption=GlueSecurityConfigurationEncryptionConfigurationCloudwatchEncryption(cloudwatch_encryption_mode="SSE-KMS", kms_key_arn=kms_key_arn),
                job_bookmarks_encryption=GlueSecurityConfigurationEncryptionConfigurationJobBookmarksEncryption(job_bookmarks_encryption_mode="CSE-KMS", kms_key_arn=kms_key_arn),
                s3_encryption=GlueSecurityConfigurationEncryptionConfigurationS3Encryption(s3_encryption_mode="SSE-KMS", kms_key_arn=kms_key_arn),
            ),
        )
        CloudwatchLogGroup(self, "logs", name=f"/aws-glue/jobs/{name}", retention_in_days=config.log_retention_days, kms_key_id=kms_key_arn)
        self.job = GlueJobResource(
            self, "job",
            name=name,
            description="Loads one raw batch: the spec's source tables from Aurora into the raw Iceberg tables",
            role_arn=role_arn,
            glue_version=job.glue_version,
            worker_type=job.worker_type,
            number_of_workers=job.number_of_workers,
            timeout=job.timeout_minutes,
            max_retries=job.max_retries,
            connections=[self.connection.name],
            security_configuration=self.security_configuration.name,
            execution_property=GlueJobExecutionProperty(max_concurrent_runs=1),
            command=GlueJobCommand(name="glueetl", python_version="3", script_location=f"s3://{scripts_bucket}/{script_key}"),
            default_arguments={
                "--job-language": "python",
                "--datalake-formats": "iceberg",
                "--enable-glue-datacatalog": "true",
                "--enable-metrics": "true",
                "--enable-continuous-cloudwatch-log": "true",
                "--continuous-log-logGroup": f"/aws-glue/jobs/{name}",
                "--TempDir": f"s3://{scripts_bucket}/tmp/",
                "--extra-py-files": f"s3://{scripts_bucket}/{modules_key}",
                "--conf": iceberg_conf(job.spark_catalog, config.warehouse_uri()),
                # glue/job.py's own arguments
                "--plan_uri": f"s3://{scripts_bucket}/{PLAN_KEY}",
                "--secret_id": secret_arn,
                "--catalog": job.spark_catalog,
                "--region": config.region,
            },
        )

    def _upload(self, id_: str, path: Path, kind: AssetType, bucket: str, key: str, kms_key_arn: str) -> S3Object:
        asset = TerraformAsset(self, f"{id_}-asset", path=str(path), type=kind)
        return S3Object(self, id_, bucket=bucket, key=key, source=asset.path, source_hash=asset.asset_hash, kms_key_id=kms_key_arn)
