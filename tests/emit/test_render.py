"""Rendering is deterministic, complete, and `render --check` catches drift."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import sqlglot
import yaml

from vaultgen.cli import main
from vaultgen.emit.dbt_model import one_branch
from vaultgen.pipeline import render_files
from vaultgen.spec.loader import load_spec

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini_spec"


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_committed_generated_matches_the_spec(repo: Path, monkeypatch, capsys):
    monkeypatch.chdir(repo)
    assert main(["render", "--check"]) == 0, capsys.readouterr()


def test_render_is_byte_identical_across_runs_and_hash_seeds(repo: Path, tmp_path: Path):
    outputs = []
    for seed in ("0", "1", "random"):
        out = tmp_path / f"out_{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-m", "vaultgen", "render", "--spec", str(repo / "vault_spec"), "--out", str(out)], check=True, env=env, capture_output=True)
        outputs.append(_tree(out))
    assert outputs[0] == outputs[1] == outputs[2]
    assert all(b"\r\n" not in content for content in outputs[0].values())


def test_check_reports_drift_and_stale_files(tmp_path: Path, capsys):
    out = tmp_path / "generated"
    assert main(["render", "--spec", str(MINI), "--out", str(out)]) == 0
    assert main(["render", "--spec", str(MINI), "--out", str(out), "--check"]) == 0
    hub = out / "duckdb/models/raw_vault/hubs/hub_customer.sql"
    hub.write_text(hub.read_text() + "-- edited by hand\n")
    assert main(["render", "--spec", str(MINI), "--out", str(out), "--check"]) == 1
    assert "hub_customer.sql" in capsys.readouterr().out
    # a removed entity leaves a stale file, which render removes and --check reports
    spec_dir = tmp_path / "spec"
    shutil.copytree(MINI, spec_dir)
    vault = spec_dir / "vault.yml"
    vault.write_text(vault.read_text().replace("  - {kind: record_tracking_satellite, name: order_customer_status, parent: order_customer, source: orders}\n", ""))
    assert main(["render", "--spec", str(spec_dir), "--out", str(out), "--check"]) == 1
    assert "stale" in capsys.readouterr().out
    assert main(["render", "--spec", str(spec_dir), "--out", str(out)]) == 0
    assert not (out / "duckdb/models/raw_vault/record_tracking/rts_order_customer_status.sql").exists()
    assert not hub.read_text().endswith("-- edited by hand\n")


def test_render_leaves_files_it_does_not_own(tmp_path: Path):
    out = tmp_path / "generated"
    out.mkdir()
    (out / "NOTES.md").write_text("mine")
    assert main(["render", "--spec", str(MINI), "--out", str(out)]) == 0
    assert (out / "NOTES.md").read_text() == "mine"


def test_every_model_is_valid_duckdb_sql_in_both_branches(repo: Path):
    files = render_files(load_spec(repo / "vault_spec"))
    models = {name: text for name, text in files.items() if name.endswith(".sql") and "/models/" in name}
    duckdb_models = [name for name in models if name.startswith("duckdb/")]
    assert len(duckdb_models) == 14 + 48 + 3 + 2 + 2 * 12 + 7 + 10  # staging, vault entities, effectivity + non-historized link + multi-active, 2 reference tables, end-dating views, 5 PITs + 2 bridges, 10 marts
    for name in duckdb_models:
        text = models[name]
        body = "\n".join(line for line in text.splitlines() if not line.startswith(("{{ config", "--")))
        for incremental in (False, True):
            sql = one_branch(body, incremental)
            for jinja in ("{{ this }}",):
                sql = sql.replace(jinja, '"this_model"')
            sql = _replace_calls(sql)
            sqlglot.parse_one(sql, read="duckdb")  # raises on invalid SQL


def _replace_calls(sql: str) -> str:
    import re

    sql = re.sub(r"\{\{ ref\('([a-z0-9_]+)'\) \}\}", r'"\1"', sql)
    sql = re.sub(r"\{\{ source\('raw', '([a-z0-9_]+)'\) \}\}", r'"raw"."\1"', sql)
    return re.sub(r"\{\{ vaultgen_load_window\([^)]*\) \}\}", "TRUE", sql)


def test_no_current_timestamp_and_identifiers_quoted(repo: Path):
    files = render_files(load_spec(repo / "vault_spec"))
    for name, text in files.items():
        assert "current_timestamp" not in text.lower() and "now()" not in text.lower(), name
    hub = files["duckdb/models/raw_vault/hubs/hub_order.sql"]
    assert '"order_hk"' in hub and '"order_id"' in hub


def test_schema_yml_has_data_vault_tests(repo: Path):
    files = render_files(load_spec(repo / "vault_spec"))
    models = {m["name"]: m for m in yaml.safe_load(files["duckdb/models/raw_vault/schema.yml"])["models"]}
    hub_columns = {c["name"]: c for c in models["hub_customer"]["columns"]}
    assert hub_columns["customer_hk"]["data_tests"] == ["unique", "not_null"]
    link_columns = {c["name"]: c for c in models["link_employee_manager"]["columns"]}
    relationship = link_columns["manager_hk"]["data_tests"][1]["relationships"]
    assert relationship["arguments"] == {"to": "ref('hub_employee')", "field": "employee_hk"}
    assert "config" not in relationship  # with ghost records both sentinel keys have hub rows: every key is checked
    satellite = models["sat_customer_details"]
    assert satellite["data_tests"][0] == {"vaultgen_unique_combination": {"arguments": {"columns": ["customer_hk", "load_ts"]}}}
    assert satellite["data_tests"][1:] == [
        {"vaultgen_no_consecutive_duplicate_hashdiff": {"arguments": {"keys": ["customer_hk"], "hashdiff": "hashdiff", "load_ts": "load_ts"}}},
        {"vaultgen_hashdiff_covers": {"arguments": {"hashdiff": "hashdiff", "columns": ["company_name", "contact_name", "contact_title", "address", "city",
                                                                                       "region", "postal_code", "country", "phone", "fax"]}}},
    ]


def test_a_model_can_be_excluded_from_one_target_and_tuned_per_target(tmp_path: Path):
    spec_dir = tmp_path / "spec"
    shutil.copytree(MINI, spec_dir)
    project = spec_dir / "project.yml"
    project.write_text(project.read_text().replace("  name: mini_vault\n", "  name: mini_vault\n  targets: [duckdb, spark, athena, snowflake]\n"))
    vault = spec_dir / "vault.yml"
    vault.write_text(vault.read_text().replace(
        "    name: order_details\n",
        "    name: order_details\n    targets:\n      spark: {enabled: false}\n"
        "      athena: {partition_by: [{column: load_ts, transform: day}, {column: order_hk, transform: bucket, buckets: 8}]}\n"
        "      snowflake: {cluster_by: [order_hk]}\n",
    ))
    files = render_files(load_spec(spec_dir))
    assert "duckdb/models/raw_vault/satellites/sat_order_details.sql" in files
    assert "spark/models/raw_vault/satellites/sat_order_details.sql" not in files
    assert "sat_order_details" not in files["spark/models/raw_vault/schema.yml"]
    athena = files["athena/models/raw_vault/satellites/sat_order_details.sql"]
    assert 'partitioned_by=["day(load_ts)", "bucket(8, order_hk)"]' in athena
    assert 'cluster_by=["ORDER_HK"]' in files["snowflake/models/raw_vault/satellites/sat_order_details.sql"]
    assert "cluster_by" not in files["snowflake/models/raw_vault/satellites/sat_customer_details.sql"]
