"""A change in the spec shows up in the synthesized stacks: a new pii column and a new table."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from tests.infra.conftest import run_synth

pytestmark = pytest.mark.infra


def test_new_pii_column_and_new_table_reach_glue_and_snowflake(repo, tmp_path):
    spec_dir = tmp_path / "vault_spec"
    shutil.copytree(repo / "vault_spec", spec_dir)
    source = spec_dir / "sources" / "northwind.yml"
    document = yaml.safe_load(source.read_text())
    tables = document["sources"][0]["tables"]
    customers = next(t for t in tables if t["name"] == "customers")
    customers["columns"].append({"name": "last_login", "type": "timestamp with time zone", "sensitivity": "pii"})
    tables.append({
        "name": "loyalty_cards", "primary_key": ["card_id"], "description": "Loyalty cards",
        "columns": [
            {"name": "card_id", "type": "bigint", "nullable": False},
            {"name": "holder_email", "type": "varchar(120)", "sensitivity": "pii"},
            {"name": "points", "type": "numeric(12,2)"},
        ],
    })
    source.write_text(yaml.safe_dump(document, sort_keys=False))

    synth = run_synth("dev", tmp_path / "out", spec_dir=spec_dir)

    glue = {t["name"]: t for t in synth.resources("aws", "aws_glue_catalog_table").values()}
    loyalty = [(c["name"], c["type"]) for c in glue["loyalty_cards"]["storage_descriptor"]["columns"]]
    assert loyalty == [("card_id", "bigint"), ("holder_email", "string"), ("points", "decimal(12,2)"), ("load_ts", "timestamp"), ("batch_id", "string")]
    customer_columns = [c["name"] for c in glue["customers"]["storage_descriptor"]["columns"]]
    assert customer_columns[-3:] == ["last_login", "load_ts", "batch_id"]
    fields = {f["name"]: f["type"] for f in glue["customers"]["open_table_format_input"]["iceberg_input"]["iceberg_table_input"]["schema"]["fields"]}
    assert fields["last_login"] == "timestamptz"

    tagged = {i for a in synth.resources("snowflake", "snowflake_tag_association").values() for i in a["object_identifiers"]}
    assert '"VAULTGEN_DEV"."RAW"."CUSTOMERS"."last_login"' in tagged
    assert '"VAULTGEN_DEV"."RAW"."LOYALTY_CARDS"."holder_email"' in tagged
    assert '"VAULTGEN_DEV"."RAW"."LOYALTY_CARDS"."points"' not in tagged
    # a timestamptz column is TIMESTAMP_LTZ in Snowflake: a masking policy of that type appears
    policies = {p["return_data_type"] for p in synth.resources("snowflake", "snowflake_masking_policy").values()}
    assert policies == {"VARCHAR", "DATE", "BINARY", "TIMESTAMP_LTZ"}
    snowflake_tables = {t["catalog_table_name"] for t in synth.resources("snowflake", "snowflake_iceberg_table_from_aws_glue").values()}
    assert "loyalty_cards" in snowflake_tables
    # the job ships the plan of the changed spec
    plan = next(o for o in synth.resources("aws", "aws_s3_object").values() if o["key"] == "plan/extract_plan.json")
    assert plan["source"].startswith("assets/")
    shipped = json.loads((synth.aws_dir / plan["source"]).read_text())
    assert "loyalty_cards" in [table["name"] for table in shipped["tables"]]
