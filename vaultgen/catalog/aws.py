"""boto3 at the edge: clients are made here, lazily, so the rest of vaultgen.catalog stays importable without it."""

from __future__ import annotations

from vaultgen.errors import VaultgenError


class AwsUnavailable(VaultgenError):
    """boto3 is not installed."""


def glue_client(region: str | None = None, endpoint_url: str | None = None):
    try:
        import boto3
    except ImportError as error:
        raise AwsUnavailable("boto3 is not installed: pip install 'vaultgen[glue]'") from error
    try:
        return boto3.client("glue", region_name=region, endpoint_url=endpoint_url)
    except Exception as error:  # botocore's NoRegionError, a malformed endpoint URL
        raise AwsUnavailable(f"cannot make a Glue client: {error} (pass --region or set AWS_DEFAULT_REGION)") from error
