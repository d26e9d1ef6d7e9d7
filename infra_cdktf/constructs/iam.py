"""IAM roles, each with only the actions its user needs, on only the resources it touches."""

from __future__ import annotations

from typing import Any

from cdktn_provider_aws.iam_role import IamRole
from cdktn_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from infra_cdktf.config import EnvironmentConfig
from infra_cdktf.policy import assume_role_document, document, statement

# ec2:Describe* cannot be limited to resources; Glue needs them to place the job's network interfaces.
GLUE_NETWORK_DESCRIBE = (
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcAttribute",
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeVpcs",
)


def glue_arns(config: EnvironmentConfig, database: str) -> list[str]:
    """The catalog, one database and its tables: what a Glue catalog permission is scoped to."""
    base = f"arn:aws:glue:{config.region}:{config.aws_account_id}"
    return [f"{base}:catalog", f"{base}:database/{database}", f"{base}:table/{database}/*"]


class Role(Construct):
    """A role with one inline policy."""

    def __init__(self, scope: Construct, id_: str, *, name: str, trust: str, statements: list[dict[str, Any]]) -> None:
        super().__init__(scope, id_)
        self.role = IamRole(self, "role", name=name, assume_role_policy=trust, max_session_duration=3600)
        self.policy = IamRolePolicy(self, "policy", name="least-privilege", role=self.role.id, policy=document(*statements))

    @property
    def arn(self) -> str:
        return self.role.arn


class GlueJobRole(Role):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        config: EnvironmentConfig,
        *,
        scripts_bucket_arn: str,
        warehouse_bucket_arn: str,
        raw_database: str,
        secret_arn: str,
        kms_key_arn: str,
        vpc_arn: str,
        connection_name: str,
    ) -> None:
        region_account = f"{config.region}:{config.aws_account_id}"
        statements = [
            statement("ReadScriptsAndSpec", ["s3:GetObject"], [f"{scripts_bucket_arn}/jobs/*", f"{scripts_bucket_arn}/spec/*"]),
            statement("UseTempDir", ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"], [f"{scripts_bucket_arn}/tmp/*"]),
            statement(
                "WriteRawTables",
                ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
                [f"{warehouse_bucket_arn}/{raw_database}.db/*"],
            ),
            statement("ListBuckets", ["s3:GetBucketLocation", "s3:ListBucket"], [scripts_bucket_arn, warehouse_bucket_arn]),
            statement(
                "CommitRawTables",
                ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:UpdateTable"],
                glue_arns(config, raw_database),
            ),
            statement(
                "UseSourceConnection",
                ["glue:GetConnection"],
                [f"arn:aws:glue:{region_account}:catalog", f"arn:aws:glue:{region_account}:connection/{connection_name}"],
            ),
            statement("ReadSourceSecret", ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"], [secret_arn]),
            statement("UseDataKey", ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], [kms_key_arn]),
            statement(
                "WriteJobLogs",
                ["logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                [f"arn:aws:logs:{region_account}:log-group:/aws-glue/*"],
            ),
            statement(
                "PublishJobMetrics", ["cloudwatch:PutMetricData"], ["*"],
                condition={"StringEquals": {"cloudwatch:namespace": "Glue"}},
            ),
            statement("DescribeNetwork", GLUE_NETWORK_DESCRIBE, ["*"]),
            statement(
                "PlaceNetworkInterfaces",
                ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"],
                [f"arn:aws:ec2:{region_account}:{kind}/*" for kind in ("network-interface", "subnet", "security-group")],
                condition={"ArnEquals": {"ec2:Vpc": vpc_arn}},
            ),
            statement(
                "TagNetworkInterfaces",
                ["ec2:CreateTags", "ec2:DeleteTags"],
                [f"arn:aws:ec2:{region_account}:network-interface/*"],
                condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["aws-glue-service-resource"]}},
            ),
        ]
        trust = assume_role_document(
            {"Service": "glue.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": config.aws_account_id}}
        )
        super().__init__(scope, id_, name=f"{config.prefix}-glue-job", trust=trust, statements=statements)


class SnowflakeAccessRole(Role):
    """Assumed by Snowflake's IAM user (external volume and Glue catalog integration): read the raw layer."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        config: EnvironmentConfig,
        *,
        warehouse_bucket_arn: str,
        raw_database: str,
        kms_key_arn: str,
    ) -> None:
        trust_config = config.snowflake.trust
        # Until Snowflake has reported its IAM user (first Snowflake apply), only our own account is trusted.
        principal = trust_config.iam_user_arn or f"arn:aws:iam::{config.aws_account_id}:root"
        external_ids = sorted({config.snowflake.external_volume_external_id, *trust_config.external_ids})
        trust = assume_role_document({"AWS": principal}, {"StringEquals": {"sts:ExternalId": external_ids}})
        statements = [
            statement(
                "ReadRawObjects", ["s3:GetObject", "s3:GetObjectVersion"], [f"{warehouse_bucket_arn}/{raw_database}.db/*"]
            ),
            statement(
                "ListRawPrefix", ["s3:ListBucket"], [warehouse_bucket_arn],
                condition={"StringLike": {"s3:prefix": [f"{raw_database}.db/*"]}},
            ),
            statement("LocateBucket", ["s3:GetBucketLocation"], [warehouse_bucket_arn]),
            statement("ReadRawCatalog", ["glue:GetDatabase", "glue:GetTable", "glue:GetTables"], glue_arns(config, raw_database)),
            statement("DecryptData", ["kms:Decrypt", "kms:DescribeKey"], [kms_key_arn]),
        ]
        super().__init__(scope, id_, name=config.snowflake_access_role_name, trust=trust, statements=statements)
