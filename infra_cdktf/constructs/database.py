"""Aurora PostgreSQL Serverless v2: the Northwind source. Private, encrypted, pauses itself when idle (0 ACU).

RDS manages the master password in Secrets Manager (rotated, encrypted with our key); nothing secret is
written into the Terraform configuration or state.
"""

from __future__ import annotations

from cdktn_provider_aws.db_subnet_group import DbSubnetGroup
from cdktn_provider_aws.iam_role import IamRole
from cdktn_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktn_provider_aws.rds_cluster import RdsCluster, RdsClusterServerlessv2ScalingConfiguration
from cdktn_provider_aws.rds_cluster_instance import RdsClusterInstance
from cdktn_provider_aws.rds_cluster_parameter_group import RdsClusterParameterGroup, RdsClusterParameterGroupParameter
from cdktn_provider_aws.security_group import SecurityGroup
from constructs import Construct

from infra_cdktf.config import EnvironmentConfig
from infra_cdktf.policy import assume_role_document

PORT = 5432
MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"

# Cluster parameters: TLS only, and statement logging that checkov (CKV2_AWS_27) and auditors expect.
CLUSTER_PARAMETERS = {
    "rds.force_ssl": "1",
    "log_statement": "ddl",
    "log_min_duration_statement": "1000",
}


class Database(Construct):
    def __init__(
        self, scope: Construct, id_: str, config: EnvironmentConfig, *, vpc_id: str, subnet_ids: list[str], kms_key_arn: str
    ) -> None:
        super().__init__(scope, id_)
        aurora = config.aurora
        name = f"{config.prefix}-source"
        self.security_group = SecurityGroup(
            self, "sg", name=f"{name}-db", vpc_id=vpc_id, description="Aurora: PostgreSQL from the Glue job only",
            ingress=[], egress=[],
        )
        subnets = DbSubnetGroup(self, "subnets", name=name, subnet_ids=subnet_ids)
        family = f"aurora-postgresql{aurora.engine_version.split('.')[0]}"
        parameters = RdsClusterParameterGroup(
            self, "parameters", name=name, family=family,
            parameter=[RdsClusterParameterGroupParameter(name=key, value=value) for key, value in sorted(CLUSTER_PARAMETERS.items())],
        )
        self.cluster = RdsCluster(
            self, "cluster",
            cluster_identifier=name,
            engine="aurora-postgresql",
            engine_mode="provisioned",
            engine_version=aurora.engine_version,
            database_name=aurora.database_name,
            master_username=aurora.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=kms_key_arn,
            serverlessv2_scaling_configuration=RdsClusterServerlessv2ScalingConfiguration(
                min_capacity=aurora.min_capacity,
                max_capacity=aurora.max_capacity,
                seconds_until_auto_pause=aurora.seconds_until_auto_pause,
            ),
            storage_encrypted=True,
            kms_key_id=kms_key_arn,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[self.security_group.id],
            db_cluster_parameter_group_name=parameters.name,
            port=PORT,
            iam_database_authentication_enabled=True,
            enabled_cloudwatch_logs_exports=["postgresql"],
            backup_retention_period=aurora.backup_retention_days,
            copy_tags_to_snapshot=True,
            deletion_protection=aurora.deletion_protection,
            skip_final_snapshot=False,
            final_snapshot_identifier=f"{name}-final",
        )
        monitoring = IamRole(
            self, "monitoring-role", name=f"{name}-rds-monitoring",
            assume_role_policy=assume_role_document({"Service": "monitoring.rds.amazonaws.com"}),
        )
        IamRolePolicyAttachment(self, "monitoring-policy", role=monitoring.name, policy_arn=MONITORING_POLICY)
        self.instances = [
            RdsClusterInstance(
                self, f"instance-{index}",
                identifier=f"{name}-{index}",
                cluster_identifier=self.cluster.id,
                instance_class="db.serverless",
                engine=self.cluster.engine,
                engine_version=self.cluster.engine_version,
                publicly_accessible=False,
                auto_minor_version_upgrade=True,
                performance_insights_enabled=True,
                performance_insights_kms_key_id=kms_key_arn,
                monitoring_interval=60,
                monitoring_role_arn=monitoring.arn,
                copy_tags_to_snapshot=True,
            )
            for index in range(aurora.instances)
        ]

    @property
    def secret_arn(self) -> str:
        return self.cluster.master_user_secret.get(0).secret_arn

    @property
    def endpoint(self) -> str:
        return self.cluster.endpoint
