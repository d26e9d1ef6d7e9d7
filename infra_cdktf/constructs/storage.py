"""S3 buckets: the Iceberg warehouse, Athena results and Glue scripts, plus the access-log bucket they log to.

Every bucket: versioned, public access blocked, owner-enforced, TLS-only, old versions expired; the data
buckets are encrypted with the environment's KMS key (the log bucket with SSE-S3, the only kind S3 server
access logging can write to).
"""

from __future__ import annotations

from typing import Any

from cdktn_provider_aws.s3_bucket import S3Bucket
from cdktn_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktn_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktn_provider_aws.s3_bucket_notification import S3BucketNotification
from cdktn_provider_aws.s3_bucket_ownership_controls import S3BucketOwnershipControls, S3BucketOwnershipControlsRule
from cdktn_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktn_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktn_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktn_provider_aws.s3_bucket_versioning import S3BucketVersioningA, S3BucketVersioningVersioningConfiguration
from constructs import Construct

from infra_cdktf.config import EnvironmentConfig
from infra_cdktf.policy import deny_insecure_transport, document, statement


class SecureBucket(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        config: EnvironmentConfig,
        kms_key_arn: str | None,
        log_bucket: S3Bucket | None,
        expire_days: int | None = None,
        policy_statements: tuple[dict[str, Any], ...] = (),
    ) -> None:
        super().__init__(scope, id_)
        self.bucket = S3Bucket(self, "bucket", bucket=name, force_destroy=False)
        # Object events go to EventBridge (no cost unless a rule matches): hooks for loads and audits.
        S3BucketNotification(self, "events", bucket=self.bucket.id, eventbridge=True)
        S3BucketVersioningA(
            self, "versioning", bucket=self.bucket.id,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
        )
        default = (
            S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn)
            if kms_key_arn
            else S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(sse_algorithm="AES256")
        )
        S3BucketServerSideEncryptionConfigurationA(
            self, "encryption", bucket=self.bucket.id,
            rule=[S3BucketServerSideEncryptionConfigurationRuleA(apply_server_side_encryption_by_default=default, bucket_key_enabled=kms_key_arn is not None)],
        )
        self.public_access_block = S3BucketPublicAccessBlock(
            self, "public-access-block", bucket=self.bucket.id, block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True,
        )
        S3BucketOwnershipControls(
            self, "ownership", bucket=self.bucket.id, rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced")
        )
        S3BucketPolicy(
            self, "policy", bucket=self.bucket.id,
            policy=document(deny_insecure_transport(self.bucket.arn), *policy_statements),
            depends_on=[self.public_access_block],
        )
        S3BucketLifecycleConfiguration(
            self, "lifecycle", bucket=self.bucket.id,
            rule=[
                S3BucketLifecycleConfigurationRule(
                    id="expire-old-versions", status="Enabled", filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    noncurrent_version_expiration=[S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(noncurrent_days=config.noncurrent_version_days)],
                    abort_incomplete_multipart_upload=[S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=7)],
                    expiration=[S3BucketLifecycleConfigurationRuleExpiration(days=expire_days)] if expire_days else None,
                )
            ],
        )
        if log_bucket is not None:
            S3BucketLoggingA(self, "logging", bucket=self.bucket.id, target_bucket=log_bucket.id, target_prefix=f"{name}/")

    @property
    def arn(self) -> str:
        return self.bucket.arn

    @property
    def name(self) -> str:
        return self.bucket.bucket


class Storage(Construct):
    """The environment's buckets; `warehouse` holds the Iceberg tables, `scripts` the Glue job."""

    def __init__(self, scope: Construct, id_: str, config: EnvironmentConfig, kms_key_arn: str) -> None:
        super().__init__(scope, id_)
        log_name = config.bucket_name("access-logs")
        self.access_logs = SecureBucket(
            self, "access-logs", name=log_name, config=config, kms_key_arn=None, log_bucket=None,
            expire_days=config.log_retention_days,
            policy_statements=(
                statement(
                    "S3ServerAccessLogsDelivery", ["s3:PutObject"], [f"arn:aws:s3:::{log_name}/*"],
                    principal={"Service": "logging.s3.amazonaws.com"},
                    condition={"StringEquals": {"aws:SourceAccount": config.aws_account_id}},
                ),
            ),
        )
        log_bucket = self.access_logs.bucket
        self.warehouse = SecureBucket(self, "warehouse", name=config.bucket_name("warehouse"), config=config, kms_key_arn=kms_key_arn, log_bucket=log_bucket)
        self.athena_results = SecureBucket(
            self, "athena-results", name=config.bucket_name("athena-results"), config=config, kms_key_arn=kms_key_arn,
            log_bucket=log_bucket, expire_days=30,
        )
        self.scripts = SecureBucket(self, "glue-scripts", name=config.bucket_name("glue-scripts"), config=config, kms_key_arn=kms_key_arn, log_bucket=log_bucket)
