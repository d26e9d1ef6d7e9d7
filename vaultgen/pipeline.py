"""spec -> checked model -> files per target -> written. The one place the stages are chained."""

from __future__ import annotations

from pathlib import Path

from vaultgen.catalog.extract_plan import render_extract_plan
from vaultgen.catalog.glue import render_glue_files
from vaultgen.catalog.glue_vault import render_vault_glue_files
from vaultgen.dialects import target_dialect
from vaultgen.emit.dbt_project import render_dbt_project
from vaultgen.spec.loader import load_spec
from vaultgen.spec.model import Spec
from vaultgen.sql.common import sentinel_keys
from vaultgen import writer


def render_files(spec: Spec) -> dict[str, str]:
    """Every generated file, keyed by its path under generated/."""
    files: dict[str, str] = {}
    for target in sorted(spec.project.targets):
        settings = spec.project.target_settings.get(target)
        dialect = target_dialect(target, settings.hash_type if settings else "hex", sentinel_keys(spec))
        for name, text in render_dbt_project(spec, dialect).items():
            files[f"{target}/{name}"] = text
    files.update(render_glue_files(spec))  # the raw layer's Glue Data Catalog definitions: glue/<database>/<table>.json
    files.update(render_vault_glue_files(spec))  # the vault tables Athena reads: glue/raw_vault/..., glue/business_vault/...
    files.update(render_extract_plan(spec))  # what the Glue job reads instead of the spec: glue/extract_plan.json
    return files


def render(spec_dir: Path, out_dir: Path, check: bool = False, unified: bool = False) -> writer.WriteReport:
    """Write generated/ from the spec; with `check`, only compare (and, with `unified`, put a unified diff in the report)."""
    spec = load_spec(spec_dir)
    files = render_files(spec)
    return writer.diff(out_dir, files, unified) if check else writer.write(out_dir, files)
