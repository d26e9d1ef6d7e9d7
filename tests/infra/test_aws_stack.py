"""The synthesized AWS stack: encryption, exposure, least privilege and the spec's raw tables, per environment."""

from __future__ import annotations

import json

import pytest

from infra_cdktf.config import load_config
from vaultgen.types import parse_source_type

pytestmark = pytest.mark.infra

ENVS = ("dev", "prod")
DATA_BUCKETS = ("warehouse", "athena-results", "glue-scripts")
ALL_BUCKETS = (*DATA_BUCKETS, "access-logs")


def ref(kind: str, key: str, attribute: str = "id") -> str:
    return f"${{{kind}.{key}.{attribute}}}"


def bucket_key(synth, purpose: str) -> str:
    return next(key for key in synth.resources("aws", "aws_s3_bucket") if key.startswith(f"storage_{purpose}_"))


def attached(synth, kind: str, bucket: str) -> dict:
    """The one `kind` resource (versioning, encryption, ...) whose bucket is the given bucket resource."""
    matches = [body for body in synth.resources("aws", kind).values() if body["bucket"] == ref("aws_s3_bucket", bucket)]
    assert len(matches) == 1, f"{kind} for {bucket}: {len(matches)}"
    return matches[0]


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("purpose", ALL_BUCKETS)
def test_every_bucket_is_versioned_private_and_tls_only(synthesized, env, purpose):
    synth = synthesized[env]
    key = bucket_key(synth, purpose)
    config = load_config(env)
    assert synth.resources("aws", "aws_s3_bucket")[key]["bucket"] == config.bucket_name(purpose)
    assert attached(synth, "aws_s3_bucket_versioning", key)["versioning_configuration"]["status"] == "Enabled"
    block = attached(synth, "aws_s3_bucket_public_access_block", key)
    assert all(block[flag] is True for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"))
    assert attached(synth, "aws_s3_bucket_ownership_controls", key)["rule"]["object_ownership"] == "BucketOwnerEnforced"
    policy = json.loads(attached(synth, "aws_s3_bucket_policy", key)["policy"])
    deny = next(s for s in policy["Statement"] if s["Effect"] == "Deny")
    assert deny["Action"] == ["s3:*"] and deny["Principal"] == "*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert set(deny["Resource"]) == {ref("aws_s3_bucket", key, "arn"), ref("aws_s3_bucket", key, "arn") + "/*"}


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("purpose", DATA_BUCKETS)
def test_data_buckets_use_the_environment_kms_key_and_log_access(synthesized, env, purpose):
    synth = synthesized[env]
    key = bucket_key(synth, purpose)
    (kms_key,) = synth.resources("aws", "aws_kms_key")
    assert synth.resources("aws", "aws_kms_key")[kms_key]["enable_key_rotation"] is True
    rule = attached(synth, "aws_s3_bucket_server_side_encryption_configuration", key)["rule"][0]
    default = rule["apply_server_side_encryption_by_default"]
    assert default == {"sse_algorithm": "aws:kms", "kms_master_key_id": ref("aws_kms_key", kms_key, "arn")}
    logging = attached(synth, "aws_s3_bucket_logging", key)
    assert logging["target_bucket"] == ref("aws_s3_bucket", bucket_key(synth, "access-logs"))


@pytest.mark.parametrize("env", ENVS)
def test_aurora_is_serverless_v2_auto_pausing_encrypted_and_private(synthesized, env):
    synth, config = synthesized[env], load_config(env)
    (cluster,) = synth.resources("aws", "aws_rds_cluster").values()
    scaling = cluster["serverlessv2_scaling_configuration"]
    assert scaling["min_capacity"] == 0
    assert scaling["max_capacity"] == config.aurora.max_capacity
    assert scaling["seconds_until_auto_pause"] == config.aurora.seconds_until_auto_pause
    assert cluster["engine"] == "aurora-postgresql" and cluster["engine_mode"] == "provisioned"
    assert cluster["storage_encrypted"] is True and cluster["kms_key_id"].startswith("${aws_kms_key.")
    assert cluster["manage_master_user_password"] is True and "master_password" not in cluster
    assert cluster["master_user_secret_kms_key_id"].startswith("${aws_kms_key.")
    instances = synth.resources("aws", "aws_rds_cluster_instance").values()
    assert len(instances) == config.aurora.instances
    assert all(i["publicly_accessible"] is False and i["instance_class"] == "db.serverless" for i in instances)
    # The database accepts PostgreSQL only from the Glue job's security group.
    (rule,) = synth.resources("aws", "aws_security_group_rule").values()
    assert (rule["type"], rule["from_port"], rule["to_port"]) == ("ingress", 5432, 5432)
    assert "glue-network" in rule["source_security_group_id"]


@pytest.mark.parametrize("env", ENVS)
def test_athena_workgroup_enforces_encrypted_results_in_its_bucket(synthesized, env):
    synth = synthesized[env]
    (workgroup,) = synth.resources("aws", "aws_athena_workgroup").values()
    configuration = workgroup["configuration"]
    assert configuration["enforce_workgroup_configuration"] is True
    result = configuration["result_configuration"]
    assert result["output_location"] == f"s3://{load_config(env).bucket_name('athena-results')}/results/"
    assert result["encryption_configuration"]["encryption_option"] == "SSE_KMS"
    assert result["encryption_configuration"]["kms_key_arn"].startswith("${aws_kms_key.")


def role_policy(synth, role_part: str) -> list[dict]:
    policies = [
        json.loads(body["policy"]) for body in synth.resources("aws", "aws_iam_role_policy").values() if role_part in body["role"]
    ]
    assert len(policies) == 1
    return policies[0]["Statement"]


@pytest.mark.parametrize("env", ENVS)
def test_glue_job_role_is_scoped_to_its_buckets_database_secret_and_key(synthesized, env):
    synth, config = synthesized[env], load_config(env)
    statements = role_policy(synth, "glue-role")
    for item in statements:
        assert item["Effect"] == "Allow"
        assert all("*" not in action.split(":")[1] or action.startswith("ec2:Describe") for action in item["Action"])
        if item["Resource"] == ["*"]:  # only actions that cannot be scoped, and metrics only under a namespace
            assert all(a.startswith("ec2:Describe") or a == "cloudwatch:PutMetricData" for a in item["Action"])
    by_sid = {item["Sid"]: item for item in statements}
    warehouse, scripts = bucket_key(synth, "warehouse"), bucket_key(synth, "glue-scripts")
    assert by_sid["WriteRawTables"]["Resource"] == [ref("aws_s3_bucket", warehouse, "arn") + "/raw.db/*"]
    assert set(by_sid["ListBuckets"]["Resource"]) == {ref("aws_s3_bucket", warehouse, "arn"), ref("aws_s3_bucket", scripts, "arn")}
    glue_base = f"arn:aws:glue:{config.region}:{config.aws_account_id}"
    assert by_sid["CommitRawTables"]["Resource"] == [f"{glue_base}:catalog", f"{glue_base}:database/raw", f"{glue_base}:table/raw/*"]
    assert "glue:CreateTable" not in by_sid["CommitRawTables"]["Action"]  # tables belong to Terraform
    assert by_sid["ReadSourceSecret"]["Resource"][0].endswith(".master_user_secret[0].secret_arn}")
    assert by_sid["UseDataKey"]["Resource"][0].startswith("${aws_kms_key.")
    assert by_sid["PublishJobMetrics"]["Condition"] == {"StringEquals": {"cloudwatch:namespace": "Glue"}}
    all_actions = {action for item in statements for action in item["Action"]}
    assert not any(action.endswith(":*") for action in all_actions)


@pytest.mark.parametrize("env", ENVS)
def test_snowflake_role_reads_only_the_raw_layer_and_trusts_snowflake_with_external_ids(synthesized, env):
    synth, config = synthesized[env], load_config(env)
    statements = role_policy(synth, "snowflake-role")
    actions = {action for item in statements for action in item["Action"]}
    assert not actions & {"s3:PutObject", "s3:DeleteObject", "glue:UpdateTable", "glue:CreateTable"}
    (role,) = [r for r in synth.resources("aws", "aws_iam_role").values() if r["name"] == config.snowflake_access_role_name]
    (trust,) = json.loads(role["assume_role_policy"])["Statement"]
    assert trust["Principal"] == {"AWS": config.snowflake.trust.iam_user_arn}
    assert config.snowflake.external_volume_external_id in trust["Condition"]["StringEquals"]["sts:ExternalId"]


@pytest.mark.parametrize("env", ENVS)
def test_every_spec_table_is_a_glue_iceberg_table_with_the_spec_columns(synthesized, spec, env):
    synth = synthesized[env]
    tables = {body["name"]: body for body in synth.resources("aws", "aws_glue_catalog_table").values()}
    raw = spec.project.raw
    expected_glue = {"int16": "int", "int32": "int", "int64": "bigint", "float32": "float", "float64": "double",
                     "string": "string", "binary": "binary", "boolean": "boolean", "date": "date", "timestamp": "timestamp"}
    for _, table in spec.tables():
        body = tables.pop(table.name)
        assert body["database_name"].startswith("${aws_glue_catalog_database.catalog_db-raw_")
        assert body["parameters"]["table_type"] == "ICEBERG"
        iceberg = body["open_table_format_input"]["iceberg_input"]
        assert (iceberg["metadata_operation"], iceberg["version"]) == ("CREATE", "2")
        columns = [(c["name"], c["type"]) for c in body["storage_descriptor"]["columns"]]
        assert [name for name, _ in columns] == [c.name for c in table.columns] + [raw.load_timestamp_column, raw.batch_id_column]
        for column, (_, glue_type) in zip(table.columns, columns):
            logical = parse_source_type(column.type).logical
            if logical in expected_glue:
                assert glue_type == expected_glue[logical], column.name
        fields = {f["name"]: f for f in iceberg["iceberg_table_input"]["schema"]["fields"]}
        assert fields[raw.load_timestamp_column]["type"] == "timestamptz"
        (partition,) = iceberg["iceberg_table_input"]["partition_spec"]["fields"]
        assert (partition["source_id"], partition["transform"]) == (fields[raw.load_timestamp_column]["id"], "day")
        assert body["storage_descriptor"]["location"] == f"{load_config(env).warehouse_uri()}/raw.db/{table.name}"
    assert set(tables) == {raw.load_log_table}  # nothing else but the load log


@pytest.mark.parametrize("env", ENVS)
def test_glue_job_takes_version_and_workers_from_configuration(synthesized, env):
    synth, config = synthesized[env], load_config(env)
    (job,) = synth.resources("aws", "aws_glue_job").values()
    assert (job["glue_version"], job["worker_type"], job["number_of_workers"]) == (
        config.glue.glue_version, config.glue.worker_type, config.glue.number_of_workers)
    scripts = config.bucket_name("glue-scripts")
    assert job["command"]["script_location"] == f"s3://{scripts}/jobs/job.py"
    arguments = job["default_arguments"]
    assert arguments["--datalake-formats"] == "iceberg"
    assert arguments["--plan_uri"] == f"s3://{scripts}/plan/extract_plan.json"
    assert f"spark.sql.catalog.glue_catalog.warehouse={config.warehouse_uri()}" in arguments["--conf"]
    assert job["security_configuration"].startswith("${aws_glue_security_configuration.")
    uploads = {body["key"] for body in synth.resources("aws", "aws_s3_object").values()}
    assert {"jobs/job.py", "jobs/glue.zip", "plan/extract_plan.json"} <= uploads


def test_environments_differ_where_the_configuration_says(synthesized):
    dev, prod = synthesized["dev"], synthesized["prod"]
    # dev: no NAT and no interface endpoints (no idle cost); prod: interface endpoints, still no NAT
    assert not dev.resources("aws", "aws_nat_gateway") and not prod.resources("aws", "aws_nat_gateway")
    def interface_endpoints(synth):
        return [e for e in synth.resources("aws", "aws_vpc_endpoint").values() if e["vpc_endpoint_type"] == "Interface"]
    assert interface_endpoints(dev) == []
    assert {e["service_name"].rsplit(".", 1)[1] for e in interface_endpoints(prod)} == set(load_config("prod").network.endpoint_services)
    assert [e["vpc_endpoint_type"] for e in dev.resources("aws", "aws_vpc_endpoint").values()] == ["Gateway"]
    for synth in (dev, prod):
        assert all(s["map_public_ip_on_launch"] is False for s in synth.resources("aws", "aws_subnet").values())


def test_nat_toggle_adds_a_nat_gateway_and_https_egress(tmp_path):
    from dataclasses import replace

    from tests.infra.conftest import run_synth

    config = load_config("dev")
    config = replace(config, network=replace(config.network, nat_gateway=True))
    synth = run_synth("dev", tmp_path, config=config)
    (nat,) = synth.resources("aws", "aws_nat_gateway").values()
    routes = synth.resources("aws", "aws_route").values()
    assert any(r.get("nat_gateway_id", "").startswith("${aws_nat_gateway.") and r["destination_cidr_block"] == "0.0.0.0/0" for r in routes)
    glue_sg = next(sg for sg in synth.resources("aws", "aws_security_group").values() if sg["name"] == "vaultgen-dev-glue-job")
    assert any(rule["cidr_blocks"] == ["0.0.0.0/0"] and rule["from_port"] == 443 for rule in glue_sg["egress"])


@pytest.mark.parametrize("env", ENVS)
def test_state_is_remote_in_s3_with_locking(synthesized, env):
    for stack in ("aws", "snowflake"):
        backend = getattr(synthesized[env], stack)["terraform"]["backend"]["s3"]
        assert backend["use_lockfile"] is True and backend["encrypt"] is True
        assert backend["key"] == f"vaultgen-{stack}-{env}/terraform.tfstate"


def test_dynamodb_locking_is_the_alternative(tmp_path):
    from dataclasses import replace

    from infra_cdktf.config import StateConfig
    from tests.infra.conftest import run_synth

    config = replace(load_config("prod"), state=StateConfig(lock="dynamodb", dynamodb_table="locks"))
    backend = run_synth("prod", tmp_path, config=config).aws["terraform"]["backend"]["s3"]
    assert backend["dynamodb_table"] == "locks" and "use_lockfile" not in backend
