"""The Athena workgroup: results always go to our bucket, encrypted with our key; clients cannot override it."""

from __future__ import annotations

from cdktn_provider_aws.athena_workgroup import (
    AthenaWorkgroup,
    AthenaWorkgroupConfiguration,
    AthenaWorkgroupConfigurationEngineVersion,
    AthenaWorkgroupConfigurationResultConfiguration,
    AthenaWorkgroupConfigurationResultConfigurationEncryptionConfiguration,
)
from constructs import Construct

from infra_cdktf.config import EnvironmentConfig

ENGINE_VERSION = "Athena engine version 3"
BYTES_SCANNED_CUTOFF = 10 * 1024**3  # a runaway query stops at 10 GiB


class AthenaWorkgroupConstruct(Construct):
    def __init__(self, scope: Construct, id_: str, config: EnvironmentConfig, *, results_bucket: str, kms_key_arn: str) -> None:
        super().__init__(scope, id_)
        self.workgroup = AthenaWorkgroup(
            self, "workgroup",
            name=config.prefix,
            description=f"{config.prefix}: queries over the vault",
            state="ENABLED",
            force_destroy=False,
            configuration=AthenaWorkgroupConfiguration(
                enforce_workgroup_configuration=True,
                publish_cloudwatch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=BYTES_SCANNED_CUTOFF,
                engine_version=AthenaWorkgroupConfigurationEngineVersion(selected_engine_version=ENGINE_VERSION),
                result_configuration=AthenaWorkgroupConfigurationResultConfiguration(
                    output_location=f"s3://{results_bucket}/results/",
                    encryption_configuration=AthenaWorkgroupConfigurationResultConfigurationEncryptionConfiguration(
                        encryption_option="SSE_KMS", kms_key_arn=kms_key_arn
                    ),
                ),
            ),
        )
