"""The synthesized run orchestration: the state machine's states, their order (from the spec's load waves), retries,
timeouts and failure path (parsed from the ASL definition in cdk.tf.json), its wiring to the Glue job and the dbt
runners, the runners' projects, the schedule and on-demand start, and least-privilege roles."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import yaml

from infra_cdktf.config import load_config
from infra_cdktf.orchestration import NOTIFY, FAILED, SUCCEEDED
from vaultgen.emit.selectors import load_waves, run_sequence

pytestmark = pytest.mark.infra

ENVS = ("dev", "prod")


def key_of(synth, kind: str, part: str) -> str:
    keys = [key for key in synth.resources("aws", kind) if part in key]
    assert len(keys) == 1, (kind, part, keys)
    return keys[0]


def machine(synth) -> tuple[dict, dict]:
    body = synth.one("aws", "aws_sfn_state_machine", "orchestration")
    return body, json.loads(body["definition"])


def chain(asl: dict) -> list[str]:
    """The states from StartAt following Next, up to the end."""
    names, current = [], asl["StartAt"]
    while current is not None:
        names.append(current)
        current = asl["States"][current].get("Next")
    return names


def policy(synth, role_part: str) -> list[dict]:
    role_key = key_of(synth, "aws_iam_role", role_part)
    bodies = [b for b in synth.resources("aws", "aws_iam_role_policy").values() if b["role"] == f"${{aws_iam_role.{role_key}.id}}"]
    assert len(bodies) == 1
    return json.loads(bodies[0]["policy"])["Statement"]


@pytest.mark.parametrize("env", ENVS)
def test_states_run_in_the_order_of_the_spec_waves(synthesized, spec, env):
    _, asl = machine(synthesized[env])
    waves = [wave.selector for wave in load_waves(spec)]
    assert waves == ["load_staging", "source_northwind_raw_vault", "business_vault", "marts"]
    assert chain(asl) == ["ExtractRaw", *[f"Build_{w}" for w in waves], "RefreshSnowflake", SUCCEEDED]
    assert chain(asl)[:-1] == [step.name for step in run_sequence(spec)]
    assert set(asl["States"]) == {*chain(asl), NOTIFY, FAILED}
    builds = [asl["States"][f"Build_{w}"]["Parameters"]["EnvironmentVariablesOverride"] for w in waves]
    assert [{v["Name"]: v["Value"] for v in b}["VAULTGEN_SELECTORS"] for b in builds] == waves  # one wave per build
    snowflake = {v["Name"]: v["Value"] for v in asl["States"]["RefreshSnowflake"]["Parameters"]["EnvironmentVariablesOverride"]}
    assert snowflake["VAULTGEN_SELECTORS"].split() == waves and snowflake["VAULTGEN_CHECK_FRESHNESS"] == "true"


@pytest.mark.parametrize("env", ENVS)
def test_every_task_has_a_timeout_narrow_retries_and_the_failure_path(synthesized, env):
    config = load_config(env)
    _, asl = machine(synthesized[env])
    assert asl["TimeoutSeconds"] == config.orchestration.run_timeout_minutes * 60
    tasks = [name for name in chain(asl)[:-1]]
    for name in tasks:
        state = asl["States"][name]
        assert state["Type"] == "Task" and state["TimeoutSeconds"] > 0, name
        retried = {error for rule in state["Retry"] for error in rule["ErrorEquals"]}
        assert retried and not retried & {"States.ALL", "States.TaskFailed", "States.Timeout"}, (name, retried)  # a failed build never reruns
        assert all(rule["MaxAttempts"] == config.orchestration.task_retries for rule in state["Retry"])
        assert state["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": NOTIFY}]
    extract = asl["States"]["ExtractRaw"]
    assert extract["TimeoutSeconds"] > config.glue.timeout_minutes * 60  # the Glue job's own timeout fires first
    assert asl["States"]["Build_marts"]["TimeoutSeconds"] > config.orchestration.build_timeout_minutes * 60
    notify = asl["States"][NOTIFY]
    topic = key_of(synthesized[env], "aws_sns_topic", "orchestration")
    assert notify["Resource"] == "arn:aws:states:::sns:publish" and notify["Parameters"]["TopicArn"] == f"${{aws_sns_topic.{topic}.arn}}"
    assert notify["Next"] == FAILED and asl["States"][FAILED]["Type"] == "Fail"


def test_prod_gives_builds_more_time_than_dev(synthesized):
    dev, prod = (machine(synthesized[env])[1]["States"]["Build_marts"]["TimeoutSeconds"] for env in ENVS)
    assert prod > dev


@pytest.mark.parametrize("env", ENVS)
def test_states_are_wired_to_the_glue_job_and_the_dbt_runners(synthesized, spec, env):
    synth = synthesized[env]
    _, asl = machine(synth)
    glue_job = key_of(synth, "aws_glue_job", "glue-job")
    extract = asl["States"]["ExtractRaw"]
    assert extract["Resource"] == "arn:aws:states:::glue:startJobRun.sync"
    assert extract["Parameters"]["JobName"] == f"${{aws_glue_job.{glue_job}.name}}"
    athena, snowflake = (key_of(synth, "aws_codebuild_project", part) for part in ("athena-runner", "snowflake-runner"))
    for name in chain(asl)[1:-1]:
        state = asl["States"][name]
        assert state["Resource"] == "arn:aws:states:::codebuild:startBuild.sync"
        expected = snowflake if name == "RefreshSnowflake" else athena
        assert state["Parameters"]["ProjectName"] == f"${{aws_codebuild_project.{expected}.name}}"
    scripts_bucket = key_of(synth, "aws_s3_bucket", "storage_glue-scripts")
    for target, key in (("athena", athena), ("snowflake", snowflake)):
        project = synth.resources("aws", "aws_codebuild_project")[key]
        assert project["source"]["type"] == "S3"
        assert project["source"]["location"] == f"${{aws_s3_bucket.{scripts_bucket}.bucket}}/runner/{target}.zip"
        buildspec = yaml.safe_load(project["source"]["buildspec"])
        assert any("--selector" in command for command in buildspec["phases"]["build"]["commands"])
        assert project["environment"]["privileged_mode"] is False and project["encryption_key"].startswith("${aws_kms_key.")
        upload = next(b for b in synth.resources("aws", "aws_s3_object").values() if b["key"] == f"runner/{target}.zip")
        assert project["source_version"].startswith("${aws_s3_object.")
        archive = Path(synth.aws_dir) / upload["source"]
        with zipfile.ZipFile(archive) as project_zip:
            names = set(project_zip.namelist())
            assert {"dbt_project.yml", "profiles.yml", "selectors.yml", "models/sources.yml"} <= names, sorted(names)[:10]
            selectors = yaml.safe_load(project_zip.read("selectors.yml"))
        assert {wave.selector for wave in load_waves(spec)} <= {s["name"] for s in selectors["selectors"]}


@pytest.mark.parametrize("env", ENVS)
def test_schedule_on_demand_start_and_failure_notices(synthesized, env):
    synth, config = synthesized[env], load_config(env)
    machine_key = key_of(synth, "aws_sfn_state_machine", "orchestration")
    schedule = synth.one("aws", "aws_cloudwatch_event_rule", "orchestration_schedule")
    assert schedule["schedule_expression"] == config.orchestration.schedule and schedule["state"] == "ENABLED"
    on_demand = json.loads(synth.one("aws", "aws_cloudwatch_event_rule", "orchestration_on-demand")["event_pattern"])
    assert on_demand == {"source": ["vaultgen"], "detail-type": ["run requested"]}
    targets = synth.resources("aws", "aws_cloudwatch_event_target")
    starts = [t for t in targets.values() if t["arn"] == f"${{aws_sfn_state_machine.{machine_key}.arn}}"]
    assert len(starts) == 2 and all(t["role_arn"].startswith("${aws_iam_role.") for t in starts)
    ended = json.loads(synth.one("aws", "aws_cloudwatch_event_rule", "ended-badly")["event_pattern"])
    assert set(ended["detail"]["status"]) == {"ABORTED", "TIMED_OUT"}
    topic = key_of(synth, "aws_sns_topic", "orchestration")
    assert synth.resources("aws", "aws_sns_topic")[topic]["kms_master_key_id"].startswith("${aws_kms_key.")
    assert any(t["arn"] == f"${{aws_sns_topic.{topic}.arn}}" for t in targets.values())
    body, _ = machine(synth)
    assert body["tracing_configuration"]["enabled"] is True and body["logging_configuration"]["level"] == "ERROR"


@pytest.mark.parametrize("env", ENVS)
def test_roles_are_least_privilege(synthesized, spec, env):
    synth, config = synthesized[env], load_config(env)
    account = f"{config.region}:{config.aws_account_id}"
    statements = {s["Sid"]: s for s in policy(synth, "orchestration_machine-role")}
    glue_job = key_of(synth, "aws_glue_job", "glue-job")
    assert statements["RunExtractJob"]["Resource"] == [f"arn:aws:glue:{account}:job/${{aws_glue_job.{glue_job}.name}}"]
    assert sorted(statements["RunDbtBuilds"]["Resource"]) == sorted(
        f"${{aws_codebuild_project.{key_of(synth, 'aws_codebuild_project', part)}.arn}}" for part in ("athena-runner", "snowflake-runner"))
    wildcard = {sid for sid, s in statements.items() if "*" in s["Resource"]}
    assert wildcard == {"DeliverLogs", "Trace"}  # AWS allows no resource for these
    assert all(not action.endswith(":*") for s in statements.values() for action in s["Action"])
    athena = {s["Sid"]: s for s in policy(synth, "orchestration_athena-runner-role")}
    assert not any("*" == r for s in athena.values() for r in s["Resource"])
    assert athena["ReadRawData"]["Action"] == ["s3:GetObject"]  # the raw layer is read-only for dbt
    raw = spec.project.raw.schema_name
    assert {f"arn:aws:glue:{account}:database/{raw}", f"arn:aws:glue:{account}:table/{raw}/*"}.isdisjoint(athena["BuildVaultCatalog"]["Resource"])
    snowflake = {s["Sid"]: s for s in policy(synth, "orchestration_snowflake-runner-role")}
    assert "RunAthenaQueries" not in snowflake and snowflake["ReadSnowflakeSecret"]["Resource"] == [
        f"arn:aws:secretsmanager:{account}:secret:{config.orchestration.snowflake_secret_name}-*"]
