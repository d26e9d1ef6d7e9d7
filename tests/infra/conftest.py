"""Synthesize the stacks once per environment (CDK Terrain in-process) and read the Terraform JSON back."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@dataclass
class Synth:
    out: Path
    aws: dict[str, Any]
    snowflake: dict[str, Any]
    aws_dir: Path
    snowflake_dir: Path

    def resources(self, stack: str, kind: str) -> dict[str, dict[str, Any]]:
        return getattr(self, stack)["resource"].get(kind, {})

    def one(self, stack: str, kind: str, name_part: str) -> dict[str, Any]:
        matches = [body for key, body in self.resources(stack, kind).items() if name_part in key]
        assert len(matches) == 1, f"expected one {kind} matching {name_part!r}, found {len(matches)}"
        return matches[0]


def run_synth(env: str, out: Path, **kwargs) -> Synth:
    from infra_cdktf.app import synth

    result = synth(env, out, **kwargs)
    aws_dir, snowflake_dir = (path for name, path in sorted(result.stacks.items()))
    return Synth(
        out=out,
        aws=json.loads((aws_dir / "cdk.tf.json").read_text()),
        snowflake=json.loads((snowflake_dir / "cdk.tf.json").read_text()),
        aws_dir=aws_dir,
        snowflake_dir=snowflake_dir,
    )


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory) -> dict[str, Synth]:
    return {env: run_synth(env, tmp_path_factory.mktemp(f"synth-{env}")) for env in ("dev", "prod")}


@pytest.fixture(scope="session")
def spec(repo):
    from vaultgen.spec.loader import load_spec

    return load_spec(repo / "vault_spec")
