"""One customer-managed KMS key per environment, rotated yearly, for S3, Aurora, secrets, logs, Glue and Athena."""

from __future__ import annotations

from cdktn_provider_aws.kms_alias import KmsAlias
from cdktn_provider_aws.kms_key import KmsKey
from constructs import Construct

from infra_cdktf.config import EnvironmentConfig
from infra_cdktf.policy import document, statement


class EncryptionKey(Construct):
    def __init__(self, scope: Construct, id_: str, config: EnvironmentConfig) -> None:
        super().__init__(scope, id_)
        account_root = f"arn:aws:iam::{config.aws_account_id}:root"
        log_group_arn = f"arn:aws:logs:{config.region}:{config.aws_account_id}:log-group:*"
        policy = document(
            # The account administers the key through IAM: IAM policies then grant each role its use.
            statement("AccountAdministers", ["kms:*"], ["*"], principal={"AWS": account_root}),
            statement(
                "CloudWatchLogsEncrypt",
                ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
                ["*"],
                principal={"Service": f"logs.{config.region}.amazonaws.com"},
                condition={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_group_arn}},
            ),
            # EventBridge publishes "run timed out / aborted" to the encrypted SNS topic (constructs/orchestration.py)
            statement(
                "EventBridgePublishesToTopics",
                ["kms:Decrypt", "kms:GenerateDataKey*"],
                ["*"],
                principal={"Service": "events.amazonaws.com"},
                condition={"StringEquals": {"aws:SourceAccount": config.aws_account_id}},
            ),
        )
        self.key = KmsKey(
            self,
            "key",
            description=f"{config.prefix}: data at rest",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=policy,
        )
        KmsAlias(self, "alias", name=f"alias/{config.prefix}", target_key_id=self.key.key_id)

    @property
    def arn(self) -> str:
        return self.key.arn
