"""IAM policy documents as Python structures, serialised once with json.dumps.

Terraform references (tokens) may sit inside the strings; CDK Terrain resolves them during synth.
"""

from __future__ import annotations

import json
from typing import Any, Iterable


def statement(
    sid: str,
    actions: Iterable[str],
    resources: Iterable[str] | None,
    *,
    effect: str = "Allow",
    principal: dict[str, Any] | str | None = None,
    condition: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"Sid": sid, "Effect": effect}
    if principal is not None:
        body["Principal"] = principal
    body["Action"] = sorted(actions)
    if resources is not None:  # trust policies name no resource
        body["Resource"] = list(resources)
    if condition:
        body["Condition"] = condition
    return body


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def assume_role_document(principal: dict[str, Any], condition: dict[str, Any] | None = None) -> str:
    return document(statement("AssumeRole", ["sts:AssumeRole"], None, principal=principal, condition=condition))


def deny_insecure_transport(bucket_arn: str) -> dict[str, Any]:
    """The TLS-only statement every bucket policy carries."""
    return statement(
        "DenyInsecureTransport",
        ["s3:*"],
        [bucket_arn, f"{bucket_arn}/*"],
        effect="Deny",
        principal="*",
        condition={"Bool": {"aws:SecureTransport": "false"}},
    )

