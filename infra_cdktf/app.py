"""Synthesize an environment's stacks into Terraform JSON: `python -m infra_cdktf.app --env dev --out DIR`.

The output holds `stacks/<stack>/cdk.tf.json` per stack; plan and apply it with terraform or OpenTofu.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_VERSIONS = (("terraform", ">=1.10.0"), ("opentofu", ">=1.10.0"))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@dataclass(frozen=True)
class Synthesized:
    out: Path
    stacks: dict[str, Path]  # stack name -> its directory (holding cdk.tf.json)
    missing: tuple[Path, ...]  # job files named in the configuration but not on disk (upload them by hand)


def job_files(config, repo: Path, spec, out: Path):
    """The Glue job's files: its script, its package folder, and the extract plan rendered from the spec (written
    under `out`: the job reads it instead of the spec, so it needs nothing of vaultgen on the workers)."""
    from infra_cdktf.constructs.glue_job import JobFiles
    from vaultgen.catalog.extract_plan import PLAN_PATH, render_extract_plan

    script, modules = repo / config.glue.script, repo / config.glue.modules
    plan = out / "job" / Path(PLAN_PATH).name
    plan.parent.mkdir(parents=True, exist_ok=True)
    plan.write_text(render_extract_plan(spec)[PLAN_PATH], encoding="utf-8")
    files = JobFiles(script if script.is_file() else None, modules if modules.is_dir() else None, plan)
    missing = tuple(path for path, found in ((script, files.script), (modules, files.modules)) if found is None)
    return files, missing


def runner_projects(spec, out: Path):
    """The generated Athena and Snowflake dbt projects (with their profiles), rendered from the spec under `out`:
    the CodeBuild runners build them (uploaded as zips), so a synth ships exactly what the spec renders."""
    from infra_cdktf.constructs.orchestration import RunnerProjects
    from vaultgen.pipeline import render_files

    files = render_files(spec)
    folders = {}
    for target in ("athena", "snowflake"):
        folder = out / "runner" / target
        for name, text in files.items():
            if name.startswith(f"{target}/"):
                path = folder / name[len(target) + 1:]
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
        folders[target] = folder
    return RunnerProjects(athena=folders["athena"], snowflake=folders["snowflake"])


def synth(env: str, out: Path, *, spec_dir: Path = REPO / "vault_spec", repo: Path = REPO, config=None) -> Synthesized:
    """Load the spec and the environment's configuration, build both stacks and write them under `out`."""
    from cdktn import App

    from infra_cdktf.config import load_config
    from infra_cdktf.raw_tables import raw_tables
    from infra_cdktf.stacks import AwsStack, SnowflakeStack
    from vaultgen.emit.selectors import run_sequence
    from vaultgen.spec.loader import load_spec

    config = config or load_config(env)
    spec = load_spec(spec_dir)
    tables = raw_tables(spec, config.warehouse_uri())
    raw_layer = spec.project.raw.schema_name
    files, missing = job_files(config, repo, spec, out)
    # S3 lock files (use_lockfile) need Terraform/OpenTofu 1.10; CDK Terrain checks features against this.
    app = App(outdir=str(out), context={"targetVersions": dict(TARGET_VERSIONS)})
    aws = AwsStack(app, config, raw_layer=raw_layer, tables=tables, job_files=files, run_steps=run_sequence(spec),
                   runner_projects=runner_projects(spec, out))
    snowflake = SnowflakeStack(app, config, raw_layer=raw_layer, tables=tables)
    app.synth()
    stacks = {stack.node.id: out / "stacks" / stack.node.id for stack in (aws, snowflake)}
    return Synthesized(out, stacks, missing)


def main(argv: list[str] | None = None) -> int:
    from infra_cdktf.config import ENVIRONMENT_NAMES

    parser = argparse.ArgumentParser(prog="python -m infra_cdktf.app", description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True, choices=ENVIRONMENT_NAMES)
    parser.add_argument("--out", required=True, type=Path, help="output directory (cdktf.out layout)")
    parser.add_argument("--spec", type=Path, default=REPO / "vault_spec", help="the vault spec directory")
    args = parser.parse_args(argv)
    result = synth(args.env, args.out, spec_dir=args.spec)
    for name, path in result.stacks.items():
        print(f"{name}: {path / 'cdk.tf.json'}")
    for path in result.missing:
        print(f"warning: {path} not found: upload it to the scripts bucket yourself", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
