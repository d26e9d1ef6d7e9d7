"""The unattended run: a Step Functions state machine (Glue extract -> dbt waves on Athena -> Snowflake refresh),
the two CodeBuild dbt runners it starts, an EventBridge schedule and on-demand rule, and SNS failure notices.

Why CodeBuild runs dbt, not ECS Fargate: dbt is a short batch CLI. CodeBuild runs it on a managed image with
`startBuild.sync` (Step Functions waits for the build and gets its status), per-build timeouts, CloudWatch logs
and no idle cost, with nothing else to own: Fargate would add a container image and its registry and patching,
a cluster, a task definition, and subnets with a NAT gateway or endpoints to reach Athena and Snowflake.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from cdktn import AssetType, TerraformAsset
from cdktn_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktn_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktn_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktn_provider_aws.codebuild_project import (
    CodebuildProject, CodebuildProjectArtifacts, CodebuildProjectEnvironment, CodebuildProjectEnvironmentEnvironmentVariable,
    CodebuildProjectLogsConfig, CodebuildProjectLogsConfigCloudwatchLogs, CodebuildProjectSource,
)
from cdktn_provider_aws.s3_object import S3Object
from cdktn_provider_aws.sfn_state_machine import SfnStateMachine, SfnStateMachineLoggingConfiguration, SfnStateMachineTracingConfiguration
from cdktn_provider_aws.sns_topic import SnsTopic
from cdktn_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktn_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from infra_cdktf.config import EnvironmentConfig
from infra_cdktf.constructs.iam import Role, glue_arns
from infra_cdktf.orchestration import Wiring, buildspec, definition_json
from infra_cdktf.policy import assume_role_document, document, statement
from vaultgen.emit.selectors import RunStep

RUNNER_PREFIX = "runner"  # s3://<scripts bucket>/runner/<target>.zip: the generated project with its profile
VAULT_DATA_PREFIX = "vault"  # s3://<warehouse>/vault/: where the Athena project writes (its profile's s3_data_dir)
CODEBUILD_SYNC_RULE = "StepFunctionsGetEventsForCodeBuildStartBuildRule"  # the rule Step Functions manages for .sync
# Step Functions' log delivery and X-Ray calls cannot be scoped to a resource (AWS documents "*")
LOG_DELIVERY = ("logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups", "logs:DescribeResourcePolicies",
                "logs:GetLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:UpdateLogDelivery")
XRAY = ("xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments")


@dataclass(frozen=True)
class RunnerProjects:
    """The generated dbt projects the runners build (folders rendered from the spec at synth)."""

    athena: Path
    snowflake: Path


class Orchestration(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        config: EnvironmentConfig,
        *,
        steps: list[RunStep],
        projects: RunnerProjects,
        glue_job_name: str,
        scripts_bucket: str,
        scripts_bucket_arn: str,
        warehouse_bucket: str,
        warehouse_bucket_arn: str,
        results_bucket: str,
        results_bucket_arn: str,
        workgroup: str,
        raw_database: str,
        vault_databases: list[str],
        kms_key_arn: str,
    ) -> None:
        super().__init__(scope, id_)
        self.config = config
        self.kms_key_arn = kms_key_arn
        run = config.orchestration
        account = f"{config.region}:{config.aws_account_id}"
        self.topic = SnsTopic(self, "failures", name=f"{config.prefix}-run-failures", kms_master_key_id=kms_key_arn)
        for index, email in enumerate(run.notify_emails):
            SnsTopicSubscription(self, f"email-{index}", topic_arn=self.topic.arn, protocol="email", endpoint=email)

        # the dbt runners: one CodeBuild project per warehouse, each with only its own permissions
        keys = {target: f"{RUNNER_PREFIX}/{target}.zip" for target in ("athena", "snowflake")}
        uploads = {target: self._upload(target, path, scripts_bucket, keys[target]) for target, path in
                   (("athena", projects.athena), ("snowflake", projects.snowflake))}
        athena_statements = [
            statement("RunAthenaQueries", ["athena:GetQueryExecution", "athena:GetQueryResults", "athena:GetWorkGroup", "athena:StartQueryExecution",
                                           "athena:StopQueryExecution"], [f"arn:aws:athena:{account}:workgroup/{workgroup}"]),
            statement("ReadDataCatalog", ["athena:GetDataCatalog"], [f"arn:aws:athena:{account}:datacatalog/AwsDataCatalog"]),
            statement("ReadRawCatalog", ["glue:GetDatabase", "glue:GetDatabases", "glue:GetPartitions", "glue:GetTable", "glue:GetTables"],
                      glue_arns(config, raw_database)),
            statement("BuildVaultCatalog", ["glue:BatchCreatePartition", "glue:BatchDeletePartition", "glue:CreateDatabase", "glue:CreatePartition",
                                            "glue:CreateTable", "glue:DeletePartition", "glue:DeleteTable", "glue:GetDatabase", "glue:GetDatabases",
                                            "glue:GetPartition", "glue:GetPartitions", "glue:GetTable", "glue:GetTables", "glue:UpdatePartition",
                                            "glue:UpdateTable"],
                      sorted({arn for database in vault_databases for arn in glue_arns(config, database)})),
            statement("ReadRawData", ["s3:GetObject"], [f"{warehouse_bucket_arn}/{raw_database}.db/*"]),
            statement("WriteVaultData", ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
                      [f"{warehouse_bucket_arn}/{VAULT_DATA_PREFIX}/*"]),
            statement("WriteQueryResults", ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"], [f"{results_bucket_arn}/results/*"]),
            statement("ListBuckets", ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"], [warehouse_bucket_arn, results_bucket_arn]),
        ]
        self.athena_runner = self._runner(
            "athena-runner", "athena", uploads["athena"], scripts_bucket, scripts_bucket_arn, keys["athena"], athena_statements,
            {"AWS_REGION": config.region, "VAULTGEN_ATHENA_WORKGROUP": workgroup, "VAULTGEN_ATHENA_S3_STAGING_DIR": f"s3://{results_bucket}/results/",
             "VAULTGEN_ATHENA_S3_DATA_DIR": f"s3://{warehouse_bucket}/{VAULT_DATA_PREFIX}/"}, {},
        )
        secret_arn = f"arn:aws:secretsmanager:{account}:secret:{run.snowflake_secret_name}-*"
        self.snowflake_runner = self._runner(
            "snowflake-runner", "snowflake", uploads["snowflake"], scripts_bucket, scripts_bucket_arn, keys["snowflake"],
            [statement("ReadSnowflakeSecret", ["secretsmanager:GetSecretValue"], [secret_arn])],
            {"SNOWFLAKE_ACCOUNT": f"{config.snowflake.organization_name}-{config.snowflake.account_name}",
             "SNOWFLAKE_ROLE": config.snowflake_role("transformer"), "SNOWFLAKE_DATABASE": config.snowflake_database,
             "SNOWFLAKE_WAREHOUSE": f"{config.snowflake_database}_WH"},
            {"SNOWFLAKE_USER": f"{run.snowflake_secret_name}:user", "SNOWFLAKE_PASSWORD": f"{run.snowflake_secret_name}:password"},
        )

        # the state machine
        machine_name = f"{config.prefix}-run"
        machine_arn = f"arn:aws:states:{account}:stateMachine:{machine_name}"
        codebuild_arns = [self.athena_runner.arn, self.snowflake_runner.arn]
        machine_role = Role(self, "machine-role", name=f"{config.prefix}-run", trust=assume_role_document(
            {"Service": "states.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": config.aws_account_id}}), statements=[
            statement("RunExtractJob", ["glue:BatchStopJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:StartJobRun"],
                      [f"arn:aws:glue:{account}:job/{glue_job_name}"]),
            statement("RunDbtBuilds", ["codebuild:BatchGetBuilds", "codebuild:StartBuild", "codebuild:StopBuild"], codebuild_arns),
            statement("WatchDbtBuilds", ["events:DescribeRule", "events:PutRule", "events:PutTargets"],
                      [f"arn:aws:events:{account}:rule/{CODEBUILD_SYNC_RULE}"]),
            statement("NotifyFailures", ["sns:Publish"], [self.topic.arn]),
            statement("UseTopicKey", ["kms:Decrypt", "kms:GenerateDataKey"], [kms_key_arn]),
            statement("DeliverLogs", LOG_DELIVERY, ["*"]),
            statement("Trace", XRAY, ["*"]),
        ])
        logs = CloudwatchLogGroup(self, "machine-logs", name=f"/aws/vendedlogs/states/{machine_name}",
                                  retention_in_days=config.log_retention_days, kms_key_id=kms_key_arn)
        wiring = Wiring(glue_job_name=glue_job_name, athena_runner=self.athena_runner.name, snowflake_runner=self.snowflake_runner.name,
                        topic_arn=self.topic.arn, glue_timeout_minutes=config.glue.timeout_minutes,
                        build_timeout_minutes=run.build_timeout_minutes, run_timeout_minutes=run.run_timeout_minutes,
                        retries=run.task_retries, environment=config.name)
        self.machine = SfnStateMachine(
            self, "machine", name=machine_name, type="STANDARD", role_arn=machine_role.arn, definition=definition_json(steps, wiring),
            logging_configuration=SfnStateMachineLoggingConfiguration(log_destination=f"{logs.arn}:*", include_execution_data=True, level="ERROR"),
            tracing_configuration=SfnStateMachineTracingConfiguration(enabled=True),
        )

        # start: on a schedule, and on demand (`aws stepfunctions start-execution`, or an event `vaultgen` / `run requested`)
        starter = Role(self, "starter-role", name=f"{config.prefix}-run-starter", trust=assume_role_document(
            {"Service": "events.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": config.aws_account_id}}), statements=[
            statement("StartRun", ["states:StartExecution"], [machine_arn])])
        self.schedule = CloudwatchEventRule(self, "schedule", name=f"{config.prefix}-run-schedule", description="Starts the vaultgen run",
                                            schedule_expression=run.schedule, state="ENABLED" if run.schedule_enabled else "DISABLED")
        self.on_demand = CloudwatchEventRule(self, "on-demand", name=f"{config.prefix}-run-on-demand", description="Starts the vaultgen run on request",
                                             event_pattern=json.dumps({"source": ["vaultgen"], "detail-type": ["run requested"]}))
        for id_, rule in (("schedule-target", self.schedule), ("on-demand-target", self.on_demand)):
            CloudwatchEventTarget(self, id_, rule=rule.name, arn=self.machine.arn, role_arn=starter.arn)
        # an execution that ends without reaching NotifyFailure (aborted, timed out as a whole) is reported too
        self.ended_badly = CloudwatchEventRule(self, "ended-badly", name=f"{config.prefix}-run-ended-badly",
                                               description="A vaultgen run timed out or was aborted",
                                               event_pattern=json.dumps({"source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"],
                                                                         "detail": {"status": ["ABORTED", "TIMED_OUT"], "stateMachineArn": [machine_arn]}}))
        CloudwatchEventTarget(self, "ended-badly-target", rule=self.ended_badly.name, arn=self.topic.arn)
        SnsTopicPolicy(self, "failures-policy", arn=self.topic.arn, policy=document(
            statement("EventBridgePublishes", ["sns:Publish"], [self.topic.arn], principal={"Service": "events.amazonaws.com"},
                      condition={"ArnEquals": {"aws:SourceArn": self.ended_badly.arn}}),
            statement("OwnerManages", ["sns:GetTopicAttributes", "sns:Publish", "sns:SetTopicAttributes", "sns:Subscribe"], [self.topic.arn],
                      principal={"AWS": f"arn:aws:iam::{config.aws_account_id}:root"}),
        ))

    def _upload(self, target: str, folder: Path, bucket: str, key: str) -> S3Object:
        asset = TerraformAsset(self, f"{target}-project-asset", path=str(folder), type=AssetType.ARCHIVE)
        return S3Object(self, f"{target}-project", bucket=bucket, key=key, source=asset.path, source_hash=asset.asset_hash, kms_key_id=self.kms_key_arn)

    def _runner(self, id_: str, target: str, upload: S3Object, bucket: str, bucket_arn: str, key: str, statements: list,
                variables: dict[str, str], secrets: dict[str, str]) -> CodebuildProject:
        config = self.config
        name = f"{config.prefix}-dbt-{target}"
        log_group = f"/aws/codebuild/{name}"
        account = f"{config.region}:{config.aws_account_id}"
        role = Role(self, f"{id_}-role", name=name, trust=assume_role_document(
            {"Service": "codebuild.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": config.aws_account_id}}), statements=[
            statement("ReadProject", ["s3:GetObject", "s3:GetObjectVersion"], [f"{bucket_arn}/{key}"]),
            statement("LocateProjectBucket", ["s3:GetBucketAcl", "s3:GetBucketLocation"], [bucket_arn]),
            statement("WriteBuildLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [f"arn:aws:logs:{account}:log-group:{log_group}:*"]),
            statement("UseDataKey", ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"], [self.kms_key_arn]),
            *statements,
        ])
        CloudwatchLogGroup(self, f"{id_}-logs", name=log_group, retention_in_days=config.log_retention_days, kms_key_id=self.kms_key_arn)
        environment = [CodebuildProjectEnvironmentEnvironmentVariable(name=n, value=v, type="PLAINTEXT") for n, v in sorted(variables.items())]
        environment += [CodebuildProjectEnvironmentEnvironmentVariable(name=n, value=v, type="SECRETS_MANAGER") for n, v in sorted(secrets.items())]
        run = config.orchestration
        return CodebuildProject(
            self, id_, name=name, description=f"dbt build of the generated {target} project, one selector (load wave) per call",
            service_role=role.arn, build_timeout=run.build_timeout_minutes, queued_timeout=60, encryption_key=self.kms_key_arn,
            artifacts=CodebuildProjectArtifacts(type="NO_ARTIFACTS"),
            source=CodebuildProjectSource(type="S3", location=f"{bucket}/{key}", buildspec=buildspec(getattr(run, f"{target}_packages"))),
            source_version=upload.version_id,
            environment=CodebuildProjectEnvironment(compute_type=run.runner_compute, image=run.runner_image, type="LINUX_CONTAINER",
                                                    privileged_mode=False, image_pull_credentials_type="CODEBUILD", environment_variable=environment),
            logs_config=CodebuildProjectLogsConfig(cloudwatch_logs=CodebuildProjectLogsConfigCloudwatchLogs(status="ENABLED", group_name=log_group)),
        )
