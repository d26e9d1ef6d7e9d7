"""The state machine of an unattended run, as Amazon States Language built from the spec's run sequence.

Pure: names and ARNs come in (Terraform references resolve at synth), the ASL document goes out. The order is
vaultgen.emit.selectors.run_sequence, the same list the local stand-in runs: the Glue extract, one CodeBuild
`dbt build --selector <wave>` per load wave on the Athena project, then the Snowflake project's refresh.
Every task has a timeout, retries only errors that mean "try again later" (throttling, capacity, a concurrent
run), and catches everything else into one failure path: notify through SNS, then fail the execution.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from vaultgen.emit.selectors import RunStep

GLUE_RUN = "arn:aws:states:::glue:startJobRun.sync"
CODEBUILD_RUN = "arn:aws:states:::codebuild:startBuild.sync"
SNS_PUBLISH = "arn:aws:states:::sns:publish"
NOTIFY, FAILED, SUCCEEDED = "NotifyFailure", "RunFailed", "RunSucceeded"
# errors worth retrying: the service was busy, never "the job or the build failed"
RETRYABLE = {
    "extract": ["Glue.ConcurrentRunsExceededException", "Glue.ThrottlingException", "Glue.InternalServiceException"],
    "dbt_build": ["CodeBuild.AccountLimitExceededException", "CodeBuild.ThrottlingException"],
    "snowflake_refresh": ["CodeBuild.AccountLimitExceededException", "CodeBuild.ThrottlingException"],
}
SLACK_SECONDS = 600  # a task's timeout over its job's own: start-up and queueing


@dataclass(frozen=True)
class Wiring:
    glue_job_name: str
    athena_runner: str  # CodeBuild project names
    snowflake_runner: str
    topic_arn: str
    glue_timeout_minutes: int
    build_timeout_minutes: int
    run_timeout_minutes: int
    retries: int
    environment: str


def _retry(action: str, retries: int) -> list[dict[str, Any]]:
    return [{"ErrorEquals": RETRYABLE[action], "IntervalSeconds": 60, "MaxAttempts": retries, "BackoffRate": 2.0, "MaxDelaySeconds": 900}]


def _catch() -> list[dict[str, Any]]:
    return [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": NOTIFY}]


def _variables(**values: str) -> list[dict[str, str]]:
    return [{"Name": name, "Value": value, "Type": "PLAINTEXT"} for name, value in values.items()]


def _task(step: RunStep, wiring: Wiring, selectors: list[str]) -> dict[str, Any]:
    if step.action == "extract":
        # the batch's load timestamp is the execution's start: a retried or redriven extract reloads the same batch
        parameters: dict[str, Any] = {"JobName": wiring.glue_job_name, "Arguments": {"--load_ts.$": "$$.Execution.StartTime"}}
        return {"Resource": GLUE_RUN, "Parameters": parameters, "TimeoutSeconds": wiring.glue_timeout_minutes * 60 + SLACK_SECONDS}
    if step.action == "dbt_build":
        parameters = {"ProjectName": wiring.athena_runner,
                      "EnvironmentVariablesOverride": _variables(VAULTGEN_DBT_COMMAND="build", VAULTGEN_SELECTORS=str(step.selector))}
        return {"Resource": CODEBUILD_RUN, "Parameters": parameters, "TimeoutSeconds": wiring.build_timeout_minutes * 60 + SLACK_SECONDS}
    if step.action == "snowflake_refresh":
        # Snowflake reads the raw Iceberg tables through Glue (auto-refreshed): check they hold the new batch
        # (dbt source freshness), then build every wave of the Snowflake project in one runner
        parameters = {"ProjectName": wiring.snowflake_runner,
                      "EnvironmentVariablesOverride": _variables(VAULTGEN_DBT_COMMAND="build", VAULTGEN_SELECTORS=" ".join(selectors),
                                                                 VAULTGEN_CHECK_FRESHNESS="true")}
        return {"Resource": CODEBUILD_RUN, "Parameters": parameters, "TimeoutSeconds": wiring.build_timeout_minutes * 60 * len(selectors) + SLACK_SECONDS}
    raise ValueError(f"unknown run step action {step.action!r}")


def definition(steps: list[RunStep], wiring: Wiring) -> dict[str, Any]:
    """The ASL document: the steps in order, then success; any error -> NotifyFailure -> RunFailed."""
    selectors = [step.selector for step in steps if step.action == "dbt_build" and step.selector]
    states: dict[str, Any] = {}
    for index, step in enumerate(steps):
        following = steps[index + 1].name if index + 1 < len(steps) else SUCCEEDED
        states[step.name] = {"Type": "Task", "Comment": step.selector or step.action, **_task(step, wiring, selectors),
                             "ResultPath": None, "Retry": _retry(step.action, wiring.retries), "Catch": _catch(), "Next": following}
    states[SUCCEEDED] = {"Type": "Succeed"}
    states[NOTIFY] = {
        "Type": "Task", "Resource": SNS_PUBLISH,
        "Parameters": {"TopicArn": wiring.topic_arn, "Subject": f"vaultgen {wiring.environment}: run failed",
                       "Message.$": "States.Format('Execution {} failed: {}', $$.Execution.Id, States.JsonToString($.error))"},
        "ResultPath": None, "TimeoutSeconds": 60,
        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 5, "MaxAttempts": 3, "BackoffRate": 2.0}],
        "Next": FAILED,
    }
    states[FAILED] = {"Type": "Fail", "Error": "VaultgenRunFailed", "Cause": "a step failed: see the notification and the execution history"}
    return {"Comment": f"vaultgen {wiring.environment}: extract, dbt build wave by wave, Snowflake refresh", "StartAt": steps[0].name,
            "TimeoutSeconds": wiring.run_timeout_minutes * 60, "States": states}


def definition_json(steps: list[RunStep], wiring: Wiring) -> str:
    return json.dumps(definition(steps, wiring), indent=2)


def buildspec(packages: tuple[str, ...]) -> str:
    """The dbt runner's CodeBuild buildspec: install the pinned dbt, then `dbt <command> --selector <s>` for each
    selector of VAULTGEN_SELECTORS in order, stopping at the first failure (optionally `dbt source freshness`
    first). The project and its profile are the build's source (the zip the stack uploads). No `${` in it:
    Terraform would read that as its own interpolation."""
    commands = [
        'if [ "$VAULTGEN_CHECK_FRESHNESS" = true ]; then dbt source freshness --project-dir . --profiles-dir .; fi',
        'for selector in $VAULTGEN_SELECTORS; do dbt "$VAULTGEN_DBT_COMMAND" --project-dir . --profiles-dir . --selector "$selector" || exit 1; done',
    ]
    document = {
        "version": 0.2,
        "env": {"shell": "bash", "variables": {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "VAULTGEN_DBT_COMMAND": "build",
                                                "VAULTGEN_CHECK_FRESHNESS": "false"}},
        "phases": {
            "install": {"runtime-versions": {"python": "3.11"}, "commands": [f"pip install --no-cache-dir {' '.join(packages)}"]},
            "build": {"commands": commands},
        },
    }
    import yaml

    return yaml.safe_dump(document, sort_keys=False, width=200)
