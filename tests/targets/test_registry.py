"""A target is one module: a fifth target, written here as a throwaway module and registered, is accepted by the
spec and rendered for Northwind without any other module knowing its name (the steps of CONTRIBUTING.md)."""

from __future__ import annotations

import importlib.util
import shutil

import pytest
import yaml

from tests.conftest import REPO
from vaultgen import dialects
from vaultgen.errors import SpecError
from vaultgen.pipeline import render_files
from vaultgen.spec.loader import load_spec

# step 1 of "add a target": its module. A copy of DuckDB's settings under another name.
MODULE = '''
from dataclasses import replace

from vaultgen.dialects.duckdb import DUCKDB

DUCKFIVE = replace(DUCKDB, name="duckfive", profile={**DUCKDB.profile, "path": "duckfive.duckdb"})
'''


def _module(tmp_path):
    path = tmp_path / "duckfive.py"
    path.write_text(MODULE, encoding="utf-8")
    found = importlib.util.spec_from_file_location("duckfive", path)
    module = importlib.util.module_from_spec(found)
    found.loader.exec_module(module)
    return module


def _northwind_with(tmp_path, target: str):
    """Northwind with one more target beside its four."""
    spec_dir = tmp_path / "spec"
    shutil.copytree(REPO / "vault_spec", spec_dir)
    project = yaml.safe_load((spec_dir / "project.yml").read_text(encoding="utf-8"))
    project["project"]["targets"].append(target)
    (spec_dir / "project.yml").write_text(yaml.safe_dump(project, sort_keys=False), encoding="utf-8")
    return load_spec(spec_dir)


def test_an_unregistered_target_is_refused_with_the_registered_ones(tmp_path):
    with pytest.raises(SpecError) as raised:
        _northwind_with(tmp_path, "duckfive")
    (problem,) = raised.value.problems
    assert problem.code == "VG015"
    assert problem.message == "'targets': Input should be 'duckdb', 'spark', 'athena' or 'snowflake'"


def test_a_registered_fifth_target_renders_northwind(tmp_path, monkeypatch):
    monkeypatch.setattr(dialects, "DIALECTS", dict(dialects.DIALECTS))
    dialects.register(_module(tmp_path).DUCKFIVE)  # step 2: its line in the registry
    assert dialects.targets() == ("duckdb", "spark", "athena", "snowflake", "duckfive")

    files = render_files(_northwind_with(tmp_path, "duckfive"))

    duckdb = {path.removeprefix("duckdb/"): text for path, text in files.items() if path.startswith("duckdb/")}
    duckfive = {path.removeprefix("duckfive/"): text for path, text in files.items() if path.startswith("duckfive/")}
    assert len(duckfive) > 100 and duckfive.keys() == duckdb.keys()
    differing = sorted(path for path in duckdb if duckdb[path] != duckfive[path])
    assert differing == ["profiles.yml"]
    profile = yaml.safe_load(duckfive["profiles.yml"])["northwind_vault"]
    assert profile == {"target": "duckfive", "outputs": {"duckfive": {**dialects.DUCKDB.profile, "path": "duckfive.duckdb"}}}
