"""The documented local command for the whole AWS pipeline's stand-in runs end to end:
PostgreSQL (the Northwind dump, then a change batch) -> the Glue job's extract -> Iceberg -> the generated
Spark dbt project, wave by wave in the order of the AWS state machine -> vault, business vault and marts,
with every dbt test passing."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.conftest import REPO
from vaultgen.emit.selectors import run_sequence
from vaultgen.spec.loader import load_spec

pytestmark = pytest.mark.spark


def test_scripts_aws_standin_runs_both_batches_wave_by_wave(northwind_dump):
    completed = subprocess.run(["bash", "scripts/aws_standin.sh", str(northwind_dump)], cwd=REPO, capture_output=True, text=True, timeout=2700)  # four dbt builds per batch on Spark: over 20 min on a shared 2-core machine
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-4000:]
    assert len(re.findall(r"batch batch_000[12] at .*: 14 tables loaded, 0 failed", output)) == 2
    # the same steps as the state machine (one definition: run_sequence), in its order, for each batch
    steps = run_sequence(load_spec(REPO / "vault_spec"))
    assert re.findall(r"^== step (\w+) ", output, re.MULTILINE) == [step.name for step in steps] * 2
    waves = [step.selector for step in steps if step.action == "dbt_build"]
    builds = re.findall(r"dbt build on Spark --selector (\w+) .*: (\d+) models and tests passed, (\d+) failed", output)
    assert [selector for selector, _, _ in builds] == waves * 2
    assert all(int(passed) > 0 and failed == "0" for _, passed, failed in builds), builds
    for batch in (builds[:len(waves)], builds[len(waves):]):  # every model and test of the project ran in some wave
        assert sum(int(passed) for _, passed, _ in batch) > 100, batch
    # the extract hands a batch to the first wave; the marts come last, after the business vault they read
    assert output.index("14 tables loaded") < output.index("--selector load_staging") < output.index("--selector marts")
