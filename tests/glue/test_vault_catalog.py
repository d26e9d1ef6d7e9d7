"""The Glue Data Catalog definitions of the vault tables Athena reads: pure functions and the files in generated/.

Checked against the generated Athena dbt project itself: which models it persists, the Glue database dbt-athena
writes each one to, the columns its SQL selects, and its partitioning.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlglot
import yaml

from tests.conftest import REPO
from vaultgen.catalog.glue import catalog_type
from vaultgen.catalog.glue_vault import render_vault_glue_files, vault_iceberg_create_input, vault_table_inputs
from vaultgen.dialects.glue import CATALOG_TYPES
from vaultgen.emit.dbt_model import one_branch
from vaultgen.spec.loader import load_spec
from vaultgen.spec.model import TargetOptions, TargetSettings
from vaultgen.types import parse_source_type

GENERATED = REPO / "generated"
ATHENA = GENERATED / "athena"
LAYERS = ("raw_vault", "business_vault")
_CONFIG = re.compile(r"^\{\{ config\((.*)\) \}\}$", re.MULTILINE)
_JINJA = [
    (re.compile(r"\{\{ ref\('([a-z0-9_]+)'\) \}\}"), r"\1"),
    (re.compile(r"\{\{ source\('raw', '([a-z0-9_]+)'\) \}\}"), r"raw.\1"),
    (re.compile(r"\{\{ this \}\}"), "this_model"),
    (re.compile(r"\{\{ vaultgen_load_window\([^)]*\) \}\}"), "TRUE"),
]


@pytest.fixture(scope="module")
def spec():
    return load_spec(REPO / "vault_spec")


def _config(text: str) -> dict[str, object]:
    """The keyword arguments of the model's config() call (values are JSON)."""
    match = _CONFIG.search(text)
    if not match:
        return {}
    return {key: json.loads(value) for key, value in re.findall(r'(\w+)=("[^"]*"|\[[^\]]*\])', match.group(1))}


def _athena_database(layer: str) -> str:
    """The Glue database dbt-athena writes a model of models/<layer>/ to, from the generated project's own files."""
    project = yaml.safe_load((ATHENA / "dbt_project.yml").read_text())
    profile = yaml.safe_load((ATHENA / "profiles.yml").read_text())
    custom = project["models"][project["name"]][layer]["+schema"]
    macro = (ATHENA / "macros" / "generate_schema_name.sql").read_text()
    # the project's macro uses a custom schema as written (dbt's default would prefix the target schema)
    assert "{{ custom_schema_name | trim }}" in macro and "target.schema ~" not in macro
    assert profile[project["profile"]]["outputs"]["athena"]["database"] == "awsdatacatalog"  # Glue is Athena's catalog
    return custom


def _persisted_models() -> dict[tuple[str, str], Path]:
    """(database, table) -> model file of every model the Athena project persists in the vault layers."""
    models = {}
    for layer in LAYERS:
        for path in sorted((ATHENA / "models" / layer).rglob("*.sql")):
            if _config(path.read_text()).get("materialized", "view") != "view":
                models[(_athena_database(layer), path.stem)] = path
    return models


def _definitions_on_disk() -> dict[tuple[str, str], dict]:
    found = {}
    for layer in LAYERS:
        for path in sorted((GENERATED / "glue" / layer).glob("*.json")):
            definition = json.loads(path.read_text())
            assert (definition["DatabaseName"], definition["TableInput"]["Name"]) == (path.parent.name, path.stem)
            found[(path.parent.name, path.stem)] = definition
    return found


def test_every_persisted_athena_vault_model_has_exactly_one_definition_and_vice_versa():
    models, definitions = _persisted_models(), _definitions_on_disk()
    assert models and set(models) == set(definitions)
    assert {database for database, _ in definitions} == {"raw_vault", "business_vault"}
    assert ("raw_vault", "hub_customer") in definitions and ("business_vault", "pit_customer_by_day") in definitions
    # views (staging, virtual end-dating) and marts get none
    assert not any(name.endswith(("_history", "_current")) for _, name in definitions)
    assert not (GENERATED / "glue" / "marts").exists() and not (GENERATED / "glue" / "staging").exists()


def test_files_on_disk_are_what_the_spec_renders_and_deterministic(spec):
    files = render_vault_glue_files(spec)
    assert files == render_vault_glue_files(spec)
    on_disk = {str(path.relative_to(GENERATED)): path.read_text() for layer in LAYERS for path in (GENERATED / "glue" / layer).glob("*.json")}
    assert files == on_disk
    for text in files.values():
        assert text.endswith("}\n") and json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n" == text


def test_output_does_not_depend_on_the_hash_seed(spec):
    script = ("import hashlib, json; from pathlib import Path; from vaultgen.spec.loader import load_spec; "
              "from vaultgen.catalog.glue_vault import render_vault_glue_files; "
              f"print(hashlib.sha256(json.dumps(render_vault_glue_files(load_spec(Path({str(REPO / 'vault_spec')!r}))), sort_keys=True).encode()).hexdigest())")
    digests = {
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1


def _selected_columns(model: Path) -> list[str]:
    """The output columns of the model's full-build SQL, as Athena would see them."""
    text = model.read_text()
    body = one_branch(text.split("}}\n", 1)[1], incremental=False)
    for pattern, replacement in _JINJA:
        body = pattern.sub(replacement, body)
    assert "{" not in body, model
    return sqlglot.parse_one(body, read="athena").named_selects


def test_columns_are_in_the_order_the_athena_sql_selects_them():
    models = _persisted_models()
    for key, definition in _definitions_on_disk().items():
        columns = [c["Name"] for c in definition["TableInput"]["StorageDescriptor"]["Columns"]]
        assert columns == _selected_columns(models[key]), key


def test_partition_spec_is_the_models_partitioned_by():
    models = _persisted_models()
    written = {"identity": "{c}", "day": "day({c})", "month": "month({c})", "year": "year({c})", "hour": "hour({c})"}
    partitioned = 0
    for key, definition in _definitions_on_disk().items():
        fields = json.loads(definition["TableInput"]["Parameters"].get("vaultgen.partition-spec", "[]"))
        as_config = []
        for field in fields:
            bucket = re.fullmatch(r"bucket\[(\d+)\]", field["transform"])
            as_config.append(f"bucket({bucket.group(1)}, {field['source']})" if bucket else written[field["transform"]].format(c=field["source"]))
        assert as_config == _config(models[key].read_text()).get("partitioned_by", []), key
        partitioned += bool(fields)
    assert partitioned > 10  # satellites and record tracking by day, link_order_product by bucket


def test_types_hash_keys_hex_load_timestamps_as_utc_wall_clock_and_payload_from_the_source(spec):
    definitions = {(d["DatabaseName"], d["TableInput"]["Name"]): d["TableInput"] for d in vault_table_inputs(spec)}
    for table in definitions.values():
        assert table["Parameters"]["table_type"] == "ICEBERG" and table["Parameters"]["format-version"] == "2"
        assert table["Parameters"]["write.parquet.compression-codec"] == "zstd" and table["PartitionKeys"] == []
        for column in table["StorageDescriptor"]["Columns"]:
            if column["Name"].endswith(("_hk", "hashdiff")):
                assert column["Type"] == "string", (table["Name"], column)
            elif column["Name"].endswith("load_ts"):
                assert column["Type"] == "timestamp"
            elif "Parameters" in column:
                source_type = parse_source_type(column["Parameters"]["vaultgen.source_type"])
                expected = "timestamp" if source_type.logical == "timestamptz" else catalog_type(source_type)[0]
                assert column["Type"] == expected
    hub = [(c["Name"], c["Type"]) for c in definitions[("raw_vault", "hub_region")]["StorageDescriptor"]["Columns"]]
    assert hub == [("region_hk", "string"), ("region_id", "int"), ("load_ts", "timestamp"), ("record_source", "string")]
    status = definitions[("raw_vault", "rts_customer_status")]["StorageDescriptor"]["Columns"]
    assert [(c["Name"], c["Type"]) for c in status][-1] == ("is_present", CATALOG_TYPES["boolean"].glue)
    pii = next(c for c in definitions[("raw_vault", "sat_customer_details")]["StorageDescriptor"]["Columns"] if c["Name"] == "contact_name")
    assert pii["Parameters"]["vaultgen.sensitivity"] == "pii"


def test_disabled_on_athena_means_no_definition(spec):
    names = lambda s: {d["TableInput"]["Name"] for d in vault_table_inputs(s)}  # noqa: E731
    assert "sat_customer_details" in names(spec)
    own = spec.model_copy(update={"entities": [
        e.model_copy(update={"targets": {"athena": TargetOptions(enabled=False)}}) if e.name == "customer_details" else e for e in spec.entities
    ]})
    assert names(own) == names(spec) - {"sat_customer_details"}
    settings = {**spec.project.target_settings, "athena": TargetSettings(defaults={"pit": TargetOptions(enabled=False)})}
    by_kind = spec.model_copy(update={"project": spec.project.model_copy(update={"target_settings": settings})})
    assert not any(name.startswith("pit_") for name in names(by_kind)) and "bridge_customer_order_product" in names(by_kind)
    no_athena = spec.model_copy(update={"project": spec.project.model_copy(update={"targets": ["duckdb"]})})
    assert render_vault_glue_files(no_athena) == {}


def test_iceberg_create_input_follows_the_definition(spec):
    link = vault_iceberg_create_input(spec, "raw_vault", "link_order_product", "s3://lake/raw_vault.db/link_order_product")
    definition = next(d for d in vault_table_inputs(spec) if d["TableInput"]["Name"] == "link_order_product")
    assert [f["Name"] for f in link["Schema"]["Fields"]] == [c["Name"] for c in definition["TableInput"]["StorageDescriptor"]["Columns"]]
    assert link["PartitionSpec"]["Fields"] == [{"SourceId": 1, "Transform": "bucket[16]", "Name": "order_product_hk_bucket", "FieldId": 1000}]
    load_ts = next(f for f in link["Schema"]["Fields"] if f["Name"] == "load_ts")
    assert load_ts["Type"] == "timestamp"  # not timestamptz: Athena's CREATE TABLE AS cannot make that column
