"""What `vaultgen render` writes for load waves, dbt meta and freshness (pure; dbt runs them in tests/dbt)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

from vaultgen.cli import main
from vaultgen.emit.selectors import load_waves, run_sequence
from vaultgen.pipeline import render_files
from vaultgen.spec.loader import load_spec

REPO = Path(__file__).resolve().parents[2]
CONFIG = re.compile(r"^\{\{ config\((.*)\) \}\}$", re.MULTILINE)


def test_every_project_has_the_selectors_of_the_waves():
    spec = load_spec(REPO / "vault_spec")
    files = render_files(spec)
    for target in spec.project.targets:
        selectors = {s["name"]: s for s in yaml.safe_load(files[f"{target}/selectors.yml"])["selectors"]}
        assert {w.selector for w in load_waves(spec)} <= set(selectors)
        assert {"staging", "raw_vault", "business_vault", "marts", "source_northwind_vault"} <= set(selectors)
    assert [step.name for step in run_sequence(spec)] == [
        "ExtractRaw", "Build_load_staging", "Build_source_northwind_raw_vault", "Build_business_vault", "Build_marts", "RefreshSnowflake"]


def test_every_model_carries_tags_and_meta_naming_its_kind_sources_and_spec_file():
    spec = load_spec(REPO / "vault_spec")
    files = render_files(spec)
    models = {name: text for name, text in files.items() if name.startswith("duckdb/models/") and name.endswith(".sql")}
    assert len(models) == 108
    for name, text in models.items():
        config = CONFIG.search(text).group(1)
        layer = name.split("/")[2]
        assert f'tags=["{layer}", "source_northwind"]' in config, name
        assert '"source_tables": [' in config and '"spec_file": "' in config and '"spec_line": ' in config, name
    hub = CONFIG.search(models["duckdb/models/raw_vault/hubs/hub_customer.sql"]).group(1)
    assert '"kind": "hub"' in hub and '"source_tables": ["customer_customer_demo", "customers", "orders"]' in hub
    assert '"spec_file": "vault/customer.yml", "spec_line": 2' in hub
    mart = CONFIG.search(models["duckdb/models/marts/dim_customers.sql"]).group(1)
    assert '"kind": "dimension"' in mart and '"spec_file": "vault/marts.yml"' in mart


def test_sources_declare_loaded_at_field_and_the_spec_thresholds(tmp_path):
    spec_dir = tmp_path / "spec"
    shutil.copytree(REPO / "vault_spec", spec_dir)
    source = spec_dir / "sources" / "northwind.yml"
    source.write_text(source.read_text().replace("    record_source: northwind\n",
                                                 "    record_source: northwind\n    freshness: {warn_after: {count: 2, period: day}, error_after: {count: 3, period: day}}\n", 1))
    tables = yaml.safe_load(render_files(load_spec(spec_dir))["duckdb/models/sources.yml"])["sources"][0]["tables"]
    orders = next(t for t in tables if t["name"] == "orders")
    assert orders["config"]["loaded_at_field"] == "load_ts"
    assert orders["config"]["freshness"] == {"warn_after": {"count": 2, "period": "day"}, "error_after": {"count": 3, "period": "day"}}
    default = yaml.safe_load(render_files(load_spec(REPO / "vault_spec"))["duckdb/models/sources.yml"])["sources"][0]["tables"][0]
    assert default["config"]["freshness"]["warn_after"] == {"count": 26, "period": "hour"}


def test_a_freshness_error_threshold_before_the_warning_is_a_located_error(tmp_path, capsys):
    spec_dir = tmp_path / "spec"
    shutil.copytree(REPO / "vault_spec", spec_dir)
    source = spec_dir / "sources" / "northwind.yml"
    source.write_text(source.read_text().replace("    record_source: northwind\n",
                                                 "    record_source: northwind\n    freshness: {warn_after: {count: 2, period: day}, error_after: {count: 30, period: hour}}\n", 1))
    assert main(["render", "--spec", str(spec_dir), "--out", str(tmp_path / "out")]) == 3  # a spec error
    error = capsys.readouterr().err
    assert "northwind.yml:" in error and "error_after must be longer than warn_after" in error and "Traceback" not in error
    assert not (tmp_path / "out").exists()
