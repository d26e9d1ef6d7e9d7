"""Athena and Snowflake have no local engine: their generated projects must pass `dbt parse`, compile offline
in both the full and the incremental branch, and every compiled model must parse with sqlglot in the target's
dialect. Partitioning and clustering from the spec must reach the model configs."""

from __future__ import annotations

import json
import re
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlglot

from vaultgen.pipeline import render

pytestmark = pytest.mark.dbt

# Offline compile: dbt's is_incremental() needs the warehouse; the root project may override it, and the test
# copy of the project does, driven by a var.
OFFLINE_IS_INCREMENTAL = "{% macro is_incremental() %}{{ return(var('vaultgen_assume_incremental', false)) }}{% endmacro %}\n"
DBT = str(Path(sys.executable).with_name("dbt"))


def _dbt(project: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    return subprocess.run([DBT, *args, "--project-dir", str(project), "--profiles-dir", str(project)], cwd=project, env=env, capture_output=True, text=True)


def _render_with_binary_hashes(repo: Path, folder: Path) -> Path:
    """The Northwind spec with Snowflake's optional binary hash type, rendered."""
    spec_dir = folder / "spec"
    shutil.copytree(repo / "vault_spec", spec_dir)
    project_yml = spec_dir / "project.yml"
    text = project_yml.read_text()
    assert "    snowflake:\n      defaults:" in text
    project_yml.write_text(text.replace("    snowflake:\n      defaults:", "    snowflake:\n      hash_type: binary\n      defaults:"))
    render(spec_dir, folder / "generated")
    return folder / "generated" / "snowflake"


@pytest.fixture(scope="module", params=["athena", "snowflake", "snowflake-binary"])
def offline_project(request, repo: Path, tmp_path_factory) -> tuple[str, Path]:
    target = request.param
    folder = tmp_path_factory.mktemp(target)
    project = folder / "project"
    source = _render_with_binary_hashes(repo, folder) if target == "snowflake-binary" else repo / "generated" / target
    shutil.copytree(source, project)
    (project / "macros" / "zz_offline_is_incremental.sql").write_text(OFFLINE_IS_INCREMENTAL)
    return target, project


@pytest.fixture(scope="module")
def compiled(offline_project) -> dict[bool, Path]:
    """`dbt compile` of every model, in the full and in the incremental branch, each into its own target path.
    A compile parses the project first (its manifest is the parse's), so this is the `dbt parse` check too."""
    _, project = offline_project
    paths = {}
    for incremental in (False, True):
        target_path = project / ("target_incremental" if incremental else "target_full")
        variables = json.dumps({"vaultgen_assume_incremental": incremental})
        completed = _dbt(project, "compile", "--no-populate-cache", "--no-introspect", "--vars", variables, "--select", "resource_type:model",
                         "--target-path", str(target_path))
        assert completed.returncode == 0, completed.stdout[-3000:]
        paths[incremental] = target_path
    return paths


def test_dbt_parse_passes(offline_project, compiled):
    target, project = offline_project
    manifest = json.loads((compiled[False] / "manifest.json").read_text())
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    assert len(models) == len(list((project / "models").rglob("*.sql")))
    assert sum(n["resource_type"] == "test" for n in manifest["nodes"].values()) > 100  # the schema.yml files parsed too
    satellite = models["sat_order_line"]["config"]
    link = models["link_order_product"]["config"]
    if target == "athena":
        assert satellite["partitioned_by"] == ["day(load_ts)"] and satellite["table_type"] == "iceberg"
        assert link["partitioned_by"] == ["bucket(16, order_product_hk)"]
        assert satellite["incremental_strategy"] == "append"
    else:
        assert satellite["cluster_by"] == ["LOAD_TS"] and link["cluster_by"] == ["ORDER_HK"]


@pytest.mark.parametrize("incremental", [False, True], ids=["full", "incremental"])
def test_every_model_compiles_offline_and_parses_in_the_target_dialect(offline_project, compiled, incremental: bool):
    target, project = offline_project
    output = compiled[incremental] / "compiled"
    models = sorted(p for p in output.rglob("*.sql") if not p.parent.name.endswith(".yml"))
    assert len(models) == len(list((project / "models").rglob("*.sql")))
    dialect = {"athena": "athena", "snowflake": "snowflake", "snowflake-binary": "snowflake"}[target]
    for path in models:
        text = path.read_text()
        assert "{{" not in text and "{%" not in text, path.name
        sqlglot.parse_one(text, read=dialect)
        if incremental and "/raw_vault/" in path.as_posix():
            assert "raw_vault" in text.lower()  # the incremental branch reads the model itself
    staging = (output / "northwind_vault" / "models" / "staging" / "stg_northwind__orders.sql").read_text()
    flat = re.sub(r"\s+", "", staging)
    if target == "athena":
        assert "TO_HEX(MD5(TO_UTF8(" in flat  # Trino hashes varbinary
    elif target == "snowflake-binary":
        assert "MD5_BINARY(" in flat and "TO_BINARY('00000000000000000000000000000000','HEX')" in flat
    else:
        assert '"ORDER_ID"' in flat and "MD5(" in flat
