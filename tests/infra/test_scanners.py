"""checkov over the synthesized Terraform JSON (zero failed checks), and `terraform validate` where possible."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.infra

CHECKOV = "checkov==3.3.30"
AWS_MIRROR_ROOTS = (Path("/opt/tf-plugins"), Path.home() / ".terraform.d" / "plugins", Path("/usr/share/terraform/plugins"))
# Arguments the AWS provider gained in 6.x; the local mirror holds 5.100.0, whose schema lacks them.
PROVIDER_6_ONLY = (("aws_glue_catalog_table", ("open_table_format_input", "iceberg_input", "iceberg_table_input")),)


def checkov_command() -> list[str]:
    """checkov in its own environment: its boto3 pin clashes with the glue extra's."""
    uvx = Path(sys.executable).parent / "uvx"
    return [str(uvx) if uvx.exists() else "uvx", "--from", CHECKOV, "checkov"]


@pytest.mark.parametrize("env", ("dev", "prod"))
def test_checkov_finds_no_failed_checks(synthesized, repo, env):
    command = [*checkov_command(), "-d", str(synthesized[env].out), "--framework", "terraform_json", "--skip-download",
               "--quiet", "--compact", "--config-file", str(repo / "infra_cdktf" / ".checkov.yaml"), "-o", "json"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=synthesized[env].out)
    report = json.loads(result.stdout)
    summary = report["summary"]
    failed = [f"{c['check_id']} {c['resource']}" for c in report.get("results", {}).get("failed_checks", [])]
    assert summary["parsing_errors"] == 0, result.stderr[-2000:]
    assert summary["passed"] > 100  # it really scanned both stacks
    assert summary["failed"] == 0, failed
    assert result.returncode == 0


def find_aws_mirror() -> tuple[Path, str] | None:
    """(mirror root, provider version) of a local filesystem mirror of hashicorp/aws, if any."""
    for root in AWS_MIRROR_ROOTS:
        for binary in sorted(root.glob("registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*")):
            return root, binary.parent.parent.name
    return None


def test_terraform_validates_the_aws_stack(synthesized, tmp_path, capsys):
    terraform = shutil.which("terraform")
    mirror = find_aws_mirror()
    if terraform is None or mirror is None:
        reason = "no terraform binary on PATH" if terraform is None else "no local mirror of hashicorp/aws"
        with capsys.disabled():
            print(f"\nskipping terraform validate: {reason}")
        pytest.skip(reason)
    root, version = mirror
    work = tmp_path / "aws"
    shutil.copytree(synthesized["prod"].aws_dir, work)
    document = json.loads((work / "cdk.tf.json").read_text())
    document["terraform"]["required_providers"]["aws"]["version"] = version
    for kind, path in PROVIDER_6_ONLY:
        for body in document["resource"].get(kind, {}).values():
            node = body
            for key in path[:-1]:
                node = node[key]
            node.pop(path[-1])
    (work / "cdk.tf.json").write_text(json.dumps(document))
    cli_config = tmp_path / "terraformrc"
    cli_config.write_text(
        'provider_installation {\n'
        f'  filesystem_mirror {{\n    path = {json.dumps(str(root))}\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }}\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n'
    )
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(cli_config), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    init = subprocess.run([terraform, "init", "-backend=false", "-input=false", "-no-color"], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert init.returncode == 0, init.stdout + init.stderr
    validate = subprocess.run([terraform, "validate", "-json", "-no-color"], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    outcome = json.loads(validate.stdout)
    assert outcome["valid"] is True, outcome["diagnostics"]
    assert outcome["error_count"] == 0
