"""The plan's in-place rehash on the Northwind vault, which has every entity kind (multi-active satellite, non-historized
link, effectivity and record tracking, reference tables, PIT and bridge): two demo batches built with md5, the spec
switched to sha256, the DuckDB `rehash` statements and the `dbt` commands of the plan run, and the vault equals a fresh
build of the same raw layer under the new spec, table for table. Three builds of about 600 dbt nodes (some 4 minutes on
2 cores), so it runs only when asked:

    VAULTGEN_REHASH_NORTHWIND=1 .venv/bin/python -m pytest -q -p no:cacheprovider tests/change/test_rehash_northwind.py
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.support.raw_layer import differences_from_fresh_build
from vaultgen.cli import main
from vaultgen.dbt_runner import run_dbt
from vaultgen.pipeline import render
from vaultgen.spec.loader import load_spec

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.dbt, pytest.mark.skipif(not os.environ.get("VAULTGEN_REHASH_NORTHWIND"),
                                                  reason="three Northwind builds: set VAULTGEN_REHASH_NORTHWIND=1")]


def test_northwind_in_place_rehash_equals_a_fresh_build(tmp_path: Path, capsys) -> None:
    spec_a, spec_b = ROOT / "vault_spec", tmp_path / "spec_b"
    shutil.copytree(spec_a, spec_b)
    project_file = spec_b / "project.yml"
    assert "    algorithm: md5\n" in project_file.read_text()
    project_file.write_text(project_file.read_text().replace("    algorithm: md5\n", "    algorithm: sha256\n"))
    work = tmp_path / "work"
    assert main(["demo", "--spec", str(spec_a), "--out", str(tmp_path / "generated_a"), "--work-dir", str(work), "--scale", "0.05", "--batches", "2"]) == 0
    capsys.readouterr()
    assert main(["plan", "--spec", str(spec_b), "--base", str(spec_a), "--format", "json"]) == 1
    (change,) = json.loads(capsys.readouterr().out)["changes"]
    migration = change["migration"]["duckdb"]
    render(spec_b, tmp_path / "generated_b")
    project, database = tmp_path / "generated_b" / "duckdb", work / "northwind_vault.duckdb"
    with duckdb.connect(str(database)) as connection:
        for statement in migration["rehash"]:
            connection.execute(statement)
    assert any("msat_" in command for command in migration["dbt"]) and any("pit_" in command for command in migration["dbt"])
    for command in migration["dbt"]:
        assert run_dbt(shlex.split(command)[1:], project, work, database).ok
    assert differences_from_fresh_build(database, load_spec(spec_b), project, tmp_path / "fresh") == {}
