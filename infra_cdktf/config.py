"""One configuration for every environment: frozen dataclasses, a shared base and small per-environment overrides.

Nothing here reads the environment or the network; the stacks receive an `EnvironmentConfig` and the spec.
Secrets never appear here: Aurora's password lives in Secrets Manager (managed by RDS), the Snowflake
provider reads its credentials from SNOWFLAKE_* environment variables at plan time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal

ENVIRONMENT_NAMES = ("dev", "prod")
_ACCOUNT_ID = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class NetworkConfig:
    cidr: str = "10.40.0.0/16"
    # One private subnet per zone, carved out of `cidr` in order (/20 each).
    availability_zones: tuple[str, ...] = ("eu-central-1a", "eu-central-1b")
    # Cost toggles. Both off: no idle cost, and the private subnets reach only S3 (gateway endpoint, free) and
    # the database; the Glue job then cannot reach Secrets Manager or CloudWatch Logs. Turn one on to run it.
    nat_gateway: bool = False  # one NAT gateway (≈ 32 USD/month + traffic) in a small public subnet
    interface_endpoints: bool = False  # one endpoint per service and zone (≈ 7 USD/month each)
    endpoint_services: tuple[str, ...] = ("secretsmanager", "logs", "glue", "kms", "sts")


@dataclass(frozen=True)
class AuroraConfig:
    engine_version: str = "16.6"
    database_name: str = "northwind"
    master_username: str = "vaultgen_admin"
    min_capacity: float = 0.0  # 0 ACU = auto-pause when idle
    max_capacity: float = 2.0
    seconds_until_auto_pause: int = 300
    backup_retention_days: int = 7
    deletion_protection: bool = True
    instances: int = 1


@dataclass(frozen=True)
class GlueJobConfig:
    # The job script, relative to the repository root; uploaded to the scripts bucket by Terraform.
    script: str = "glue/job.py"
    # Shipped beside it as --extra-py-files: the folder holding the job's own package (raw_extract).
    modules: str = "glue"
    spark_catalog: str = "glue_catalog"  # the Spark catalog name the job writes through (job.py --catalog)
    glue_version: str = "5.0"
    worker_type: str = "G.1X"
    number_of_workers: int = 2
    timeout_minutes: int = 60
    max_retries: int = 0


@dataclass(frozen=True)
class OrchestrationConfig:
    """The unattended run: a Step Functions state machine (extract -> dbt waves on Athena -> Snowflake refresh)."""

    schedule: str = "cron(0 5 * * ? *)"  # EventBridge, UTC: daily at 05:00
    schedule_enabled: bool = True
    # CodeBuild runs dbt: a managed image, no container to maintain (README: "Orchestration")
    runner_image: str = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
    runner_compute: str = "BUILD_GENERAL1_SMALL"
    build_timeout_minutes: int = 60  # one dbt wave
    run_timeout_minutes: int = 360  # the whole run
    task_retries: int = 2  # on throttling and capacity errors only; a failed build or test stops the run
    # pip pins of each runner, as the project's own extras pin them
    athena_packages: tuple[str, ...] = ("dbt-core==1.11.8", "dbt-athena-community==1.11.1")
    snowflake_packages: tuple[str, ...] = ("dbt-core==1.11.8", "dbt-snowflake==1.12.4")
    # Secrets Manager secret (created by the operator) with the Snowflake transformer's user and password
    snowflake_secret_name: str = "vaultgen/snowflake/transformer"
    notify_emails: tuple[str, ...] = ()


@dataclass(frozen=True)
class SnowflakeTrust:
    """What Snowflake's side of the integrations reports after the first Snowflake apply (see README)."""

    iam_user_arn: str | None = None  # DESC EXTERNAL VOLUME / DESC CATALOG INTEGRATION: STORAGE_AWS_IAM_USER_ARN
    external_ids: tuple[str, ...] = ()  # the external volume's id (ours, below) plus the catalog integration's


@dataclass(frozen=True)
class SnowflakeConfig:
    organization_name: str = "VAULTGEN_ORG"
    account_name: str = "VAULTGEN"
    warehouse_size: str = "XSMALL"
    auto_suspend_seconds: int = 60
    # The external id we give the external volume; Snowflake must present it when it assumes our role.
    external_volume_external_id: str = "vaultgen-external-volume"
    # Roles that see personal data unmasked (the transformer hashes it into hash keys and hashdiffs).
    unmasked_roles: tuple[str, ...] = ("loader", "transformer")
    data_retention_days: int = 1
    trust: SnowflakeTrust = SnowflakeTrust()


@dataclass(frozen=True)
class StateConfig:
    """Where Terraform keeps state: S3, locked by an S3 lock file (Terraform ≥ 1.10) or a DynamoDB table."""

    bucket: str = "vaultgen-terraform-state"
    region: str = "eu-central-1"
    lock: Literal["lockfile", "dynamodb"] = "lockfile"
    dynamodb_table: str = "vaultgen-terraform-locks"


@dataclass(frozen=True)
class EnvironmentConfig:
    name: str
    aws_account_id: str
    project: str = "vaultgen"
    region: str = "eu-central-1"
    log_retention_days: int = 365
    # Non-current object versions expire after this many days; incomplete uploads after one week.
    noncurrent_version_days: int = 90
    network: NetworkConfig = NetworkConfig()
    aurora: AuroraConfig = AuroraConfig()
    glue: GlueJobConfig = GlueJobConfig()
    snowflake: SnowflakeConfig = SnowflakeConfig()
    orchestration: OrchestrationConfig = OrchestrationConfig()
    state: StateConfig = StateConfig()
    tags: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.name not in ENVIRONMENT_NAMES:
            raise ValueError(f"unknown environment '{self.name}': use one of {', '.join(ENVIRONMENT_NAMES)}")
        if not _ACCOUNT_ID.fullmatch(self.aws_account_id):
            raise ValueError(f"aws_account_id '{self.aws_account_id}' must be 12 digits")
        if not 0 <= self.aurora.min_capacity <= self.aurora.max_capacity:
            raise ValueError("aurora: need 0 <= min_capacity <= max_capacity")

    @property
    def prefix(self) -> str:
        """Prefix of AWS resource names: `vaultgen-dev`."""
        return f"{self.project}-{self.name}"

    def bucket_name(self, purpose: str) -> str:
        """S3 names are global: the account id keeps them unique."""
        return f"{self.prefix}-{purpose}-{self.aws_account_id}"

    def warehouse_uri(self) -> str:
        """The Iceberg warehouse: tables live at <uri>/<database>.db/<table> (Iceberg's Glue catalog layout)."""
        return f"s3://{self.bucket_name('warehouse')}"

    @property
    def snowflake_database(self) -> str:
        return f"{self.project}_{self.name}".replace("-", "_").upper()

    def snowflake_role(self, purpose: str) -> str:
        return f"{self.snowflake_database}_{purpose}".upper()

    def role_arn(self, name: str) -> str:
        return f"arn:aws:iam::{self.aws_account_id}:role/{name}"

    @property
    def snowflake_access_role_name(self) -> str:
        return f"{self.prefix}-snowflake-access"

    @property
    def all_tags(self) -> dict[str, str]:
        return {"project": self.project, "environment": self.name, "managed-by": "cdk-terrain", **dict(self.tags)}


ENVIRONMENTS: dict[str, EnvironmentConfig] = {
    "dev": EnvironmentConfig(
        name="dev",
        aws_account_id="111111111111",
        network=NetworkConfig(cidr="10.40.0.0/16"),
        aurora=AuroraConfig(max_capacity=2.0, backup_retention_days=7),
        glue=GlueJobConfig(number_of_workers=2),
        snowflake=SnowflakeConfig(
            warehouse_size="XSMALL",
            auto_suspend_seconds=60,
            # Replace with the outputs of the first Snowflake apply (README: "Snowflake trust").
            trust=SnowflakeTrust(iam_user_arn="arn:aws:iam::999999999999:user/snowflake-dev", external_ids=("DEV_GLUE_EXTERNAL_ID",)),
        ),
    ),
    "prod": EnvironmentConfig(
        name="prod",
        aws_account_id="222222222222",
        network=NetworkConfig(cidr="10.41.0.0/16", interface_endpoints=True),
        aurora=AuroraConfig(max_capacity=8.0, backup_retention_days=14, instances=2),
        glue=GlueJobConfig(worker_type="G.2X", number_of_workers=4, timeout_minutes=120, max_retries=1),
        orchestration=OrchestrationConfig(runner_compute="BUILD_GENERAL1_MEDIUM", build_timeout_minutes=120, run_timeout_minutes=600),
        snowflake=SnowflakeConfig(
            warehouse_size="SMALL",
            auto_suspend_seconds=120,
            data_retention_days=7,
            trust=SnowflakeTrust(iam_user_arn="arn:aws:iam::999999999999:user/snowflake-prod", external_ids=("PROD_GLUE_EXTERNAL_ID",)),
        ),
    ),
}


def load_config(env: str, **overrides) -> EnvironmentConfig:
    """The configuration of one environment; keyword overrides replace top-level fields (tests, one-offs)."""
    if env not in ENVIRONMENTS:
        raise ValueError(f"unknown environment '{env}': use one of {', '.join(ENVIRONMENT_NAMES)}")
    return replace(ENVIRONMENTS[env], **overrides)
