"""The synthesized Snowflake stack: layout, warehouse, roles and grants, Iceberg integration, PII masking."""

from __future__ import annotations

import pytest

from infra_cdktf.config import load_config

pytestmark = pytest.mark.infra

ENVS = ("dev", "prod")


def pii_columns(spec) -> list[tuple[str, str]]:
    return [(t.name, c.name) for _, t in spec.tables() for c in t.columns if c.sensitivity == "pii"]


def tagged_columns(synth) -> set[str]:
    associations = synth.resources("snowflake", "snowflake_tag_association").values()
    assert all(a["object_type"] == "COLUMN" and a["tag_value"] == "pii" for a in associations)
    return {identifier for a in associations for identifier in a["object_identifiers"]}


@pytest.mark.parametrize("env", ENVS)
def test_database_schemas_and_auto_suspending_warehouse(synthesized, env):
    synth, config = synthesized[env], load_config(env)
    (database,) = synth.resources("snowflake", "snowflake_database").values()
    assert database["name"] == config.snowflake_database
    schemas = {s["name"] for s in synth.resources("snowflake", "snowflake_schema").values()}
    assert {"RAW", "STAGING", "RAW_VAULT"} <= schemas
    (warehouse,) = synth.resources("snowflake", "snowflake_warehouse").values()
    assert warehouse["auto_suspend"] == config.snowflake.auto_suspend_seconds > 0
    assert warehouse["auto_resume"] == "true" and warehouse["initially_suspended"] is True
    assert warehouse["warehouse_size"] == config.snowflake.warehouse_size


def schema_privileges(synth, role: str) -> dict[str, set[str]]:
    """Schema name -> privileges a role holds on the schema itself or on its (current and future) objects."""
    schema_names = {key: body["name"] for key, body in synth.resources("snowflake", "snowflake_schema").items()}
    result: dict[str, set[str]] = {}
    for grant in synth.resources("snowflake", "snowflake_grant_privileges_to_account_role").values():
        if f".roles_{role}_" not in grant["account_role_name"]:
            continue
        objects = grant.get("on_schema_object", {})
        target = grant.get("on_schema", {}).get("schema_name") or (objects.get("all") or objects.get("future") or {}).get("in_schema")
        if target:
            (schema,) = [name for key, name in schema_names.items() if f"snowflake_schema.{key}." in target]
            result.setdefault(schema, set()).update(grant["privileges"])
    return result


@pytest.mark.parametrize("env", ENVS)
def test_roles_get_only_their_layers(synthesized, env):
    synth, config = synthesized[env], load_config(env)
    roles = {r["name"] for r in synth.resources("snowflake", "snowflake_account_role").values()}
    assert roles == {config.snowflake_role(p) for p in ("loader", "transformer", "reader")}
    assert schema_privileges(synth, "reader") == {"RAW_VAULT": {"USAGE", "SELECT"}}
    transformer = schema_privileges(synth, "transformer")
    assert transformer["RAW"] == {"USAGE", "SELECT"}
    assert transformer["STAGING"] == transformer["RAW_VAULT"] == {"USAGE", "CREATE TABLE", "CREATE VIEW"}
    assert set(transformer) == {"RAW", "STAGING", "RAW_VAULT"}
    assert schema_privileges(synth, "loader") == {"RAW": {"USAGE", "CREATE ICEBERG TABLE", "SELECT"}}


@pytest.mark.parametrize("env", ENVS)
def test_every_raw_table_is_an_iceberg_table_read_through_glue(synthesized, spec, env):
    synth, config = synthesized[env], load_config(env)
    tables = {t["catalog_table_name"]: t for t in synth.resources("snowflake", "snowflake_iceberg_table_from_aws_glue").values()}
    assert set(tables) == {t.name for _, t in spec.tables()} | {spec.project.raw.load_log_table}
    assert all(t["catalog_namespace"] == "raw" and t["name"] == name.upper() for name, t in tables.items())
    (volume,) = synth.resources("snowflake", "snowflake_external_volume").values()
    (location,) = volume["storage_location"]
    assert location["storage_base_url"] == f"{config.warehouse_uri()}/raw.db/"
    assert location["storage_aws_role_arn"] == config.role_arn(config.snowflake_access_role_name)
    assert volume["allow_writes"] == "false"
    (integration,) = synth.resources("snowflake", "snowflake_catalog_integration_aws_glue").values()
    assert integration["glue_catalog_id"] == config.aws_account_id and integration["glue_aws_role_arn"] == location["storage_aws_role_arn"]


@pytest.mark.parametrize("env", ENVS)
def test_every_pii_column_is_tagged_and_masked_for_its_type(synthesized, spec, env):
    synth, config = synthesized[env], load_config(env)
    database = config.snowflake_database
    expected = {f'"{database}"."RAW"."{table.upper()}"."{column}"' for table, column in pii_columns(spec)}
    assert len(expected) > 10  # northwind marks names, addresses, phones, birth dates, photos
    assert tagged_columns(synth) == expected
    policies = {p["return_data_type"]: p for p in synth.resources("snowflake", "snowflake_masking_policy").values()}
    # the spec's pii columns are strings, dates and binaries once in Iceberg
    assert set(policies) == {"VARCHAR", "DATE", "BINARY"}
    for data_type, policy in policies.items():
        assert policy["argument"] == [{"name": "val", "type": data_type}]
        assert "IS_ROLE_IN_SESSION('VAULTGEN_%s_TRANSFORMER')" % env.upper() in policy["body"]
        assert "READER" not in policy["body"]
    assert "'***MASKED***'" in policies["VARCHAR"]["body"] and "ELSE NULL" in policies["DATE"]["body"]
    (tag,) = synth.resources("snowflake", "snowflake_tag").values()
    assert len(tag["masking_policies"]) == len(policies)
    assert all(ref.startswith("${snowflake_masking_policy.") for ref in tag["masking_policies"])
